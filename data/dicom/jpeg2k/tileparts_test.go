package jpeg2k_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom/jpeg2k"
)

// mergeFirstTile rewrites a codestream whose tiles have several tile-parts
// so that tile 0 has one (its bodies joined, A.4.2) and the others keep
// theirs: a mix that makes the decoder use a body in place and join others.
func mergeFirstTile(t *testing.T, data []byte) []byte {
	t.Helper()
	sot := bytes.Index(data, []byte{0xFF, 0x90, 0x00, 0x0A})
	out := slices.Clone(data[:sot])
	var t0hdr, t0body []byte
	var rest []byte
	for off := sot; off+12 <= len(data) && binary.BigEndian.Uint16(data[off:]) == 0xFF90; {
		isot := binary.BigEndian.Uint16(data[off+4:])
		psot := int(binary.BigEndian.Uint32(data[off+6:]))
		if psot == 0 {
			psot = len(data) - 2 - off
		}
		part := data[off : off+psot]
		sod := bytes.Index(part[12:], []byte{0xFF, 0x93}) + 12 // no marker in these headers holds FF93
		if isot == 0 {
			if t0hdr == nil {
				t0hdr = slices.Clone(part[:sod+2])
			}
			t0body = append(t0body, part[sod+2:]...)
		} else {
			rest = append(rest, part...)
		}
		off += psot
	}
	if t0hdr == nil {
		t.Fatal("no tile 0")
	}
	merged := append(t0hdr, t0body...)
	binary.BigEndian.PutUint32(merged[6:], uint32(len(merged)))
	merged[10], merged[11] = 0, 1 // TPsot 0 of TNsot 1
	out = slices.Concat(out, merged, rest, []byte{0xFF, 0xD9})
	return out
}

// TestMixedTileParts decodes a stream where tile 0 is one tile-part and
// the other tiles several, and checks that decoding leaves its input as it
// was.
func TestMixedTileParts(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "streams", "tp_r.j2k"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := jpeg2k.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	mixed := mergeFirstTile(t, data)
	keep := slices.Clone(mixed)
	got, err := jpeg2k.Decode(mixed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mixed, keep) {
		t.Fatal("Decode modified its input")
	}
	if !slices.Equal(got.Pix, want.Pix) {
		t.Error("decode differs from the original stream's")
	}
}
