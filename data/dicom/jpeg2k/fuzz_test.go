package jpeg2k_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom/jpeg2k"
)

// FuzzDecode checks that no input panics or is modified, and that a
// successful decode agrees with DecodeConfig and stays in range. Seeds:
// every stream of testdata/streams (the coding features), cut short and
// with flipped bytes. Images DecodeConfig reports as over 2^18 samples are
// only parsed, to keep runs fast.
func FuzzDecode(f *testing.F) {
	ents, err := os.ReadDir(filepath.Join("testdata", "streams"))
	if err != nil {
		f.Fatal(err)
	}
	for i, e := range ents {
		data, err := os.ReadFile(filepath.Join("testdata", "streams", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		if i%4 == 0 {
			f.Add(data[:len(data)*2/3])
			g := append([]byte(nil), data...)
			g[len(g)/2] ^= 0x5A
			f.Add(g)
		}
	}
	f.Add([]byte{0xFF, 0x4F, 0xFF, 0x51})
	f.Add([]byte{0, 0, 0, 12, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A, 0, 0, 0, 8, 'j', 'p', '2', 'c'})
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, cols, comps, prec, signed, err := jpeg2k.DecodeConfig(data)
		if err != nil {
			if _, err := jpeg2k.Decode(data); err == nil {
				t.Fatalf("Decode succeeds where DecodeConfig fails")
			}
			return
		}
		if rows*cols*comps > 1<<18 {
			return
		}
		keep := bytes.Clone(data)
		img, err := jpeg2k.Decode(data)
		if !bytes.Equal(data, keep) {
			t.Fatalf("Decode modified its input")
		}
		if err != nil {
			return
		}
		if img.Rows != rows || img.Cols != cols || img.Components != comps || img.Precision != prec || img.Signed != signed {
			t.Fatalf("Decode %dx%dx%d/%d/%v, DecodeConfig %dx%dx%d/%d/%v",
				img.Rows, img.Cols, img.Components, img.Precision, img.Signed, rows, cols, comps, prec, signed)
		}
		if len(img.Pix) != rows*cols*comps {
			t.Fatalf("%d values for %dx%dx%d", len(img.Pix), rows, cols, comps)
		}
		lo, hi := int32(0), int32(1)<<prec-1
		if signed {
			lo, hi = -(int32(1) << (prec - 1)), int32(1)<<(prec-1)-1
		}
		for i, v := range img.Pix {
			if v < lo || v > hi {
				t.Fatalf("value %d at %d outside [%d, %d]", v, i, lo, hi)
			}
		}
	})
}
