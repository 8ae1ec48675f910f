package jpegls_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom/jpegls"
)

// small returns a valid 5x6 8-bit stream.
func small(t *testing.T) []byte {
	t.Helper()
	s, _ := encodeJLS(testImage(5, 6, 1, 255, 9), 5, 6, 1, encOpts{bits: 8})
	return s
}

// replaceSegment returns stream s with the payload of its first segment
// with the given marker replaced.
func replaceSegment(s []byte, marker byte, payload []byte) []byte {
	for i := 2; i+4 <= len(s); {
		n := int(s[i+2])<<8 | int(s[i+3])
		if s[i+1] == marker {
			out := append([]byte(nil), s[:i]...)
			out = segment(out, marker, payload)
			return append(out, s[i+2+n:]...)
		}
		i += 2 + n
	}
	panic("marker not found")
}

func manyComponents(n int) []byte {
	var b []byte
	for i := range n {
		b = append(b, byte(i), 0x11, 0)
	}
	return b
}

// TestErrors checks that malformed headers give a FormatError (or an
// UnsupportedError) that names the marker and its offset.
func TestErrors(t *testing.T) {
	ok := small(t)
	sof := func(p, rows, cols int, comps ...byte) []byte {
		b := []byte{byte(p), byte(rows >> 8), byte(rows), byte(cols >> 8), byte(cols), byte(len(comps) / 3)}
		return append(b, comps...)
	}
	sos := func(near, ilv, pt byte, comps ...byte) []byte {
		b := append([]byte{byte(len(comps) / 2)}, comps...)
		return append(b, near, ilv, pt)
	}
	insertAfterSOI := func(seg []byte) []byte { return slices.Concat(ok[:2], seg, ok[2:]) }
	cases := []struct {
		name, marker, msg string
		data              []byte
		unsupported       bool
	}{
		{"empty", "SOI", "missing start of image", nil, false},
		{"not JPEG", "SOI", "missing start of image", []byte("DICM"), false},
		{"baseline JPEG", "SOF0", "another JPEG process", []byte{0xFF, 0xD8, 0xFF, 0xC0, 0, 2}, false},
		{"precision 1", "SOF55", "sample precision 1", replaceSegment(ok, 0xF7, sof(1, 5, 6, 1, 0x11, 0)), false},
		{"precision 17", "SOF55", "sample precision 17", replaceSegment(ok, 0xF7, sof(17, 5, 6, 1, 0x11, 0)), false},
		{"no components", "SOF55", "no components", replaceSegment(ok, 0xF7, sof(8, 5, 6)), false},
		{"duplicate component", "SOF55", "appears twice", replaceSegment(ok, 0xF7, sof(8, 5, 6, 1, 0x11, 0, 1, 0x11, 0)), false},
		{"subsampling", "SOF55", "sampling factors", replaceSegment(ok, 0xF7, sof(8, 5, 6, 1, 0x11, 0, 2, 0x21, 0)), true},
		{"too large", "SOF55", "exceed the limit", replaceSegment(ok, 0xF7, sof(16, 65535, 65535, 1, 0x11, 0)), false},
		{"line too long", "SOF55", "samples a line", replaceSegment(ok, 0xF7, sof(16, 1, 65535, manyComponents(100)...)), false},
		{"oversize overflow", "LSE", "exceed the limit", slices.Concat([]byte{0xFF, 0xD8}, segment(nil, 0xF7, sof(8, 0, 0, manyComponents(255)...)),
			segment(nil, 0xF8, []byte{4, 4, 0x0F, 0xFF, 0xFF, 0xFF, 0x0F, 0xFF, 0xFF, 0xFF}), ok[2:]), false},
		{"oversize too large", "LSE", "exceed the limit", slices.Concat([]byte{0xFF, 0xD8}, segment(nil, 0xF7, sof(8, 0, 0, 1, 0x11, 0)),
			segment(nil, 0xF8, []byte{4, 4, 0x80, 0, 0, 0, 0, 0, 0, 1}), ok[2:]), false},
		{"zero rows", "SOS", "DNL", replaceSegment(ok, 0xF7, sof(8, 0, 6, 1, 0x11, 0)), true},
		{"SOF length", "SOF55", "frame header is", replaceSegment(ok, 0xF7, []byte{8, 0, 5, 0, 6, 1, 1, 0x11}), false},
		{"segment past end", "SOF55", "runs past the end", ok[:8], false},
		{"unknown component", "SOS", "not in the frame", replaceSegment(ok, 0xDA, sos(0, 0, 0, 7, 0)), false},
		{"NEAR too large", "SOS", "NEAR 128", replaceSegment(ok, 0xDA, sos(128, 0, 0, 1, 0)), false},
		{"ILV 3", "SOS", "interleave mode ILV 3", replaceSegment(ok, 0xDA, sos(0, 3, 0, 1, 0)), false},
		{"mapping table", "SOS", "mapping table 1", replaceSegment(ok, 0xDA, sos(0, 0, 0, 1, 1)), true},
		{"point transform", "SOS", "point transform", replaceSegment(ok, 0xDA, sos(0, 0, 1, 1, 0)), true},
		{"LSE MAXVAL", "SOS", "MAXVAL 256", insertAfterSOI(segment(nil, 0xF8, []byte{1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0})), false},
		{"LSE T1", "SOS", "T1 300 outside", insertAfterSOI(segment(nil, 0xF8, []byte{1, 0, 0, 1, 44, 0, 0, 0, 0, 0, 0})), false},
		{"LSE RESET", "SOS", "RESET 2 outside", insertAfterSOI(segment(nil, 0xF8, []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2})), false},
		{"LSE ID", "LSE", "unknown preset parameters ID 9", insertAfterSOI(segment(nil, 0xF8, []byte{9})), false},
		{"LSE oversize before SOF", "LSE", "must follow the frame header", insertAfterSOI(segment(nil, 0xF8, []byte{4, 2, 0, 1, 0, 1})), false},
		{"DRI length", "DRI", "restart interval segment", insertAfterSOI(segment(nil, 0xDD, []byte{1})), false},
		{"DNL", "DNL", "DNL", insertAfterSOI(segment(nil, 0xDC, []byte{0, 5})), true},
		{"RST outside scan", "RST0", "outside a scan", insertAfterSOI([]byte{0xFF, 0xD0}), false},
		{"garbage between segments", "marker", "expected a marker", insertAfterSOI([]byte{0x12}), false},
		{"EOI first", "EOI", "before a frame header", []byte{0xFF, 0xD8, 0xFF, 0xD9}, false},
		{"SOS first", "SOS", "before the frame header", slices.Concat([]byte{0xFF, 0xD8}, segment(nil, 0xDA, sos(0, 0, 0, 1, 0))), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := jpegls.Decode(c.data)
			if err == nil {
				t.Fatal("no error")
			}
			var fe *jpegls.FormatError
			var ue *jpegls.UnsupportedError
			marker, off := "", -1
			switch {
			case errors.As(err, &fe) && !c.unsupported:
				marker, off = fe.Marker, fe.Offset
			case errors.As(err, &ue) && c.unsupported:
				marker, off = ue.Marker, ue.Offset
			default:
				t.Fatalf("error %T (%v), unsupported=%v expected", err, err, c.unsupported)
			}
			if marker != c.marker || off < 0 || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("got %q (marker %s, offset %d), want marker %s and %q", err, marker, off, c.marker, c.msg)
			}
			if !strings.HasPrefix(err.Error(), "jpegls: "+c.marker+" at offset ") {
				t.Errorf("error %q does not start with the marker and offset", err)
			}
			// DecodeConfig fails too, unless the problem is past the headers.
			if _, _, _, _, err := jpegls.DecodeConfig(c.data); err == nil && c.marker != "RST0" && c.marker != "DNL" && c.marker != "marker" {
				t.Logf("DecodeConfig accepts it (the problem is in or after the scan)")
			}
		})
	}
}

