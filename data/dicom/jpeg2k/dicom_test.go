package jpeg2k_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"github.com/lungo-ml/lungo/internal/shareddata"
	"runtime"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/data/dicom/jpeg2k"
)

// sharedFile returns the path of a shared test file; without it the test
// fails in CI (CI=true) and is skipped elsewhere.
func sharedFile(t testing.TB, name string) string {
	t.Helper()
	return shareddata.Path(t, "dicom/"+name)
}

// codestream returns the JPEG 2000 codestream of a single-frame DICOM file:
// its encapsulated pixel data fragments joined.
func codestream(t testing.TB, name string) []byte {
	t.Helper()
	f, err := dicom.ReadFile(sharedFile(t, name))
	if err != nil {
		t.Fatal(err)
	}
	pe, ok := f.DataSet.Get(dicom.PixelData)
	if !ok || len(pe.Fragments) == 0 {
		t.Fatalf("%s: no encapsulated pixel data", name)
	}
	var out []byte
	for _, fr := range pe.Fragments {
		out = append(out, fr...)
	}
	return out
}

// storedSHA is the sha256 of the values as DICOM stores them: 8-bit
// samples as bytes, else little-endian int16/uint16, C order.
func storedSHA(img *jpeg2k.Image, bits int) string {
	var b []byte
	for _, v := range img.Pix {
		if bits == 8 {
			b = append(b, byte(v))
		} else {
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		}
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// The GDCM decodes of ../shared/data/README.md.
var dicomCases = []struct {
	name       string
	rows, cols int
	comps      int
	bits       int // BitsAllocated
	sha        string
	lossy      bool
}{
	{"MR_small_jp2klossless.dcm", 64, 64, 1, 16, "88617aaa46138fb1b6e2a951e762d962382354d69f47f8c04d4abff2f6a6a63e", false},
	{"MR2_J2KR.dcm", 1024, 1024, 1, 16, "7d1a676f3c012d0ca9d4fb9069c5dcca2b0bac014173dba48f0e32b9b49198b3", false},
	{"US1_J2KR.dcm", 480, 640, 3, 8, "e16892020c73095e42ff4cf7368de5206f11012e25feaed53cc2bc614602bb9a", false},
	{"JPEG2000.dcm", 1024, 256, 1, 16, "0b1224a6dcd0dcebb1ae6966270b620a8aecc3e20d7fe5b01504e574e1814ac6", true},
	{"693_J2KI.dcm", 512, 512, 1, 16, "f249f833d5e3cbc361b4ced94aeeb8db7fc7376087b9f395a2ccf2f6f3059268", true},
	{"RG1_J2KI.dcm", 1955, 1841, 1, 16, "88aa9135b12d8582316d1db5c45b4c2c55dd1da74c3c52a80a7be49f145c7149", true},
}

func TestDICOMFiles(t *testing.T) {
	for _, c := range dicomCases {
		t.Run(c.name, func(t *testing.T) {
			cs := codestream(t, c.name)
			img, err := jpeg2k.Decode(cs)
			if err != nil {
				t.Fatal(err)
			}
			if img.Rows != c.rows || img.Cols != c.cols || img.Components != c.comps {
				t.Fatalf("decoded %dx%dx%d, want %dx%dx%d", img.Rows, img.Cols, img.Components, c.rows, c.cols, c.comps)
			}
			if got := storedSHA(img, c.bits); got != c.sha {
				t.Errorf("sha256 %s, want %s (GDCM)", got, c.sha)
			}
		})
	}
}

// TestMemoryRG1 bounds what decoding the 1955x1841 radiograph allocates:
// at most 3x the decoded image at its 16-bit DICOM size (the brief of the
// decoder), counting every allocation, so it bounds the peak too. The
// int32 Pix itself is 2x; the coefficients are decoded in place in it.
func TestMemoryRG1(t *testing.T) {
	cs := codestream(t, "RG1_J2KI.dcm")
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	img, err := jpeg2k.Decode(cs)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&m1)
	alloc := m1.TotalAlloc - m0.TotalAlloc
	image16 := uint64(img.Rows * img.Cols * 2)
	t.Logf("allocated %.1f MB for a %.1f MB 16-bit image (%.2fx; Pix as int32 is 2x)", float64(alloc)/1e6, float64(image16)/1e6, float64(alloc)/float64(image16))
	if alloc > 3*image16 {
		t.Errorf("allocated %d bytes, more than 3x the %d-byte image", alloc, image16)
	}
}
