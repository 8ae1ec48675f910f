package siim

import (
	"bytes"
	"testing"
)

// FuzzDecodeRLE: no panic on any input; a decoded mask re-encodes (both
// forms) to a string that decodes to the same mask.
func FuzzDecodeRLE(f *testing.F) {
	for _, s := range []string{"-1", "", "1 2 3 1", "0 16", "10 7", "1 -2", "x", "175349 7 1013 12", " 3 4 "} {
		f.Add(s, uint8(4), uint8(4))
	}
	f.Fuzz(func(t *testing.T, s string, h, w uint8) {
		hh, ww := int(h%40)+1, int(w%40)+1
		m, err := DecodeRLE(s, hh, ww)
		if verr := ValidateRLE(s, hh, ww); (verr == nil) != (err == nil) {
			t.Fatalf("ValidateRLE = %v but DecodeRLE = %v", verr, err)
		}
		if err == nil {
			enc := EncodeRLE(m)
			back, err := DecodeRLE(enc, hh, ww)
			if err != nil || !back.Equal(m) {
				t.Fatalf("relative round trip of %q via %q: %v", s, enc, err)
			}
			if EncodeRLE(back) != enc {
				t.Fatalf("encoding not canonical: %q", enc)
			}
			abs := EncodeRLEAbsolute(m)
			back, err = DecodeRLEAbsolute(abs, hh, ww)
			if err != nil || !back.Equal(m) {
				t.Fatalf("absolute round trip via %q: %v", abs, err)
			}
		}
		if a, err := DecodeRLEAbsolute(s, hh, ww); err == nil {
			back, err := DecodeRLEAbsolute(EncodeRLEAbsolute(a), hh, ww)
			if err != nil || !back.Equal(a) {
				t.Fatalf("absolute round trip of %q: %v", s, err)
			}
		}
	})
}

// FuzzReadCSV: no panic; a file that parses writes back as a submission
// that parses to the same masks.
func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("ImageId,EncodedPixels\na,-1\nb,1 2 3 1\nb,0 1\n"))
	f.Add([]byte("ImageId, EncodedPixels\r\na, -1\r\nb, 1 2\r\n"))
	f.Add([]byte("\ufefffname,mask\na,-1\nb, 3 4\n"))
	f.Add([]byte("ImageId,EncodedPixels\na,1 2,3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const h, w = 8, 8
		ls, err := ReadLabels(bytes.NewReader(data), h, w)
		if err != nil {
			return
		}
		preds := make([]Prediction, 0, len(ls.Images))
		for _, l := range ls.Images {
			m, err := l.Mask(h, w)
			if err != nil {
				t.Fatalf("validated label %s does not decode: %v", l.ImageID, err)
			}
			preds = append(preds, Prediction{ImageID: l.ImageID, Mask: m})
		}
		var buf bytes.Buffer
		if err := WriteSubmission(&buf, preds); err != nil {
			// Ids the reader accepts but a CSV cannot carry back
			// unchanged (quotes) are refused, not mangled.
			return
		}
		back, err := ReadLabels(&buf, h, w)
		if err != nil {
			t.Fatalf("written submission does not parse: %v\n%s", err, buf.String())
		}
		if len(back.Images) != len(preds) {
			t.Fatalf("%d images read back, want %d", len(back.Images), len(preds))
		}
		for i, p := range preds {
			m, err := back.Images[i].Mask(h, w)
			if err != nil || back.Images[i].ImageID != p.ImageID || !m.Equal(p.Mask) {
				t.Fatalf("image %d (%q) differs after the round trip: %v", i, p.ImageID, err)
			}
		}
	})
}
