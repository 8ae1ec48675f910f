package ljpeg_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom/ljpeg"
)

// FuzzDecode checks that Decode never panics, that it either returns an
// *ljpeg.Error or an image of the size DecodeConfig reports, with every
// sample inside the precision's range. Seeds: streams of the test encoder
// (every predictor, restarts, several components, fill bytes), image/jpeg
// baseline streams, and the reference streams in testdata/.
//
//	go test -run XXX -fuzz FuzzDecode -fuzztime 10m -parallel 1 ./data/dicom/ljpeg/
func FuzzDecode(f *testing.F) {
	for i, p := range []llParams{
		{rows: 3, cols: 4, comps: 1, prec: 8, psv: 1},
		{rows: 5, cols: 3, comps: 1, prec: 16, psv: 7, restart: 3},
		{rows: 4, cols: 4, comps: 3, prec: 12, psv: 4, pt: 2},
		{rows: 4, cols: 2, comps: 2, prec: 6, psv: 6, separate: true, restart: 4, fill: true},
		{rows: 2, cols: 5, comps: 1, prec: 2, psv: 5},
		{rows: 3, cols: 3, comps: 1, prec: 15, psv: 3, noEOI: true},
	} {
		f.Add(encodeLossless(p, testPix(p.rows, p.cols, p.comps, p.prec, p.pt, uint32(i))))
	}
	f.Add(baselineJPEG(9, 17))
	f.Add(baselineJPEG(1, 1))
	paths, _ := filepath.Glob("testdata/*.jpg")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && len(b) <= 4096 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, cols, comps, prec, cerr := ljpeg.DecodeConfig(data)
		img, err := ljpeg.Decode(data)
		if err != nil {
			var e *ljpeg.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not an *ljpeg.Error", err, err)
			}
			return
		}
		if cerr != nil {
			t.Fatalf("Decode succeeds, DecodeConfig fails: %v", cerr)
		}
		if img.Rows != rows || img.Cols != cols || img.Components != comps || img.Precision != prec {
			t.Fatalf("Decode %dx%dx%d/%d, DecodeConfig %dx%dx%d/%d", img.Rows, img.Cols, img.Components, img.Precision, rows, cols, comps, prec)
		}
		if len(img.Pix) != rows*cols*comps {
			t.Fatalf("%d samples for %dx%dx%d", len(img.Pix), rows, cols, comps)
		}
		for i, v := range img.Pix {
			if v < 0 || v >= 1<<prec {
				t.Fatalf("sample %d = %d outside 0..2^%d-1", i, v, prec)
			}
		}
	})
}
