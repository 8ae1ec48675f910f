package ljpeg_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"github.com/lungo-ml/lungo/internal/shareddata"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/data/dicom/ljpeg"
)

// sharedFile returns the path of a shared test file; without it the test
// fails in CI (CI=true) and is skipped elsewhere.
func sharedFile(t testing.TB, name string) string {
	t.Helper()
	return shareddata.Path(t, name)
}

// frame returns the JPEG codestream of the single frame of a DICOM file
// with encapsulated pixel data (its fragments joined), and the file.
func frame(t testing.TB, path string) ([]byte, *dicom.File) {
	t.Helper()
	f, err := dicom.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pe, ok := f.Get(dicom.PixelData)
	if !ok || len(pe.Fragments) == 0 {
		t.Fatalf("%s: no encapsulated pixel data", path)
	}
	var b []byte
	for _, fr := range pe.Fragments {
		b = append(b, fr...)
	}
	return b, f
}

// storedSHA returns the sha256 of the samples as DICOM stores them: one
// byte each for BitsAllocated 8, little-endian 16-bit words for 16.
func storedSHA(pix []int32, bitsAllocated int) string {
	var b []byte
	for _, v := range pix {
		if bitsAllocated == 8 {
			b = append(b, byte(v))
		} else {
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		}
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestRealFiles decodes the shared DICOM files and compares the stored
// values with the sha256 of GDCM's decode (shared/data/README.md).
func TestRealFiles(t *testing.T) {
	for _, c := range []struct {
		file             string
		rows, cols, prec int
		sha              string
	}{
		{"dicom/JPEG-LL.dcm", 1024, 256, 16, "a6e9d32143339d3f5748b5520aa4e6c6ffb3550b6f71fdf17bdb2ebb44bc2611"},
		{"dicom/JPGLosslessP14SV1_1s_1f_8b.dcm", 768, 1024, 8, "36e27e4f1e87a7d50407463323ddc3736736ecff35eb4e4a4c1b74646938835d"},
		{"dicom/JPGExtended.dcm", 1024, 256, 12, "d30242775a414c01d616447854ebe3f2b20259822894bcd6891f879bcdcbf313"},
		{"dicom/Fake_MONOHR1.dcm", 1024, 1024, 8, "938432fbb18d79f48568dc5b1fb06ffd2ace4a4ded4bfc490c35981e58f053fb"},
	} {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			data, f := frame(t, sharedFile(t, c.file))
			rows, cols, nc, prec, err := ljpeg.DecodeConfig(data)
			if err != nil {
				t.Fatal(err)
			}
			if rows != c.rows || cols != c.cols || nc != 1 || prec != c.prec {
				t.Fatalf("DecodeConfig: %dx%dx%d, %d bits; want %dx%dx1, %d bits", rows, cols, nc, prec, c.rows, c.cols, c.prec)
			}
			img, err := ljpeg.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if img.Rows != c.rows || img.Cols != c.cols || img.Components != 1 || img.Precision != c.prec || len(img.Pix) != rows*cols {
				t.Fatalf("Decode: %dx%dx%d, %d bits, %d samples", img.Rows, img.Cols, img.Components, img.Precision, len(img.Pix))
			}
			ba, _ := f.Int(dicom.BitsAllocated)
			if got := storedSHA(img.Pix, ba); got != c.sha {
				t.Errorf("sha256 of stored values %s, want %s (GDCM)", got, c.sha)
			}
		})
	}
}

// TestGolden decodes the reference streams in testdata/ (lossless with
// every selection value, point transforms and 2-16 bits, 12-bit extended and
// 8-bit DCT with restart markers and three components; written by dcmtk,
// GDCM, cjpeg and the test encoder) and compares the samples with those of
// libjpeg-based decoders (GDCM and dcmtk, or djpeg), as listed in
// testdata/golden.txt by scripts/golden/ljpeg_golden.py.
func TestGolden(t *testing.T) {
	txt, err := os.ReadFile("testdata/golden.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(txt)), "\n")
	if !strings.HasPrefix(lines[0], "# ljpeg-golden v1:") {
		t.Fatalf("testdata/golden.txt: unknown header %q", lines[0])
	}
	n := 0
	for _, line := range lines {
		if strings.HasPrefix(line, "#") {
			continue
		}
		var name, sha, ref string
		var rows, cols, comps, prec int
		if _, err := fmt.Sscan(line, &name, &rows, &cols, &comps, &prec, &sha, &ref); err != nil {
			t.Fatalf("testdata/golden.txt: %q: %v", line, err)
		}
		n++
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			img, err := ljpeg.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if img.Rows != rows || img.Cols != cols || img.Components != comps || img.Precision != prec {
				t.Fatalf("%dx%dx%d, %d bits; want %dx%dx%d, %d bits", img.Rows, img.Cols, img.Components, img.Precision, rows, cols, comps, prec)
			}
			ba := 16
			if prec <= 8 {
				ba = 8
			}
			if got := storedSHA(img.Pix, ba); got != sha {
				t.Errorf("sha256 %s, want %s (%s)", got, sha, ref)
			}
		})
	}
	if n < 30 {
		t.Errorf("testdata/golden.txt lists %d streams, want at least 30", n)
	}
}
