package dicom

import (
	"bytes"
	"image"
	"os"
	"path/filepath"
	"testing"
)

// benchImage returns a 1024x1024 chest-like test image: the shared SIIM
// radiograph when present, else a gradient with deterministic noise.
func benchImage(b *testing.B) *image.Gray {
	if img, err := ReadGray8File(filepath.Join(sharedDir, "Fake_MONOHR1.dcm")); err == nil {
		return img
	}
	img := testImage(1024, 1024)
	s := uint32(1)
	for i := range img.Pix {
		s = s*1664525 + 1013904223
		img.Pix[i] += uint8(s >> 29)
	}
	return img
}

func benchDecode(b *testing.B, file []byte) {
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	var npix int
	for b.Loop() {
		f, err := Parse(file)
		if err != nil {
			b.Fatal(err)
		}
		p, err := f.Pixels()
		if err != nil {
			b.Fatal(err)
		}
		npix = p.Len()
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(sec*1e3, "ms/decode")
	b.ReportMetric(float64(npix)/sec/1e6, "Mpixel/s")
}

// BenchmarkDecodeJPEG decodes a 1024x1024 JPEG Secondary Capture written by
// WriteJPEGSecondaryCapture (parse + pixels), and the shared SIIM file.
func BenchmarkDecodeJPEG(b *testing.B) {
	b.Run("written=1024x1024", func(b *testing.B) {
		var buf bytes.Buffer
		if err := WriteJPEGSecondaryCapture(&buf, benchImage(b), testMeta); err != nil {
			b.Fatal(err)
		}
		benchDecode(b, buf.Bytes())
	})
	b.Run("siim=Fake_MONOHR1", func(b *testing.B) {
		file, err := os.ReadFile(filepath.Join(sharedDir, "Fake_MONOHR1.dcm"))
		if err != nil {
			b.Skip(err)
		}
		benchDecode(b, file)
	})
}

// BenchmarkWriteJPEG encodes a 1024x1024 image as a Secondary Capture.
func BenchmarkWriteJPEG(b *testing.B) {
	img := benchImage(b)
	var buf bytes.Buffer
	b.ReportAllocs()
	b.SetBytes(int64(len(img.Pix)))
	for b.Loop() {
		buf.Reset()
		if err := WriteJPEGSecondaryCapture(&buf, img, testMeta); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e3, "ms/encode")
}

// BenchmarkJPEGDecoders compares the libjpeg-exact decoder with image/jpeg
// on the same 1024x1024 stream (the written one: q95 of the SIIM image).
func BenchmarkJPEGDecoders(b *testing.B) {
	var buf bytes.Buffer
	if err := WriteJPEGSecondaryCapture(&buf, benchImage(b), testMeta); err != nil {
		b.Fatal(err)
	}
	f, err := Parse(buf.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	pe, _ := f.Get(PixelData)
	frag := pe.Fragments[0]
	for _, c := range []struct {
		name string
		dec  func(dst, frame []byte, rows, cols int) ([]byte, error)
	}{{"ljpeg", decodeJPEG}, {"imagejpeg", decodeJPEGGo}} {
		b.Run("decoder="+c.name, func(b *testing.B) {
			b.SetBytes(int64(len(frag)))
			b.ReportAllocs()
			dst := make([]byte, 0, 1024*1024)
			for b.Loop() {
				if _, err := c.dec(dst[:0], frag, 1024, 1024); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e3, "ms/decode")
		})
	}
}
