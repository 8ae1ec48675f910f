package jpegls_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom/jpegls"
)

// fuzzSeeds are FuzzDecode's seeds (added in code: the repository ignores
// paths named fuzz): every CharLS reference stream, the restart-interval
// streams, test-encoder streams with LSE presets, oversize dimensions and
// 3-byte DRI, and a few header-only fragments.
func fuzzSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	for _, dir := range []string{"charls", "restart"} {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.jls"))
		if err != nil || len(files) == 0 {
			tb.Fatalf("no seeds in testdata/%s (regenerate with scripts/golden/jpegls.sh)", dir)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				tb.Fatal(err)
			}
			seeds = append(seeds, b)
		}
	}
	for i, o := range []encOpts{
		{bits: 12, maxval: 3000, near: 1, lse: true, restart: 2},
		{bits: 5, t1: 2, t2: 5, t3: 9, reset: 7, lse: true, ilv: 2},
		{bits: 16, near: 9, ilv: 1, restart: 1, driBytes: 3},
		{bits: 2, ilv: 0, restart: 4, driBytes: 4},
	} {
		nc := 1
		if o.ilv != 0 || i == 3 {
			nc = 3
		}
		maxval := 1<<o.bits - 1
		if o.maxval != 0 {
			maxval = o.maxval
		}
		s, _ := encodeJLS(testImage(9, 11, nc, maxval, uint64(i)), 9, 11, nc, o)
		seeds = append(seeds, s)
	}
	// Oversize dimensions (LSE ID 4) after a SOF55 with X = Y = 0.
	s, _ := encodeJLS(testImage(3, 4, 1, 255, 1), 3, 4, 1, encOpts{bits: 8})
	over := append([]byte{0xFF, 0xD8}, segment(nil, 0xF7, []byte{8, 0, 0, 0, 0, 1, 1, 0x11, 0})...)
	over = append(over, segment(nil, 0xF8, []byte{4, 3, 0, 0, 3, 0, 0, 4})...)
	seeds = append(seeds, append(over, s[2+2+11:]...))
	seeds = append(seeds, []byte{0xFF, 0xD8}, []byte{0xFF, 0xD8, 0xFF, 0xD9}, s[:20])
	return seeds
}

// TestFuzzSeeds runs the seeds through the fuzz invariants; every seed but
// the fragments decodes.
func TestFuzzSeeds(t *testing.T) {
	seeds := fuzzSeeds(t)
	ok := 0
	for _, s := range seeds {
		if checkDecode(t, s) {
			ok++
		}
	}
	if ok != len(seeds)-3 {
		t.Errorf("%d of %d seeds decode, want %d", ok, len(seeds), len(seeds)-3)
	}
}

// checkDecode checks FuzzDecode's invariants on one input and reports
// whether it decoded: no panic; errors are *FormatError or
// *UnsupportedError; DecodeConfig agrees with Decode; Pix has
// Rows*Cols*Components values, each in 0..2^Precision-1.
func checkDecode(t *testing.T, in []byte) bool {
	rows, cols, nc, prec, cerr := jpegls.DecodeConfig(in)
	if cerr != nil {
		checkErr(t, cerr)
	} else if rows*cols*nc > 1<<22 {
		return false // valid headers of a large image: decoding it only costs time
	}
	img, err := jpegls.Decode(in)
	if err != nil {
		checkErr(t, err)
		return false
	}
	if cerr != nil {
		t.Fatalf("Decode succeeds, DecodeConfig fails: %v", cerr)
	}
	if img.Rows != rows || img.Cols != cols || img.Components != nc || img.Precision != prec {
		t.Fatalf("Decode %dx%dx%d P=%d, DecodeConfig %dx%dx%d P=%d", img.Rows, img.Cols, img.Components, img.Precision, rows, cols, nc, prec)
	}
	if len(img.Pix) != rows*cols*nc {
		t.Fatalf("%d values for %dx%dx%d", len(img.Pix), rows, cols, nc)
	}
	for i, v := range img.Pix {
		if v < 0 || v > 1<<prec-1 {
			t.Fatalf("value %d is %d, P=%d", i, v, prec)
		}
	}
	return true
}

func checkErr(t *testing.T, err error) {
	var fe *jpegls.FormatError
	var ue *jpegls.UnsupportedError
	if !errors.As(err, &fe) && !errors.As(err, &ue) {
		t.Fatalf("error of type %T: %v", err, err)
	}
}

// FuzzDecode checks that no input makes Decode or DecodeConfig panic, and
// the invariants of checkDecode.
//
//	go test -run XXX -fuzz FuzzDecode -fuzztime 10m -parallel 1 ./data/dicom/jpegls/
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkDecode(t, in)
	})
}
