package pacs

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom"
)

// Test inputs: real radiographs (SIIM-ACR, 8-bit JPEG Secondary Captures)
// and a 16-bit CT slice.
var (
	siimGlob = filepath.Join("..", "..", "shared", "data", "siim-real", "dicom", "*.dcm")
	ctSmall  = filepath.Join("..", "..", "shared", "data", "dicom", "CT_small.dcm")
)

// source is a test DICOM file and the UIDs read from it by lungo's reader.
type source struct {
	path                                string
	bytes                               []byte
	sopClass, sop, series, study, patID string
}

func loadSource(t *testing.T, path string) source {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("test data: %v", err)
	}
	f, err := dicom.Parse(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	s := source{path: path, bytes: b, sopClass: f.String(dicom.SOPClassUID), sop: f.String(dicom.SOPInstanceUID),
		series: f.String(dicom.SeriesInstanceUID), study: f.String(dicom.StudyInstanceUID), patID: f.String(dicom.PatientID)}
	if s.sop == "" || s.study == "" {
		t.Fatalf("%s: no SOP or Study Instance UID", path)
	}
	return s
}

func siimSources(t *testing.T) []source {
	t.Helper()
	paths, _ := filepath.Glob(siimGlob)
	if len(paths) < 2 {
		t.Skipf("test data: want 2 files matching %s, found %d", siimGlob, len(paths))
	}
	sort.Strings(paths)
	var out []source
	for _, p := range paths[:2] {
		out = append(out, loadSource(t, p))
	}
	return out
}

// el is one data element for encode: a value, or the items of a sequence.
type el struct {
	tag   uint32
	vr    string
	value string
	items [][]el
}

// encode writes a DICOM Part-10 file (explicit VR little endian) holding
// the elements, which must be in ascending tag order. It stands in for
// lungo's SEG writer: Orthanc needs no pixel data to store an instance.
func encode(sopClass, sop string, ds []el) []byte {
	meta := encodeSet([]el{
		{tag: 0x00020001, vr: "OB", value: "\x00\x01"},
		{tag: 0x00020002, vr: "UI", value: sopClass},
		{tag: 0x00020003, vr: "UI", value: sop},
		{tag: 0x00020010, vr: "UI", value: "1.2.840.10008.1.2.1"},
	})
	out := make([]byte, 128, 1024)
	out = append(out, "DICM"...)
	out = appendHeader(out, 0x00020000, "UL", 4)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(meta)))
	out = append(out, meta...)
	return append(out, encodeSet(ds)...)
}

func encodeSet(ds []el) []byte {
	var out []byte
	for _, e := range ds {
		if e.vr == "SQ" {
			out = appendHeader(out, e.tag, "SQ", 0xFFFFFFFF)
			for _, it := range e.items {
				out = appendTag(out, 0xFFFEE000)
				out = binary.LittleEndian.AppendUint32(out, 0xFFFFFFFF)
				out = append(out, encodeSet(it)...)
				out = appendTag(out, 0xFFFEE00D)
				out = binary.LittleEndian.AppendUint32(out, 0)
			}
			out = appendTag(out, 0xFFFEE0DD)
			out = binary.LittleEndian.AppendUint32(out, 0)
			continue
		}
		v := []byte(e.value)
		if len(v)%2 == 1 {
			pad := byte(' ')
			if e.vr == "UI" || e.vr == "OB" {
				pad = 0
			}
			v = append(v, pad)
		}
		out = appendHeader(out, e.tag, e.vr, uint32(len(v)))
		out = append(out, v...)
	}
	return out
}

func appendTag(b []byte, tag uint32) []byte {
	b = binary.LittleEndian.AppendUint16(b, uint16(tag>>16))
	return binary.LittleEndian.AppendUint16(b, uint16(tag))
}

func appendHeader(b []byte, tag uint32, vr string, n uint32) []byte {
	b = appendTag(b, tag)
	b = append(b, vr...)
	switch vr {
	case "OB", "OW", "SQ", "UN", "UT", "UC", "UR":
		b = append(b, 0, 0)
		return binary.LittleEndian.AppendUint32(b, n)
	}
	return binary.LittleEndian.AppendUint16(b, uint16(n))
}

// fakeResult is a SEG-shaped instance derived from src, referencing it
// the way a DICOM Segmentation does (Referenced Series Sequence >
// Referenced Instance Sequence, and Shared Functional Groups > Derivation
// Image > Source Image), in src's patient and study.
func fakeResult(src source, sop, series, manufacturer string) []byte {
	ref := []el{
		{tag: 0x00081150, vr: "UI", value: src.sopClass},
		{tag: 0x00081155, vr: "UI", value: src.sop},
	}
	return encode(SegmentationSOPClass, sop, []el{
		{tag: 0x00080016, vr: "UI", value: SegmentationSOPClass},
		{tag: 0x00080018, vr: "UI", value: sop},
		{tag: 0x00080060, vr: "CS", value: "SEG"},
		{tag: 0x00080070, vr: "LO", value: manufacturer},
		{tag: 0x0008103E, vr: "LO", value: "lungo pneumothorax"},
		{tag: 0x00081115, vr: "SQ", items: [][]el{{
			{tag: 0x0008114A, vr: "SQ", items: [][]el{ref}},
			{tag: 0x0020000E, vr: "UI", value: src.series},
		}}},
		{tag: 0x00100020, vr: "LO", value: src.patID},
		{tag: 0x0020000D, vr: "UI", value: src.study},
		{tag: 0x0020000E, vr: "UI", value: series},
		{tag: 0x52009229, vr: "SQ", items: [][]el{{
			{tag: 0x00089124, vr: "SQ", items: [][]el{{
				{tag: 0x00082112, vr: "SQ", items: [][]el{ref}},
			}}},
		}}},
	})
}

// TestEncode checks the stand-in writer with lungo's reader.
func TestEncode(t *testing.T) {
	src := source{sopClass: SecondaryCaptureSOPClass, sop: "1.2.3.4", series: "1.2.3", study: "1.2", patID: "p1"}
	b := fakeResult(src, "2.25.1", "2.25.2", "lungo")
	f, err := dicom.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.String(dicom.SOPInstanceUID); got != "2.25.1" {
		t.Errorf("SOPInstanceUID %q", got)
	}
	if got := f.String(dicom.StudyInstanceUID); got != "1.2" {
		t.Errorf("StudyInstanceUID %q", got)
	}
	e, ok := f.Get(dicom.NewTag(0x0008, 0x1115))
	if !ok || len(e.Items) != 1 {
		t.Fatalf("ReferencedSeriesSequence: %v %+v", ok, e)
	}
}
