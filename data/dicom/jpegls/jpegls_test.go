package jpegls_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"github.com/lungo-ml/lungo/internal/shareddata"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/data/dicom/jpegls"
)

// sharedFile returns the path of a shared test file; a missing file fails
// in CI (CI=true) and is skipped elsewhere.
func sharedFile(t testing.TB, name string) string {
	t.Helper()
	return shareddata.Path(t, "dicom/"+name)
}

// codestream returns the JPEG-LS codestream of a single-frame DICOM file
// (its fragments joined) and its BitsAllocated.
func codestream(t testing.TB, name string) ([]byte, int) {
	t.Helper()
	f, err := dicom.ReadFile(sharedFile(t, name))
	if err != nil {
		t.Fatal(err)
	}
	pe, ok := f.DataSet.Get(dicom.PixelData)
	if !ok || len(pe.Fragments) == 0 {
		t.Fatalf("%s: no encapsulated pixel data", name)
	}
	var cs []byte
	for _, fr := range pe.Fragments {
		cs = append(cs, fr...)
	}
	ba, _ := f.DataSet.Int(dicom.BitsAllocated)
	return cs, ba
}

// storedSHA returns the sha256 of the values as stored in BitsAllocated
// bits, little endian, C order (the shared README's rule).
func storedSHA(img *jpegls.Image, bitsAllocated int) string {
	var b []byte
	for _, v := range img.Pix {
		if bitsAllocated == 8 {
			b = append(b, byte(v))
		} else {
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		}
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

var realFiles = []struct {
	name             string
	rows, cols, prec int
	sha              string
}{
	{"MR_small_jpeg_ls_lossless.dcm", 64, 64, 16, "88617aaa46138fb1b6e2a951e762d962382354d69f47f8c04d4abff2f6a6a63e"},
	{"JLSL_08_07_0_1F.dcm", 128, 128, 7, "210dc401f95db43be537b01d15cd4ad5d3d3016ec415a98ac93dd5bd8e5c8393"},
	{"JPEGLSNearLossless_16.dcm", 50, 10, 16, "f929318278115ce952d85c011f752634e266720680e807bd03bf97ded3f0d3e4"},
}

// TestRealFiles decodes the shared JPEG-LS DICOM files to GDCM's (CharLS's)
// stored values.
func TestRealFiles(t *testing.T) {
	for _, tc := range realFiles {
		t.Run(tc.name, func(t *testing.T) {
			cs, ba := codestream(t, tc.name)
			rows, cols, nc, prec, err := jpegls.DecodeConfig(cs)
			if err != nil {
				t.Fatal(err)
			}
			img, err := jpegls.Decode(cs)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%dx%d, %d component(s), %d bits", rows, cols, nc, prec)
			if img.Rows != rows || img.Cols != cols || img.Components != nc || img.Precision != prec {
				t.Errorf("Decode gives %dx%dx%d P=%d, DecodeConfig %dx%dx%d P=%d", img.Rows, img.Cols, img.Components, img.Precision, rows, cols, nc, prec)
			}
			if rows != tc.rows || cols != tc.cols || prec != tc.prec || nc != 1 {
				t.Errorf("size %dx%dx%d P=%d, want %dx%dx1 P=%d", rows, cols, nc, prec, tc.rows, tc.cols, tc.prec)
			}
			if got := storedSHA(img, ba); got != tc.sha {
				t.Errorf("sha256 of stored values %s, want %s", got, tc.sha)
			}
		})
	}
}

// TestDcmtkPairs compares Decode with dcmtk's dcmdjpls on large images when
// LUNGO_JPEGLS_PAIRS names a folder of NAME.dcm (JPEG-LS) and NAME.raw.dcm
// (dcmdjpls's native decode) pairs; scripts/golden/jpegls_dcmtk.sh makes
// them from the shared radiographs and runs this test.
func TestDcmtkPairs(t *testing.T) {
	dir := os.Getenv("LUNGO_JPEGLS_PAIRS")
	if dir == "" {
		t.Skip("LUNGO_JPEGLS_PAIRS not set (see scripts/golden/jpegls_dcmtk.sh)")
	}
	raws, _ := filepath.Glob(filepath.Join(dir, "*.raw.dcm"))
	if len(raws) == 0 {
		t.Fatalf("no *.raw.dcm in %s", dir)
	}
	for _, raw := range raws {
		name := strings.TrimSuffix(raw, ".raw.dcm")
		t.Run(filepath.Base(name), func(t *testing.T) {
			f, err := dicom.ReadFile(name + ".dcm")
			if err != nil {
				t.Fatal(err)
			}
			pe, _ := f.DataSet.Get(dicom.PixelData)
			var cs []byte
			for _, fr := range pe.Fragments {
				cs = append(cs, fr...)
			}
			img, err := jpegls.Decode(cs)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := dicom.ReadFile(raw)
			if err != nil {
				t.Fatal(err)
			}
			re, _ := ref.DataSet.Get(dicom.PixelData)
			ba, _ := ref.DataSet.Int(dicom.BitsAllocated)
			var got []byte
			for _, v := range img.Pix {
				if ba == 8 {
					got = append(got, byte(v))
				} else {
					got = binary.LittleEndian.AppendUint16(got, uint16(v))
				}
			}
			if !bytes.Equal(got, re.Value[:min(len(re.Value), len(got))]) || len(re.Value) < len(got) {
				t.Fatalf("%dx%d: values differ from dcmdjpls's", img.Rows, img.Cols)
			}
			t.Logf("%dx%d P=%d: %d values equal dcmdjpls's", img.Rows, img.Cols, img.Precision, len(img.Pix))
		})
	}
}
