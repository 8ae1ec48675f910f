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

// findSegment returns the offset and whole bytes (marker, length,
// parameters) of the first main-header segment with marker m.
func findSegment(t *testing.T, data []byte, m uint16) (int, []byte) {
	t.Helper()
	for off := 2; off+4 <= len(data); {
		mk := binary.BigEndian.Uint16(data[off:])
		l := int(binary.BigEndian.Uint16(data[off+2:]))
		if mk == m {
			return off, data[off : off+2+l]
		}
		if mk == 0xFF90 {
			break
		}
		off += 2 + l
	}
	t.Fatalf("no marker %04X", m)
	return 0, nil
}

func seg(m uint16, payload ...[]byte) []byte {
	p := slices.Concat(payload...)
	b := binary.BigEndian.AppendUint16(nil, m)
	b = binary.BigEndian.AppendUint16(b, uint16(2+len(p)))
	return append(b, p...)
}

// insert puts main-header segments before the first SOT and tile-part
// header segments after the first SOT (fixing its Psot).
func insert(data []byte, mainSegs, tileSegs [][]byte) []byte {
	sot := bytes.Index(data, []byte{0xFF, 0x90, 0x00, 0x0A})
	ms, ts := slices.Concat(mainSegs...), slices.Concat(tileSegs...)
	out := slices.Concat(data[:sot], ms, data[sot:sot+12], ts, data[sot+12:])
	p := sot + len(ms) + 6
	binary.BigEndian.PutUint32(out[p:], binary.BigEndian.Uint32(out[p:])+uint32(len(ts)))
	return out
}

// TestPrecedence checks A.6's order (tile COC > tile COD > main COC > main
// COD, likewise QCC/QCD): parameters repeated at each level decode the
// same, and wrong main-header COC/QCC are overridden by the tile's COD/QCD.
func TestPrecedence(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "streams", "lossless_g12.j2k"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := jpeg2k.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	_, cod := findSegment(t, data, 0xFF52)
	_, qcd := findSegment(t, data, 0xFF5C)
	spcod := cod[9:] // after marker, length, Scod, SGcod
	scoc := []byte{cod[4] & 1}
	coc := seg(0xFF53, []byte{0}, scoc, spcod)
	qcc := seg(0xFF5D, []byte{0}, qcd[4:])
	badSP := slices.Clone(spcod)
	badSP[0] = 2 // two decomposition levels instead of five
	badCOC := seg(0xFF53, []byte{0}, scoc, badSP)
	badQ := slices.Clone(qcd[4:])
	for i := 1; i < len(badQ); i++ {
		badQ[i] += 8 // exponents one higher
	}
	badQCC := seg(0xFF5D, []byte{0}, badQ)
	rgn := seg(0xFF5E, []byte{0, 0, 0})
	cases := []struct {
		name       string
		main, tile [][]byte
		same       bool
	}{
		{"main COC, QCC", [][]byte{coc, qcc}, nil, true},
		{"tile COD, QCD", nil, [][]byte{cod, qcd}, true},
		{"tile COC, QCC, RGN", nil, [][]byte{coc, qcc, rgn}, true},
		{"tile COD over main COC", [][]byte{badCOC}, [][]byte{cod}, true},
		{"tile QCD over main QCC", [][]byte{badQCC}, [][]byte{qcd}, true},
		{"tile COC over tile COD", nil, [][]byte{cod, badCOC}, false},
		{"main COC over main COD", [][]byte{badCOC}, nil, false},
		{"main QCC over main QCD", [][]byte{badQCC}, nil, false},
	}
	for _, c := range cases {
		got, err := jpeg2k.Decode(insert(data, c.main, c.tile))
		same := err == nil && slices.Equal(got.Pix, want.Pix)
		if same != c.same {
			t.Errorf("%s: same image %v (err %v), want %v", c.name, same, err, c.same)
		}
	}
}