// TestTruncated cuts real and reference streams at every length: each
// prefix either fails with an error or (when only EOI or padding is cut)
// gives the full image.
func TestTruncated(t *testing.T) {
	streams := map[string][]byte{}
	for _, name := range []string{"gray8", "gray16_near7", "rgb8_line", "rgb8_sample", "rgb8_none", "longrun"} {
		b, err := os.ReadFile(filepath.Join("testdata", "charls", name+".jls"))
		if err != nil {
			t.Fatal(err)
		}
		streams[name] = b
	}
	streams["restart"], _ = restartStream(3)
	for name, s := range streams {
		full, err := jpegls.Decode(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		accepted := 0
		for n := range len(s) {
			img, err := jpegls.Decode(s[:n])
			if err != nil {
				var fe *jpegls.FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("%s cut at %d: %T %v", name, n, err, err)
				}
				continue
			}
			accepted++
			if !slices.Equal(img.Pix, full.Pix) {
				t.Fatalf("%s cut at %d of %d: decoded without error to different values", name, n, len(s))
			}
		}
		if accepted > 3 {
			t.Errorf("%s: %d truncated prefixes accepted", name, accepted)
		}
	}
}

// TestCorrupt flips bytes of the entropy-coded data: decoding may fail or
// give other values, but never panics or returns values above MAXVAL.
func TestCorrupt(t *testing.T) {
	s, err := os.ReadFile(filepath.Join("testdata", "charls", "gray12.jls"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 30; i < len(s)-2; i++ {
		for _, x := range []byte{0x01, 0x80, 0xFF} {
			b := slices.Clone(s)
			b[i] ^= x
			img, err := jpegls.Decode(b)
			if err != nil {
				continue
			}
			for _, v := range img.Pix {
				if v < 0 || v > 4095 {
					t.Fatalf("byte %d ^ %#x: value %d", i, x, v)
				}
			}
		}
	}
}
