package seg

import (
	"bytes"
	"encoding/binary"
	"github.com/lungo-ml/lungo/internal/shareddata"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/lungo-ml/lungo/data/dicom"
)

// sharedFile returns the path of a shared test file; without it the test
// fails in CI (CI=true) and is skipped elsewhere.
func sharedFile(t testing.TB, rel string) string {
	t.Helper()
	return shareddata.Path(t, rel)
}

// Source UIDs of the synthetic sources.
const (
	testStudyUID  = "1.2.826.0.1.3680043.2.1125.1"
	testSeriesUID = "1.2.826.0.1.3680043.2.1125.2"
	testSOPUID    = "1.2.826.0.1.3680043.2.1125.3"
)

// testOptions are fixed options: a seeded UID source and a fixed clock, so
// that writes are reproducible.
func testOptions(seed uint64) Options {
	return Options{
		AlgorithmVersion: "1.2.3",
		ModelHash:        "deadbeef",
		Rand:             seeded(seed),
		Now:              time.Date(2026, 12, 7, 9, 5, 3, 120000000, time.FixedZone("CET", 3600)),
	}
}

// seeded returns a reproducible stream of random bytes.
func seeded(seed uint64) io.Reader {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return rand.NewChaCha8(s)
}

// del removes an element (tests build sources without some of them).
func (d *dataSet) del(t dicom.Tag) {
	d.elems = slices.DeleteFunc(d.elems, func(e element) bool { return e.tag == t })
}

// sourceDataSet returns a single-frame native 8-bit radiograph of rows x
// cols as a Secondary Capture, pixels v = (3y + x) mod 256.
func sourceDataSet(rows, cols int) *dataSet {
	d := &dataSet{}
	d.str(dicom.SpecificCharacterSet, "CS", "ISO_IR 100")
	d.str(dicom.SOPClassUID, "UI", SecondaryCaptureSOPClass)
	d.str(dicom.SOPInstanceUID, "UI", testSOPUID)
	d.str(dicom.StudyDate, "DA", "20190102")
	d.str(dicom.StudyTime, "TM", "101500")
	d.str(dicom.AccessionNumber, "SH", "ACC1")
	d.str(dicom.Modality, "CS", "DX")
	d.str(dicom.ConversionType, "CS", "WSD")
	d.str(dicom.ReferringPhysician, "PN", "")
	d.str(dicom.PatientName, "PN", "Doe^Jane")
	d.str(dicom.PatientID, "LO", "P-001")
	d.str(dicom.PatientBirthDate, "DA", "19700101")
	d.str(dicom.PatientSex, "CS", "F")
	d.str(dicom.PatientAge, "AS", "56")
	d.str(dicom.BodyPartExamined, "CS", "CHEST")
	d.str(dicom.StudyInstanceUID, "UI", testStudyUID)
	d.str(dicom.SeriesInstanceUID, "UI", testSeriesUID)
	d.str(dicom.StudyID, "SH", "S1")
	d.is(dicom.SeriesNumber, 1)
	d.is(dicom.InstanceNumber, 1)
	d.str(dicom.PatientOrientation, "CS", "L", "F")
	d.us(dicom.SamplesPerPixel, 1)
	d.str(dicom.PhotometricInterpretation, "CS", "MONOCHROME2")
	d.us(dicom.Rows, uint16(rows))
	d.us(dicom.Columns, uint16(cols))
	d.str(dicom.PixelSpacing, "DS", "0.14300000000000002", "0.143")
	d.us(dicom.BitsAllocated, 8)
	d.us(dicom.BitsStored, 8)
	d.us(dicom.HighBit, 7)
	d.us(dicom.PixelRepresentation, 0)
	px := make([]byte, rows*cols)
	for i := range px {
		px[i] = byte(3*(i/cols) + i%cols)
	}
	d.bin(dicom.PixelData, "OB", px)
	return d
}

// parseDataSet writes d as a Part-10 file and parses it.
func parseDataSet(t testing.TB, d *dataSet) *dicom.File {
	t.Helper()
	var buf bytes.Buffer
	sop := string(elementValue(d, dicom.SOPInstanceUID))
	if sop == "" {
		sop = "1.2.3"
	}
	class := string(elementValue(d, dicom.SOPClassUID))
	if class == "" {
		class = "1.2.3"
	}
	if err := writePart10(&buf, class, sop, d); err != nil {
		t.Fatal(err)
	}
	f, err := dicom.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func elementValue(d *dataSet, tag dicom.Tag) []byte {
	for _, e := range d.elems {
		if e.tag == tag {
			return e.value
		}
	}
	return nil
}

// testSource returns sourceDataSet(rows, cols), changed by mod, parsed.
func testSource(t testing.TB, rows, cols int, mod func(d *dataSet)) *dicom.File {
	t.Helper()
	d := sourceDataSet(rows, cols)
	if mod != nil {
		mod(d)
	}
	return parseDataSet(t, d)
}

// randomMask returns a rows x cols mask with about a fraction p set, with
// values other than 1 among the set ones (nonzero means inside).
func randomMask(rng *rand.Rand, rows, cols int, p float64) []uint8 {
	m := make([]uint8, rows*cols)
	for i := range m {
		if rng.Float64() < p {
			m[i] = uint8(1 + rng.IntN(255))
		}
	}
	return m
}

// binarize maps nonzero to 1.
func binarize(m []uint8) []uint8 {
	out := make([]uint8, len(m))
	for i, v := range m {
		if v != 0 {
			out[i] = 1
		}
	}
	return out
}

// writeSEG writes a SEG and parses it.
func writeSEG(t testing.TB, src *dicom.File, mask []uint8, rows, cols int, opt Options) (*dicom.File, []byte) {
	t.Helper()
	var buf bytes.Buffer
	uid, err := WriteSegmentation(&buf, src, mask, rows, cols, opt)
	if err != nil {
		t.Fatal(err)
	}
	f, err := dicom.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got := f.String(dicom.SOPInstanceUID); got != uid {
		t.Fatalf("SOPInstanceUID %q, WriteSegmentation returned %q", got, uid)
	}
	return f, buf.Bytes()
}

// item returns the first item of sequence tag in ds, failing the test when
// it is missing.
func item(t testing.TB, ds *dicom.DataSet, tag dicom.Tag) *dicom.DataSet {
	t.Helper()
	it := firstItem(ds, tag)
	if it == nil {
		t.Fatalf("sequence %v missing or empty", tag)
	}
	return it
}
