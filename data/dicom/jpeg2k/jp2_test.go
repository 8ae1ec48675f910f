package jpeg2k_test

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom/jpeg2k"
)

// TestJP2Boxes wraps a codestream in JP2 boxes (ISO 15444-1 Annex I) with
// the three ways to give a box's length: LBox, LBox 0 (to the end) and
// LBox 1 with an 8-byte XLBox.
func TestJP2Boxes(t *testing.T) {
	cs, err := os.ReadFile(filepath.Join("testdata", "streams", "lossless_g12.j2k"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := jpeg2k.Decode(cs)
	if err != nil {
		t.Fatal(err)
	}
	box := func(typ string, payload []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(8+len(payload)))
		return append(append(b, typ...), payload...)
	}
	sig := box("jP  ", []byte{0x0D, 0x0A, 0x87, 0x0A})
	ftyp := box("ftyp", []byte("jp2 \x00\x00\x00\x00jp2 "))
	jp2h := box("jp2h", box("ihdr", make([]byte, 14)))
	toEnd := slices.Concat([]byte{0, 0, 0, 0}, []byte("jp2c"), cs)
	xl := slices.Concat([]byte{0, 0, 0, 1}, []byte("jp2c"), binary.BigEndian.AppendUint64(nil, uint64(16+len(cs))), cs)
	for name, data := range map[string][]byte{
		"LBox":    slices.Concat(sig, ftyp, jp2h, box("jp2c", cs)),
		"to end":  slices.Concat(sig, ftyp, jp2h, toEnd),
		"XLBox":   slices.Concat(sig, ftyp, jp2h, xl, box("free", nil)),
		"trailer": slices.Concat(sig, ftyp, box("jp2c", cs), box("uuid", make([]byte, 20))),
	} {
		got, err := jpeg2k.Decode(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !slices.Equal(got.Pix, want.Pix) {
			t.Errorf("%s: decode differs from the bare codestream's", name)
		}
	}
}
