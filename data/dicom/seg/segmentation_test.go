package seg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/data/siim"
)

// Masks of every size around byte boundaries come back bit for bit.
func TestRoundTripSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := [][2]int{{1, 1}, {1, 7}, {1, 8}, {1, 9}, {7, 1}, {8, 1}, {9, 1}, {2, 3}, {3, 5}, {7, 9}, {8, 8}, {5, 13}, {16, 15}, {37, 53}, {64, 65}}
	for _, sz := range sizes {
		rows, cols := sz[0], sz[1]
		src := testSource(t, rows, cols, nil)
		for _, p := range []float64{0, 0.3, 1} {
			mask := randomMask(rng, rows, cols, p)
			f, _ := writeSEG(t, src, mask, rows, cols, testOptions(7))
			r, c, got, err := ReadMask(f)
			if err != nil {
				t.Fatalf("%dx%d p=%g: %v", rows, cols, p, err)
			}
			if r != rows || c != cols || !slices.Equal(got, binarize(mask)) {
				t.Fatalf("%dx%d p=%g: read back %dx%d, differs from the mask", rows, cols, p, r, c)
			}
			// The packed bytes: ceil(n/8), padded to even, pad bits zero.
			px, _ := f.Get(dicom.PixelData)
			n := rows * cols
			want := (n + 7) / 8
			want += want % 2
			if len(px.Value) != want || px.VR != "OB" {
				t.Fatalf("%dx%d: pixel data %s of %d bytes, want OB of %d", rows, cols, px.VR, len(px.Value), want)
			}
			for j := n; j < 8*len(px.Value); j++ {
				if px.Value[j/8]>>(j%8)&1 != 0 {
					t.Fatalf("%dx%d: padding bit %d is set", rows, cols, j)
				}
			}
		}
	}
}

// Bit order is PS3.5 8.1.1's: pixel i in bit i%8 of byte i/8.
func TestPackBitsLayout(t *testing.T) {
	mask := []uint8{1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 7}
	got := packBits(mask)
	if want := []byte{0x01, 0x02, 0x04}; !bytes.Equal(got, want) {
		t.Fatalf("packBits = % x, want % x", got, want)
	}
}

