package dicom

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"github.com/lungo-ml/lungo/internal/shareddata"
	"image"
	"math"
	"os"
	"strings"
	"testing"
)

// sharedDir holds the real test files (see /work/shared/data/README.md).
const sharedDir = "../../../shared/data/dicom"

// sharedFile returns the path of a shared test file; without it the test
// fails in CI (CI=true) and is skipped elsewhere.
func sharedFile(t testing.TB, name string) string {
	t.Helper()
	return shareddata.Path(t, "dicom/"+name)
}

// storedSHA returns the sha256 of the stored values, little endian, C order.
func storedSHA(p *Pixels) string {
	var b bytes.Buffer
	switch {
	case p.U8 != nil:
		b.Write(p.U8)
	case p.I8 != nil:
		binary.Write(&b, binary.LittleEndian, p.I8)
	case p.U16 != nil:
		binary.Write(&b, binary.LittleEndian, p.U16)
	default:
		binary.Write(&b, binary.LittleEndian, p.I16)
	}
	s := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(s[:])
}

func stats(p *Pixels) (lo, hi, mean float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for i := range p.Len() {
		v := p.Stored(i)
		lo, hi = min(lo, v), max(hi, v)
		mean += v
	}
	return lo, hi, mean / float64(p.Len())
}

func TestStoredValuesMatchPydicom(t *testing.T) {
	const mr = "88617aaa46138fb1b6e2a951e762d962382354d69f47f8c04d4abff2f6a6a63e"
	cases := []struct {
		file, syntax     string
		rows, cols       int
		lo, hi, mean     float64
		sha              string
		intercept, slope float64
	}{
		{"CT_small.dcm", ExplicitVRLittleEndian, 128, 128, 128, 2191, 904.926147, "7a481f6ffff833aef4d8bd54819bd8f472aaa7232090208e056c90eacf079926", -1024, 1},
		{"MR_small_implicit.dcm", ImplicitVRLittleEndian, 64, 64, 127, 2145, 518.881348, mr, 0, 1},
		{"MR_small_bigendian.dcm", ExplicitVRBigEndian, 64, 64, 127, 2145, 518.881348, mr, 0, 1},
		{"MR_small_RLE.dcm", RLELossless, 64, 64, 127, 2145, 518.881348, mr, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			f, err := ReadFile(sharedFile(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			if f.Syntax.UID != c.syntax || !f.Known {
				t.Fatalf("syntax %v, want %s", f.Syntax, c.syntax)
			}
			p, err := f.Pixels()
			if err != nil {
				t.Fatal(err)
			}
			if p.Frames != 1 || p.Rows != c.rows || p.Cols != c.cols || p.BitsAllocated != 16 || p.BitsStored != 16 || !p.Signed || p.I16 == nil {
				t.Fatalf("got %d frames %dx%d, %d/%d bits signed=%v", p.Frames, p.Rows, p.Cols, p.BitsAllocated, p.BitsStored, p.Signed)
			}
			if got := storedSHA(p); got != c.sha {
				t.Errorf("stored sha256 %s, want %s", got, c.sha)
			}
			lo, hi, mean := stats(p)
			if lo != c.lo || hi != c.hi || math.Abs(mean-c.mean) > 1e-5 {
				t.Errorf("min/max/mean %v/%v/%.6f, want %v/%v/%.6f", lo, hi, mean, c.lo, c.hi, c.mean)
			}
			if p.RescaleIntercept != c.intercept || p.RescaleSlope != c.slope || p.Photometric != "MONOCHROME2" {
				t.Errorf("rescale %v/%v photometric %q", p.RescaleSlope, p.RescaleIntercept, p.Photometric)
			}
			d := p.Display()
			for _, i := range []int{0, 17, p.Len() - 1} {
				if want := float32(p.Stored(i)*c.slope + c.intercept); d[i] != want {
					t.Errorf("display[%d] = %v, want %v", i, d[i], want)
				}
			}
		})
	}
}

func TestTags(t *testing.T) {
	f, err := ReadFile(sharedFile(t, "CT_small.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.String(StudyInstanceUID); !strings.HasPrefix(got, "1.3.6.1.4.1.5962.1.2.1.20040119072730.") || strings.ContainsAny(got, " \x00") {
		t.Errorf("StudyInstanceUID %q", got)
	}
	if got := f.Meta.String(TransferSyntaxUID); got != ExplicitVRLittleEndian {
		t.Errorf("meta TransferSyntaxUID %q", got)
	}
	if v, ok := f.Int(Rows); !ok || v != 128 {
		t.Errorf("Rows = %v, %v", v, ok)
	}
	if v := f.Floats(PixelSpacing); len(v) != 2 || v[0] != 0.661468 || v[1] != 0.661468 {
		t.Errorf("PixelSpacing = %v", v)
	}
	if v, ok := f.Float(RescaleIntercept); !ok || v != -1024 {
		t.Errorf("RescaleIntercept = %v, %v", v, ok)
	}
	// A private sequence of defined length with two items.
	if e, ok := f.Get(NewTag(0x0010, 0x1002)); !ok || e.VR != "SQ" || len(e.Items) != 2 {
		t.Errorf("(0010,1002) = %+v", e)
	}
	if _, ok := f.Get(NewTag(0x0009, 0x0001)); ok {
		t.Error("Get of an absent tag succeeded")
	}
	if s := Rows.String(); s != "(0028,0010) Rows" {
		t.Errorf("Rows.String() = %q", s)
	}
}

func TestUndefinedLengthSequences(t *testing.T) {
	f, err := ReadFile(sharedFile(t, "JPGExtended.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	e, ok := f.Get(NewTag(0x0008, 0x2112))
	if !ok || e.Length != UndefinedLength || len(e.Items) != 1 {
		t.Fatalf("SourceImageSequence = %+v", e)
	}
	if uid := e.Items[0].String(NewTag(0x0008, 0x1150)); !strings.HasPrefix(uid, "1.2.840.10008.") {
		t.Errorf("item ReferencedSOPClassUID %q", uid)
	}
}

func TestJPEGMonochrome1Stats(t *testing.T) {
	f, err := ReadFile(sharedFile(t, "Fake_MONOHR1.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.Pixels()
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows != 1024 || p.Cols != 1024 || p.U8 == nil || p.Photometric != "MONOCHROME1" {
		t.Fatalf("got %dx%d %q", p.Rows, p.Cols, p.Photometric)
	}
	lo, hi, mean := stats(p)
	// The README's libjpeg statistics; the ISLOW decoder matches exactly
	// (TestJPEGBaselineExactLibjpeg checks the sha256).
	if lo != 0 || hi != 254 || math.Abs(mean-160.398039) > 1e-6 {
		t.Errorf("min/max/mean %v/%v/%.6f, want 0/254/160.398039", lo, hi, mean)
	}
	img, err := ReadGray8File(sharedFile(t, "Fake_MONOHR1.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range p.U8 {
		if img.Pix[i] != 255-v {
			t.Fatalf("ReadGray8File pixel %d = %d, want 255-%d (MONOCHROME1)", i, img.Pix[i], v)
		}
	}
	d := p.Display()
	if d[0] != float32(255-int(p.U8[0])) {
		t.Errorf("display[0] = %v, stored %d", d[0], p.U8[0])
	}
}

func TestClearErrors(t *testing.T) {
	cases := []struct {
		file  string
		parse bool // the error comes from parsing, not from Pixels
		want  []string
	}{
		{"MR_truncated.dcm", true, []string{"offset 1488", "(7FE0,0010) PixelData", "value length 8192 exceeds the 8130 bytes left"}},
		{"no_meta.dcm", true, []string{"offset 128", `no "DICM" prefix`, "ParseDataSet"}},
	}
	for _, c := range cases {
		f, err := ReadFile(sharedFile(t, c.file))
		if c.parse != (err != nil) {
			t.Fatalf("%s: parse error %v, want one: %v", c.file, err, c.parse)
		}
		if err == nil {
			_, err = f.Pixels()
			var ue *UnsupportedError
			if !errors.As(err, &ue) {
				t.Fatalf("%s: Pixels error %v, want *UnsupportedError", c.file, err)
			}
		} else {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("%s: error %v, want *ParseError", c.file, err)
			}
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.file, err, w)
			}
		}
	}
	if img, err := ReadGray8File(sharedFile(t, "CT_small.dcm")); err != nil || img.Rect.Dx() != 128 || img.Rect.Dy() != 128 {
		t.Errorf("ReadGray8File(CT_small): %v, want a 128x128 display image (16-bit signed, auto window)", err)
	}
}

// testImage returns a smooth gradient with a disc, which JPEG keeps close.
func testImage(rows, cols int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, cols, rows))
	for y := range rows {
		for x := range cols {
			v := 40 + 150*x/cols + 40*y/rows
			dx, dy := x-cols/2, y-rows/2
			if dx*dx+dy*dy < rows*cols/16 {
				v += 30
			}
			img.Pix[y*img.Stride+x] = uint8(v)
		}
	}
	return img
}

var testMeta = SecondaryCapture{
	SOPInstanceUID:    "1.2.276.0.7230010.3.1.4.8323329.1000.1517875165.878027",
	StudyInstanceUID:  "1.2.276.0.7230010.3.1.2.8323329.1000.1517875165.878026",
	SeriesInstanceUID: "1.2.276.0.7230010.3.1.3.8323329.1000.1517875165.878025",
	PatientID:         "17d405a3-a0d2-4901-b33a-63906aa48d9f",
	PatientName:       "17d405a3-a0d2-4901-b33a-63906aa48d9f",
	PatientSex:        "M",
	PatientAge:        "62",
	ViewPosition:      "PA",
	PixelSpacing:      [2]float64{0.168, 0.168},
}

func TestWriteJPEGSecondaryCaptureRoundTrip(t *testing.T) {
	for _, size := range [][2]int{{64, 48}, {33, 17}, {1, 1}} {
		img := testImage(size[0], size[1])
		var buf bytes.Buffer
		if err := WriteJPEGSecondaryCapture(&buf, img, testMeta); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		if string(b[128:132]) != "DICM" || !bytes.Equal(b[:128], make([]byte, 128)) {
			t.Fatal("no zero preamble and DICM")
		}
		f, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		if f.Syntax.UID != JPEGBaseline8Bit || f.Meta.String(MediaStorageSOPClassUID) != SecondaryCaptureSOPClass {
			t.Fatalf("syntax %v, class %q", f.Syntax, f.Meta.String(MediaStorageSOPClassUID))
		}
		if gl, _ := f.Meta.Int(FileMetaInformationGroupLength); gl != int(f.Elements[0].Offset)-144 {
			t.Errorf("meta group length %d, data set starts at %d", gl, f.Elements[0].Offset)
		}
		for tag, want := range map[Tag]string{
			SOPInstanceUID: testMeta.SOPInstanceUID, StudyInstanceUID: testMeta.StudyInstanceUID,
			SeriesInstanceUID: testMeta.SeriesInstanceUID, PatientID: testMeta.PatientID,
			PatientName: testMeta.PatientName, PatientSex: "M", PatientAge: "62", ViewPosition: "PA",
			Modality: "CR", BodyPartExamined: "CHEST", PixelSpacing: `0.168\0.168`,
			PhotometricInterpretation: "MONOCHROME2", SOPClassUID: SecondaryCaptureSOPClass,
			MediaStorageSOPInstanceUID: testMeta.SOPInstanceUID,
		} {
			ds := f.DataSet
			if tag.Group() == 2 {
				ds = f.Meta
			}
			if got := ds.String(tag); got != want {
				t.Errorf("%v = %q, want %q", tag, got, want)
			}
		}
		for tag, want := range map[Tag]int{Rows: size[0], Columns: size[1], SamplesPerPixel: 1, BitsAllocated: 8, BitsStored: 8, HighBit: 7, PixelRepresentation: 0} {
			if got, ok := f.Int(tag); !ok || got != want {
				t.Errorf("%v = %d, want %d", tag, got, want)
			}
		}
		pe, _ := f.Get(PixelData)
		if pe.Length != UndefinedLength || len(pe.OffsetTable) != 0 || len(pe.Fragments) != 1 || len(pe.Fragments[0])%2 != 0 {
			t.Fatalf("pixel data: length %x, %d offsets, %d fragments", pe.Length, len(pe.OffsetTable), len(pe.Fragments))
		}
		// Pixels come back exactly as image/jpeg decodes the fragment, and
		// within JPEG's loss of the original.
		got, err := f.Gray8()
		if err != nil {
			t.Fatal(err)
		}
		want, err := decodeJPEG(nil, pe.Fragments[0], size[0], size[1])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Pix, want) {
			t.Error("read pixels differ from the JPEG decode of the fragment")
		}
		var sum float64
		for i := range got.Pix {
			sum += math.Abs(float64(got.Pix[i]) - float64(img.Pix[i]))
		}
		if mae := sum / float64(len(got.Pix)); mae > 2 {
			t.Errorf("%v: mean abs error %.2f after JPEG q95, want <= 2", size, mae)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	img := testImage(8, 8)
	bad := testMeta
	bad.StudyInstanceUID = "1.2.x"
	if err := WriteJPEGSecondaryCapture(&bytes.Buffer{}, img, bad); err == nil || !strings.Contains(err.Error(), "StudyInstanceUID") {
		t.Errorf("bad UID: %v", err)
	}
	bad = testMeta
	bad.Quality = 101
	if err := WriteJPEGSecondaryCapture(&bytes.Buffer{}, img, bad); err == nil {
		t.Error("quality 101 accepted")
	}
}

// TestParseDataSetNoMeta reads no_meta.dcm (CT_small's data set after one
// stray byte, without preamble or meta group) with ParseDataSet.
func TestParseDataSetNoMeta(t *testing.T) {
	b, err := os.ReadFile(sharedFile(t, "no_meta.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseDataSet(b, ExplicitVRLittleEndian); err == nil {
		t.Error("parsing from the stray byte succeeded")
	}
	f, err := ParseDataSet(b[1:], ExplicitVRLittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.Pixels()
	if err != nil {
		t.Fatal(err)
	}
	if got := storedSHA(p); got != "7a481f6ffff833aef4d8bd54819bd8f472aaa7232090208e056c90eacf079926" {
		t.Errorf("stored sha256 %s, want CT_small's", got)
	}
	if len(f.Meta.Elements) != 0 || f.Syntax.UID != ExplicitVRLittleEndian {
		t.Errorf("meta %d elements, syntax %v", len(f.Meta.Elements), f.Syntax)
	}
}
