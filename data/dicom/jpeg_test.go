package dicom

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readPGM reads a binary 8-bit PGM (as djpeg writes it).
func readPGM(t *testing.T, path string) (rows, cols int, pix []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var maxv int
	n, err := fmt.Sscanf(string(b), "P5\n%d %d\n%d\n", &cols, &rows, &maxv)
	if n != 3 || err != nil || maxv != 255 {
		t.Fatalf("%s: bad PGM header: %v", path, err)
	}
	return rows, cols, b[len(b)-rows*cols:]
}

// TestJPEGMatchesLibjpeg decodes the cjpeg-written cases of testdata/jpeg
// (made by gen.sh there) and compares with djpeg -dct int: sequential
// streams must match exactly; progressive ones (image/jpeg) within 1;
// arithmetic-coded ones must be refused as unsupported.
func TestJPEGMatchesLibjpeg(t *testing.T) {
	jpgs, _ := filepath.Glob("testdata/jpeg/*.jpg")
	if len(jpgs) < 10 {
		t.Fatalf("found %d JPEG cases in testdata/jpeg, want 11", len(jpgs))
	}
	for _, jp := range jpgs {
		name := strings.TrimSuffix(filepath.Base(jp), ".jpg")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(jp)
			if err != nil {
				t.Fatal(err)
			}
			rows, cols, want := readPGM(t, strings.TrimSuffix(jp, ".jpg")+".pgm")
			got, err := decodeJPEG(nil, data, rows, cols)
			switch {
			case strings.HasPrefix(name, "arith"):
				var ue *UnsupportedError
				if !errors.As(err, &ue) {
					t.Fatalf("error %v, want *UnsupportedError", err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			maxDiff, ndiff := 0, 0
			for i := range want {
				d := int(got[i]) - int(want[i])
				if d != 0 {
					ndiff++
					maxDiff = max(maxDiff, d, -d)
				}
			}
			tol := 0
			if strings.HasPrefix(name, "prog") {
				tol = 1 // image/jpeg's IDCT
			}
			if maxDiff > tol {
				t.Errorf("%d of %d samples differ from libjpeg, by up to %d (tolerance %d)", ndiff, len(want), maxDiff, tol)
			}
		})
	}
}

func TestJPEGBaselineExactLibjpeg(t *testing.T) {
	f, err := ReadFile(sharedFile(t, "Fake_MONOHR1.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.Pixels()
	if err != nil {
		t.Fatal(err)
	}
	const want = "938432fbb18d79f48568dc5b1fb06ffd2ace4a4ded4bfc490c35981e58f053fb"
	if got := storedSHA(p); got != want {
		t.Errorf("stored sha256 %s, want libjpeg's %s", got, want)
	}
	// image/jpeg differs by at most 1, on a small fraction of samples.
	pe, _ := f.Get(PixelData)
	goPix, err := decodeJPEGGo(nil, pe.Fragments[0], 1024, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ndiff := 0
	for i, v := range goPix {
		if d := int(v) - int(p.U8[i]); d != 0 {
			if d > 1 || d < -1 {
				t.Fatalf("image/jpeg sample %d = %d, libjpeg %d", i, v, p.U8[i])
			}
			ndiff++
		}
	}
	frac := float64(ndiff) / float64(len(goPix))
	t.Logf("image/jpeg differs from libjpeg on %.2f%% of samples", 100*frac)
	if frac == 0 || frac > 0.05 {
		t.Errorf("image/jpeg differs on %.2f%% of samples; README says 1.6%%", 100*frac)
	}
}

func TestJPEGCorrupt(t *testing.T) {
	data, err := os.ReadFile("testdata/jpeg/q75_29x37.jpg")
	if err != nil {
		t.Fatal(err)
	}
	sos := bytes.Index(data, []byte{0xFF, 0xDA})
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"no SOI", data[2:], "does not start with SOI"},
		{"headers only", data[:sos], "codestream ends before a scan"},
		{"truncated scan", data[:sos+40], "truncated or corrupt"},
		{"wrong size", data, "JPEG is 29x37, the data set says 30x37"},
	}
	for _, c := range cases {
		rows := 29
		if c.name == "wrong size" {
			rows = 30
		}
		_, err := decodeJPEG(nil, c.in, rows, 37)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// TestMultiFrameJPEG puts two cjpeg streams in one encapsulated data set,
// one fragment per frame, and checks both frames against djpeg.
func TestMultiFrameJPEG(t *testing.T) {
	a, err := os.ReadFile("testdata/jpeg/q75_29x37.jpg")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("testdata/jpeg/q5_base_29x37.jpg")
	if err != nil {
		t.Fatal(err)
	}
	pad := func(x []byte) []byte {
		if len(x)%2 == 1 {
			return append(append([]byte{}, x...), 0)
		}
		return x
	}
	s := synth{littleEndian, true}
	es := imageElems(littleEndian, 2, 29, 37, 8, 8, false, "MONOCHROME2")
	es = append(es, el{tag: PixelData, vr: "OB", undefined: true, frags: [][]byte{nil, pad(a), pad(b)}})
	f, err := Parse(part10(JPEGBaseline8Bit, s.elems(nil, es)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.Pixels()
	if err != nil {
		t.Fatal(err)
	}
	_, _, wa := readPGM(t, "testdata/jpeg/q75_29x37.pgm")
	_, _, wb := readPGM(t, "testdata/jpeg/q5_base_29x37.pgm")
	if p.Frames != 2 || !bytes.Equal(p.U8[:29*37], wa) || !bytes.Equal(p.U8[29*37:], wb) {
		t.Errorf("frames differ from djpeg (frames=%d)", p.Frames)
	}
	if _, err := f.Gray8(); err == nil || !strings.Contains(err.Error(), "single-frame") {
		t.Errorf("Gray8 of 2 frames: %v", err)
	}
}