// The SEG made from a real SIIM radiograph and its label: the mask comes
// back, and the attributes are what the IOD and the source say.
func TestRealSIIM(t *testing.T) {
	const id = "1.2.276.0.7230010.3.1.4.8323329.307.1517875162.311533"
	src, err := dicom.ReadFile(sharedFile(t, "siim-real/dicom/"+id+".dcm"))
	if err != nil {
		t.Fatal(err)
	}
	labels, err := siim.ReadLabelsFile(sharedFile(t, "siim-real/labels.csv"), 1024, 1024)
	if err != nil {
		t.Fatal(err)
	}
	m, err := labels.Get(id).Mask(1024, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if m.Count() == 0 {
		t.Fatal("expected a positive label")
	}
	f, _ := writeSEG(t, src, m.Pix, 1024, 1024, testOptions(1))
	rows, cols, got, err := ReadMask(f)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 1024 || cols != 1024 || !slices.Equal(got, m.Pix) {
		t.Fatal("SIIM mask does not come back bit for bit")
	}
	for tag, want := range map[dicom.Tag]string{
		dicom.SOPClassUID:           SegmentationSOPClass,
		dicom.Modality:              "SEG",
		dicom.StudyInstanceUID:      src.String(dicom.StudyInstanceUID),
		dicom.PatientID:             src.String(dicom.PatientID),
		dicom.PatientName:           src.String(dicom.PatientName),
		dicom.StudyDate:             "19010101",
		dicom.PatientAge:            "029Y",
		dicom.BodyPartExamined:      "CHEST",
		dicom.LossyImageCompression: "01",
		dicom.SeriesNumber:          "9901",
		dicom.InstanceNumber:        "1",
		dicom.ContentDate:           "20261207",
		dicom.ContentTime:           "090503.120000",
		tagTimezoneOffsetFromUTC:    "+0100",
		tagSegmentationType:         "BINARY",
		dicom.BitsAllocated:         "1",
		dicom.NumberOfFrames:        "1",
		dicom.Manufacturer:          "lungo",
		tagSoftwareVersions:         "1.2.3",
		dicom.FrameOfReferenceUID:   "", // SIIM has none, and none is invented
	} {
		if got := f.String(tag); got != want {
			t.Errorf("%v = %q, want %q", tag, got, want)
		}
	}
	if f.String(dicom.SeriesInstanceUID) == src.String(dicom.SeriesInstanceUID) {
		t.Error("the SEG reuses the source's series")
	}
	pm := item(t, item(t, f.DataSet, tagSharedFunctionalGroups), tagPixelMeasuresSeq)
	if e, _ := pm.Get(dicom.PixelSpacing); string(e.Value) != `0.143\0.143 ` {
		t.Errorf("PixelSpacing %q, want 0.143\\0.143 (reformatted from SIIM's 19 characters)", e.Value)
	}
	frames := item(t, f.DataSet, tagPerFrameFunctionalGroups)
	si := item(t, item(t, frames, tagDerivationImageSeq), tagSourceImageSeq)
	if si.String(tagReferencedSOPInstanceUID) != id || si.String(tagReferencedSOPClassUID) != src.String(dicom.SOPClassUID) {
		t.Error("Source Image Sequence does not reference the source")
	}
	series := item(t, f.DataSet, tagReferencedSeriesSeq)
	inst := item(t, series, tagReferencedInstanceSeq)
	if series.String(dicom.SeriesInstanceUID) != src.String(dicom.SeriesInstanceUID) || inst.String(tagReferencedSOPInstanceUID) != id {
		t.Error("Referenced Series Sequence does not reference the source")
	}
	segment := item(t, f.DataSet, tagSegmentSeq)
	for tag, want := range map[dicom.Tag]string{
		tagSegmentLabel: "Pneumothorax", tagSegmentAlgorithmType: "AUTOMATIC", tagSegmentAlgorithmName: "lungo", tagSegmentNumber: "1",
	} {
		if got := segment.String(tag); got != want {
			t.Errorf("segment %v = %q, want %q", tag, got, want)
		}
	}
	typ := item(t, segment, tagSegmentedPropertyType)
	cat := item(t, segment, tagSegmentedPropertyCategory)
	if typ.String(tagCodeValue) != "36118008" || typ.String(tagCodingSchemeDesignator) != "SCT" || cat.String(tagCodeValue) != "49755003" {
		t.Error("segment codes are not SCT 36118008 / 49755003")
	}
	alg := item(t, segment, tagSegmentationAlgorithmID)
	if alg.String(tagAlgorithmName) != "lungo" || alg.String(tagAlgorithmVersion) != "1.2.3" || alg.String(tagAlgorithmParameters) != "model_sha256=deadbeef" {
		t.Errorf("algorithm identification %q %q %q", alg.String(tagAlgorithmName), alg.String(tagAlgorithmVersion), alg.String(tagAlgorithmParameters))
	}
}

// CT_small has a Frame of Reference and full geometry: all of it is carried
// over, and the dimensions index the image position too.
func TestGeometryCarriedOver(t *testing.T) {
	src, err := dicom.ReadFile(sharedFile(t, "dicom/CT_small.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	mask := make([]uint8, 128*128)
	mask[5*128+7] = 1
	f, _ := writeSEG(t, src, mask, 128, 128, testOptions(2))
	if got, want := f.String(dicom.FrameOfReferenceUID), src.String(dicom.FrameOfReferenceUID); got != want || want == "" {
		t.Errorf("FrameOfReferenceUID %q, want %q", got, want)
	}
	shared := item(t, f.DataSet, tagSharedFunctionalGroups)
	frame := item(t, f.DataSet, tagPerFrameFunctionalGroups)
	for _, c := range []struct {
		ds   *dicom.DataSet
		tag  dicom.Tag
		want []float64
	}{
		{item(t, shared, tagPixelMeasuresSeq), dicom.PixelSpacing, src.Floats(dicom.PixelSpacing)},
		{item(t, shared, tagPixelMeasuresSeq), dicom.SliceThickness, src.Floats(dicom.SliceThickness)},
		{item(t, shared, tagPlaneOrientationSeq), dicom.ImageOrientationPatient, src.Floats(dicom.ImageOrientationPatient)},
		{item(t, frame, tagPlanePositionSeq), dicom.ImagePositionPatient, src.Floats(dicom.ImagePositionPatient)},
	} {
		if got := c.ds.Floats(c.tag); len(c.want) == 0 || !slices.Equal(got, c.want) {
			t.Errorf("%v = %v, want %v", c.tag, got, c.want)
		}
	}
	if got := item(t, frame, tagFrameContentSeq).Floats(tagDimensionIndexValues); !slices.Equal(got, []float64{1, 1}) {
		t.Errorf("DimensionIndexValues %v, want [1 1]", got)
	}
	idx, _ := f.Get(tagDimensionIndexSeq)
	if len(idx.Items) != 2 || idx.Items[1].String(tagDimensionIndexPointer) != dicom.ImagePositionPatient.String() {
		t.Errorf("Dimension Index Sequence: %d items", len(idx.Items))
	}
	// No Patient Orientation when an Image Orientation is present.
	if _, ok := f.Get(dicom.PatientOrientation); ok {
		t.Error("Patient Orientation written beside an Image Orientation")
	}
	_, _, got, err := ReadMask(f)
	if err != nil || !slices.Equal(got, mask) {
		t.Fatalf("mask does not come back: %v", err)
	}
}

// A negative finding is a SEG with the segment and an all-zero frame.
func TestNegativeFinding(t *testing.T) {
	src := testSource(t, 10, 12, nil)
	f, _ := writeSEG(t, src, make([]uint8, 120), 10, 12, testOptions(3))
	if item(t, f.DataSet, tagSegmentSeq).String(tagSegmentLabel) != SegmentLabel {
		t.Error("the negative SEG lacks its segment")
	}
	px, _ := f.Get(dicom.PixelData)
	if len(px.Value) != 16 || bytes.Count(px.Value, []byte{0}) != 16 {
		t.Errorf("pixel data % x, want 16 zero bytes", px.Value)
	}
	_, _, got, err := ReadMask(f)
	if err != nil || slices.Contains(got, 1) || len(got) != 120 {
		t.Fatalf("negative mask read back wrong: %v", err)
	}
}

// The encoding: ascending tags in every data set, even lengths, padding by
// VR, defined lengths, a correct file meta group.
func TestEncodingWellFormed(t *testing.T) {
	src := testSource(t, 5, 7, nil)
	mask := randomMask(rand.New(rand.NewPCG(3, 4)), 5, 7, 0.5)
	var seg, sc bytes.Buffer
	if _, err := WriteSegmentation(&seg, src, mask, 5, 7, testOptions(4)); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteOverlay(&sc, src, nil, mask, 5, 7, testOptions(5)); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"SEG": seg.Bytes(), "SC": sc.Bytes()} {
		t.Run(name, func(t *testing.T) {
			f, err := dicom.Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b[:128], make([]byte, 128)) || string(b[128:132]) != "DICM" {
				t.Error("bad preamble")
			}
			gl, ok := f.Meta.Int(dicom.FileMetaInformationGroupLength)
			if !ok || 132+12+gl != int(f.Elements[0].Offset) {
				t.Errorf("group length %d; the data set starts at %d", gl, f.Elements[0].Offset)
			}
			for tag, want := range map[dicom.Tag]string{
				dicom.TransferSyntaxUID:          dicom.ExplicitVRLittleEndian,
				dicom.MediaStorageSOPInstanceUID: f.String(dicom.SOPInstanceUID),
				dicom.MediaStorageSOPClassUID:    f.String(dicom.SOPClassUID),
				dicom.ImplementationClassUID:     implementationClassUID,
				dicom.ImplementationVersionName:  implementationVersionName,
			} {
				if got := f.Meta.String(tag); got != want {
					t.Errorf("meta %v = %q, want %q", tag, got, want)
				}
			}
			checkDataSet(t, f.Meta, "meta")
			checkDataSet(t, f.DataSet, "")
		})
	}
}

// checkDataSet checks ascending tags, even lengths, padding and defined
// lengths, recursively.
func checkDataSet(t *testing.T, ds *dicom.DataSet, path string) {
	t.Helper()
	for i, e := range ds.Elements {
		where := fmt.Sprintf("%s/%v", path, e.Tag)
		if i > 0 && e.Tag <= ds.Elements[i-1].Tag {
			t.Errorf("%s follows %v: tags not ascending", where, ds.Elements[i-1].Tag)
		}
		if e.Length == dicom.UndefinedLength {
			t.Errorf("%s: undefined length", where)
		}
		if e.VR == "SQ" {
			for k, it := range e.Items {
				checkDataSet(t, it, fmt.Sprintf("%s[%d]", where, k))
			}
			continue
		}
		if len(e.Value)%2 != 0 {
			t.Errorf("%s: odd length %d", where, len(e.Value))
		}
		v := e.Value
		if len(v) == 0 {
			continue
		}
		last := v[len(v)-1]
		switch e.VR {
		case "UI":
			if last != 0 && (last < '0' || last > '9') {
				t.Errorf("%s: UI %q padded with %q", where, v, last)
			}
			if err := checkUID(strings.TrimRight(string(v), "\x00")); err != nil {
				t.Errorf("%s: %q: %v", where, v, err)
			}
		case "AE", "AS", "CS", "DA", "DS", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UT":
			if last == 0 {
				t.Errorf("%s: %s %q padded with NUL", where, e.VR, v)
			}
			max := map[string]int{"AS": 4, "CS": 16, "DA": 8, "DS": 16, "IS": 12, "LO": 64, "SH": 16, "TM": 14}[e.VR]
			for _, s := range e.Strings() {
				if max > 0 && len(s) > max {
					t.Errorf("%s: %s value %q longer than %d", where, e.VR, s, max)
				}
			}
		}
	}
}

// The same options (seeded randomness, fixed clock) give the same bytes.
func TestDeterministic(t *testing.T) {
	src := testSource(t, 4, 4, nil)
	mask := []uint8{0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0}
	_, a := writeSEG(t, src, mask, 4, 4, testOptions(9))
	_, b := writeSEG(t, src, mask, 4, 4, testOptions(9))
	_, c := writeSEG(t, src, mask, 4, 4, testOptions(10))
	if !bytes.Equal(a, b) {
		t.Error("equal options gave different files")
	}
	if bytes.Equal(a, c) {
		t.Error("different random seeds gave the same UIDs")
	}
}

// Every argument error is an error naming the problem, never a panic.
func TestWriteErrors(t *testing.T) {
	src := testSource(t, 4, 6, nil)
	mask := make([]uint8, 24)
	opt := testOptions(1)
	type writeCase struct {
		name       string
		src        *dicom.File
		mask       []uint8
		rows, cols int
		opt        func(*Options)
		want       string
	}
	cases := []writeCase{
		{"nil source", nil, mask, 4, 6, nil, "source is nil"},
		{"short mask", src, mask[:23], 4, 6, nil, "mask has 23 values"},
		{"transposed", src, mask, 6, 4, nil, "mask is 6x4 but source"},
		{"zero rows", src, nil, 0, 6, nil, "mask has 0 values"},
		{"no version", src, mask, 4, 6, func(o *Options) { o.AlgorithmVersion = "" }, "AlgorithmVersion is empty"},
		{"backslash", src, mask, 4, 6, func(o *Options) { o.Manufacturer = `a\b` }, "Options.Manufacturer"},
		{"non-ASCII", src, mask, 4, 6, func(o *Options) { o.AlgorithmName = "lüngo" }, "Options.AlgorithmName"},
		{"too long", src, mask, 4, 6, func(o *Options) { o.SeriesDescription = strings.Repeat("x", 65) }, "longer than 64"},
		{"bad root", src, mask, 4, 6, func(o *Options) { o.UIDRoot = "1.02.3" }, "leading zero"},
		{"long root", src, mask, 4, 6, func(o *Options) { o.UIDRoot = "1." + strings.Repeat("2", 50) }, "too long"},
		{"bad sop UID", src, mask, 4, 6, func(o *Options) { o.SOPInstanceUID = "1.2.x" }, "Options UID"},
		{"same UIDs", src, mask, 4, 6, func(o *Options) { o.SOPInstanceUID, o.SeriesInstanceUID = "1.2.3", "1.2.3" }, "both"},
		{"negative series", src, mask, 4, 6, func(o *Options) { o.SeriesNumber = -1 }, "must not be negative"},
		{"no randomness", src, mask, 4, 6, func(o *Options) { o.Rand = bytes.NewReader(nil) }, "read random bits"},
	}
	for _, dropped := range []dicom.Tag{dicom.SOPInstanceUID, dicom.SOPClassUID, dicom.StudyInstanceUID, dicom.SeriesInstanceUID, dicom.Rows} {
		s := testSource(t, 4, 6, func(d *dataSet) { d.del(dropped) })
		cases = append(cases, writeCase{"no " + dropped.String(), s, mask, 4, 6, nil, "seg: source"})
	}
	multi := testSource(t, 4, 6, func(d *dataSet) { d.is(dicom.NumberOfFrames, 2) })
	badUID := testSource(t, 4, 6, func(d *dataSet) { d.str(dicom.StudyInstanceUID, "UI", "1.2.abc") })
	cases = append(cases, writeCase{"multi-frame", multi, mask, 4, 6, nil, "has 2 frames"}, writeCase{"bad study UID", badUID, mask, 4, 6, nil, "not a UID"})
	for _, c := range cases {
		o := opt
		o.Rand = seeded(1)
		if c.opt != nil {
			c.opt(&o)
		}
		for _, w := range []string{"SEG", "SC"} {
			var buf bytes.Buffer
			var err error
			if w == "SEG" {
				_, err = WriteSegmentation(&buf, c.src, c.mask, c.rows, c.cols, o)
			} else {
				_, err = WriteOverlay(&buf, c.src, nil, c.mask, c.rows, c.cols, o)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "seg: ") {
				t.Errorf("%s %s: error %v, want one containing %q", w, c.name, err, c.want)
			}
			if buf.Len() != 0 {
				t.Errorf("%s %s: %d bytes written before the error", w, c.name, buf.Len())
			}
		}
	}
}

// A failing writer's error comes back wrapped.
func TestWriterError(t *testing.T) {
	src := testSource(t, 2, 2, nil)
	boom := errors.New("disk full")
	_, err := WriteSegmentation(failWriter{boom}, src, make([]uint8, 4), 2, 2, testOptions(1))
	if !errors.Is(err, boom) {
		t.Fatalf("error %v does not wrap the writer's", err)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestPatientAge(t *testing.T) {
	for in, want := range map[string]string{"29": "029Y", "5": "005Y", "029Y": "029Y", "003M": "003M", "100": "100Y", "": "", "1234": "", "29 ": "", "abc": "", "12X": ""} {
		got, ok := patientAge(in)
		if got != want || ok != (want != "") {
			t.Errorf("patientAge(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestFormatDS(t *testing.T) {
	for _, v := range []float64{0, 1, -1, 0.14300000000000002, 0.661468, -123.45678901234567, 1e-20, 6.02e23, -1.7976931348623157e308} {
		s := formatDS(v)
		if len(s) > 16 {
			t.Errorf("formatDS(%g) = %q: longer than 16", v, s)
		}
		var back float64
		if _, err := fmt.Sscan(s, &back); err != nil || (v != 0 && (back-v)/v > 1e-9) || (v == 0 && back != 0) {
			t.Errorf("formatDS(%g) = %q reads back as %g", v, s, back)
		}
	}
	if s := formatDS(0.14300000000000002); s != "0.143" {
		t.Errorf("formatDS(0.14300000000000002) = %q, want 0.143", s)
	}
}

// The sorted encoder refuses a repeated tag (a writer bug) with an error.
func TestEncodeDuplicateTag(t *testing.T) {
	d := dataSet{elems: []element{{tag: dicom.Rows, vr: "US", value: []byte{1, 0}}, {tag: dicom.Rows, vr: "US", value: []byte{2, 0}}}}
	if _, err := d.encode(nil); err == nil {
		t.Fatal("no error for a repeated tag")
	}
	// set replaces instead.
	var e dataSet
	e.us(dicom.Rows, 1)
	e.us(dicom.Rows, 2)
	b, err := e.encode(nil)
	if err != nil || len(b) != 10 || binary.LittleEndian.Uint16(b[8:]) != 2 {
		t.Fatalf("set did not replace: % x, %v", b, err)
	}
}

// Frame of Reference, Slice Thickness, orientation and position travel
// together, and only when the source has a Frame of Reference and a Slice
// Thickness; Pixel Spacing always.
func TestGeometryRules(t *testing.T) {
	withFoR := func(d *dataSet) { d.str(dicom.FrameOfReferenceUID, "UI", "1.2.3.9") }
	full := func(d *dataSet) {
		withFoR(d)
		d.ds(dicom.SliceThickness, 2.5)
		d.ds(dicom.ImageOrientationPatient, 1, 0, 0, 0, 1, 0)
		d.ds(dicom.ImagePositionPatient, -10, 20.5, 3)
	}
	for _, c := range []struct {
		name    string
		mod     func(d *dataSet)
		spatial bool
	}{
		{"projection", nil, false},
		{"FoR without thickness (DX)", withFoR, false},
		{"FoR, IOP, IPP without thickness", func(d *dataSet) {
			withFoR(d)
			d.ds(dicom.ImageOrientationPatient, 1, 0, 0, 0, 1, 0)
			d.ds(dicom.ImagePositionPatient, 0, 0, 0)
		}, false},
		{"thickness without FoR", func(d *dataSet) { d.ds(dicom.SliceThickness, 2.5) }, false},
		{"cross-sectional", full, true},
	} {
		f, _ := writeSEG(t, testSource(t, 4, 4, c.mod), make([]uint8, 16), 4, 4, testOptions(1))
		shared := item(t, f.DataSet, tagSharedFunctionalGroups)
		frame := item(t, f.DataSet, tagPerFrameFunctionalGroups)
		pm := item(t, shared, tagPixelMeasuresSeq)
		if got := pm.Floats(dicom.PixelSpacing); !slices.Equal(got, []float64{0.143, 0.143}) {
			t.Errorf("%s: PixelSpacing %v", c.name, got)
		}
		_, hasFoR := f.Get(dicom.FrameOfReferenceUID)
		_, hasThick := pm.Get(dicom.SliceThickness)
		_, hasIOP := shared.Get(tagPlaneOrientationSeq)
		_, hasIPP := frame.Get(tagPlanePositionSeq)
		_, hasPO := f.Get(dicom.PatientOrientation)
		if hasFoR != c.spatial || hasThick != c.spatial || hasIOP != c.spatial || hasIPP != c.spatial || hasPO == c.spatial {
			t.Errorf("%s: FoR %v, thickness %v, orientation %v, position %v, Patient Orientation %v; want spatial=%v",
				c.name, hasFoR, hasThick, hasIOP, hasIPP, hasPO, c.spatial)
		}
		if c.spatial {
			if got := item(t, frame, tagPlanePositionSeq).Floats(dicom.ImagePositionPatient); !slices.Equal(got, []float64{-10, 20.5, 3}) {
				t.Errorf("%s: position %v", c.name, got)
			}
			if f.String(dicom.FrameOfReferenceUID) != "1.2.3.9" {
				t.Errorf("%s: FoR %q", c.name, f.String(dicom.FrameOfReferenceUID))
			}
		}
	}
}

// A Pixel Spacing of zero (RG1_J2KI.dcm's "0.000\0.000": unknown) is not
// carried over into the SEG nor the overlay, where dciodvfy reports a zero
// value as an error.
func TestZeroPixelSpacingLeftOut(t *testing.T) {
	src := testSource(t, 4, 4, func(d *dataSet) {
		d.del(dicom.PixelSpacing)
		d.str(dicom.PixelSpacing, "DS", "0.000", "0.000")
	})
	f, _ := writeSEG(t, src, make([]uint8, 16), 4, 4, testOptions(1))
	if _, ok := item(t, f.DataSet, tagSharedFunctionalGroups).Get(tagPixelMeasuresSeq); ok {
		t.Error("SEG: Pixel Measures written from a zero Pixel Spacing")
	}
	var buf bytes.Buffer
	if _, err := WriteOverlay(&buf, src, nil, make([]uint8, 16), 4, 4, testOptions(2)); err != nil {
		t.Fatal(err)
	}
	sc, err := dicom.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sc.Get(dicom.PixelSpacing); ok {
		t.Error("overlay: zero Pixel Spacing carried over")
	}
}
