package jpeg2k_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom/jpeg2k"
)

// TestErrors corrupts a small stream (SIZ at offset 2, COD at 45, QCD at
// 59, COM at 80) and checks that each error names the marker and its offset.
func TestErrors(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join("testdata", "streams", "lossless_g8.j2k"))
	if err != nil {
		t.Fatal(err)
	}
	sot := bytes.Index(orig, []byte{0xFF, 0x90})
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(orig)) }
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "jpeg2k: SOC at offset 0: codestream does not start with SOC"},
		{"not j2k", []byte("GIF89a..."), "jpeg2k: SOC at offset 0"},
		{"no components", edit(func(b []byte) []byte { b[40], b[41] = 0, 0; return b }), "jpeg2k: SIZ at offset 2: 0 components"},
		{"zero tile", edit(func(b []byte) []byte { copy(b[24:28], []byte{0, 0, 0, 0}); return b }), "jpeg2k: SIZ at offset 2: tile size 0x47"},
		{"33 bits", edit(func(b []byte) []byte { b[42] = 32; return b }), "jpeg2k: SIZ at offset 2: component 0 has 33 bits"},
		{"levels", edit(func(b []byte) []byte { b[54] = 40; return b }), "jpeg2k: COD at offset 45: 40 decomposition levels"},
		{"HTJ2K", edit(func(b []byte) []byte { b[57] = 0x40; return b }), "jpeg2k: COD at offset 45: code-block style 0x40 (HTJ2K) is not supported"},
		{"transform", edit(func(b []byte) []byte { b[58] = 2; return b }), "jpeg2k: COD at offset 45: wavelet transform 2"},
		{"code-block size", edit(func(b []byte) []byte { b[55] = 9; return b }), "jpeg2k: COD at offset 45: code-block size exponents"},
		{"QCD length", edit(func(b []byte) []byte { b[61], b[62] = 0xFF, 0xFF; return b }), "jpeg2k: QCD at offset 59: segment length 65535 overruns"},
		{"QCD style", edit(func(b []byte) []byte { b[63] = 0x43; return b }), "jpeg2k: QCD at offset 59: quantization style 3"},
		{"few steps", edit(func(b []byte) []byte { b[62] = 8; copy(b[69:], []byte{0xFF, 0x64, 0, 9}); return b }), "jpeg2k: QCD at offset 59: component 0: 5 step sizes for 16 bands"},
		{"truncated header", orig[:50], "jpeg2k: COD at offset 45: segment length 12 overruns"},
		{"no tile-part", orig[:sot], "jpeg2k: marker at offset "},
		{"tile index", edit(func(b []byte) []byte { b[sot+5] = 9; return b }), "jpeg2k: SOT at offset "},
		{"jp2 without jp2c", []byte{0, 0, 0, 12, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A, 0, 0, 0, 8, 'f', 't', 'y', 'p'},
			"jpeg2k: JP2 box at offset 20: no contiguous codestream (jp2c) box"},
		{"jp2 box overrun", []byte{0, 0, 0, 12, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A, 0, 0, 1, 0, 'f', 't', 'y', 'p'},
			"jpeg2k: JP2 box at offset 12: box \"ftyp\" of 256 bytes overruns"},
	}
	for _, c := range cases {
		_, err := jpeg2k.Decode(c.data)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: error %q, want prefix %q", c.name, err, c.want)
		}
		var fe *jpeg2k.FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%s: error %T is not a *FormatError", c.name, err)
		}
	}
}

// TestTruncated decodes a stream cut at every length past its headers:
// like OpenJPEG, a truncated tile decodes to what its data holds.
func TestTruncated(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join("testdata", "streams", "layers.j2k"))
	if err != nil {
		t.Fatal(err)
	}
	sod := bytes.Index(orig, []byte{0xFF, 0x93})
	full, err := jpeg2k.Decode(orig)
	if err != nil {
		t.Fatal(err)
	}
	for n := sod + 2; n < len(orig); n += 7 {
		img, err := jpeg2k.Decode(orig[:n])
		if err != nil {
			t.Fatalf("cut at %d: %v", n, err)
		}
		if len(img.Pix) != len(full.Pix) {
			t.Fatalf("cut at %d: %d values", n, len(img.Pix))
		}
	}
}
