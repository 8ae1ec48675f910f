package jpegls_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom/jpegls"
)

func benchDecode(b *testing.B, data []byte) {
	rows, cols, nc, _, err := jpegls.DecodeConfig(data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := jpegls.Decode(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows*cols*nc), "ns/sample")
}

// BenchmarkDecode decodes the shared JPEG-LS DICOM frames, a 512x512 12-bit
// and a 1024x1024 16-bit image written by the test encoder, and CharLS's
// colour reference stream.
func BenchmarkDecode(b *testing.B) {
	for _, tc := range realFiles {
		b.Run("file="+tc.name, func(b *testing.B) {
			cs, _ := codestream(b, tc.name)
			benchDecode(b, cs)
		})
	}
	for _, tc := range []struct {
		name                 string
		rows, cols, bits, nr int
	}{{"synth=512x512x12", 512, 512, 12, 0}, {"synth=1024x1024x16_near2", 1024, 1024, 16, 2}} {
		b.Run(tc.name, func(b *testing.B) {
			s, _ := encodeJLS(smoothImage(tc.rows, tc.cols, 1<<tc.bits-1), tc.rows, tc.cols, 1, encOpts{bits: tc.bits, near: tc.nr})
			benchDecode(b, s)
		})
	}
	b.Run("charls=rgb8_sample", func(b *testing.B) {
		s, err := os.ReadFile(filepath.Join("testdata", "charls", "rgb8_sample.jls"))
		if err != nil {
			b.Fatal(err)
		}
		benchDecode(b, s)
	})
}

// smoothImage is a radiograph-like test image: a smooth field with mild
// noise and a flat background border.
func smoothImage(rows, cols, maxval int) []int {
	pix := testImage(rows, cols, 1, 31, 5) // noise source, 0..31
	for y := range rows {
		for x := range cols {
			i := y*cols + x
			if x < cols/16 || x >= cols-cols/16 {
				pix[i] = 0
				continue
			}
			v := (x*x/cols + y*y/rows) * maxval / (2 * max(rows, cols))
			pix[i] = min(max(v+pix[i]%8-4, 0), maxval)
		}
	}
	return pix
}
