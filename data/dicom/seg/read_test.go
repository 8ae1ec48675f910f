package seg

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom"
)

// multiFrameSEG returns a SEG data set of n frames of rows x cols, packed
// back to back (frame k starts at bit k*rows*cols), frame k of segment k+1
// derived from sources[k].
func multiFrameSEG(masks [][]uint8, rows, cols int, sources []string) *dataSet {
	d := &dataSet{}
	d.str(dicom.SOPClassUID, "UI", SegmentationSOPClass)
	d.str(dicom.SOPInstanceUID, "UI", "1.2.3.4")
	d.str(tagSegmentationType, "CS", "BINARY")
	d.us(dicom.SamplesPerPixel, 1)
	d.us(dicom.BitsAllocated, 1)
	d.us(dicom.Rows, uint16(rows))
	d.us(dicom.Columns, uint16(cols))
	d.is(dicom.NumberOfFrames, len(masks))
	var all []uint8
	var groups []dataSet
	for k, m := range masks {
		all = append(all, m...)
		var g, si, der, src dataSet
		si.us(tagReferencedSegmentNumber, uint16(k+1))
		g.seq(tagSegmentIdentificationSeq, si)
		src.str(tagReferencedSOPInstanceUID, "UI", sources[k])
		der.seq(tagSourceImageSeq, src)
		g.seq(tagDerivationImageSeq, der)
		groups = append(groups, g)
	}
	d.seq(tagPerFrameFunctionalGroups, groups...)
	d.bin(dicom.PixelData, "OB", packBits(all))
	return d
}

// Frames that start inside a byte (3x5 = 15 bits each) are unpacked at the
// right offsets, with their segment numbers and sources.
func TestReadFramesMultiFrame(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	const rows, cols = 3, 5
	masks := [][]uint8{binarize(randomMask(rng, rows, cols, 0.5)), binarize(randomMask(rng, rows, cols, 0.5)), binarize(randomMask(rng, rows, cols, 0.5))}
	f := parseDataSet(t, multiFrameSEG(masks, rows, cols, []string{"1.9", "1.9", "1.9"}))
	r, c, frames, err := ReadFrames(f)
	if err != nil {
		t.Fatal(err)
	}
	if r != rows || c != cols || len(frames) != 3 {
		t.Fatalf("%dx%d, %d frames", r, c, len(frames))
	}
	union := make([]uint8, rows*cols)
	for k, fr := range frames {
		if !slices.Equal(fr.Mask, masks[k]) || fr.Segment != k+1 || fr.SourceSOPInstanceUID != "1.9" {
			t.Fatalf("frame %d: segment %d, source %q, mask %v, want %v", k, fr.Segment, fr.SourceSOPInstanceUID, fr.Mask, masks[k])
		}
		for i, v := range masks[k] {
			union[i] |= v
		}
	}
	_, _, got, err := ReadMask(f)
	if err != nil || !slices.Equal(got, union) {
		t.Fatalf("ReadMask: %v, %v, want the union %v", err, got, union)
	}
	// Frames of different source images are not merged.
	f = parseDataSet(t, multiFrameSEG(masks[:2], rows, cols, []string{"1.9", "1.8"}))
	if _, _, _, err := ReadMask(f); err == nil || !strings.Contains(err.Error(), "different source images") {
		t.Fatalf("ReadMask over two sources: %v", err)
	}
}

// Hostile or foreign SEGs give errors that say what is wrong.
func TestReadFramesErrors(t *testing.T) {
	mask := []uint8{1, 0, 1, 1, 0, 1}
	for _, c := range []struct {
		name string
		mod  func(d *dataSet)
		want string
	}{
		{"not a SEG", func(d *dataSet) { d.str(dicom.SOPClassUID, "UI", SecondaryCaptureSOPClass) }, "is not Segmentation Storage"},
		{"fractional", func(d *dataSet) { d.str(tagSegmentationType, "CS", "FRACTIONAL") }, `"FRACTIONAL" is not supported`},
		{"8 bits", func(d *dataSet) { d.us(dicom.BitsAllocated, 8) }, "BitsAllocated"},
		{"colour", func(d *dataSet) { d.us(dicom.SamplesPerPixel, 3) }, "SamplesPerPixel"},
		{"no rows", func(d *dataSet) { d.del(dicom.Rows) }, "invalid Rows and Columns"},
		{"zero columns", func(d *dataSet) { d.us(dicom.Columns, 0) }, "invalid Rows and Columns"},
		{"no frames", func(d *dataSet) { d.del(dicom.NumberOfFrames) }, "Number of Frames"},
		{"zero frames", func(d *dataSet) { d.is(dicom.NumberOfFrames, 0) }, "Number of Frames"},
		{"too many frames", func(d *dataSet) { d.is(dicom.NumberOfFrames, 1<<21) }, "Number of Frames"},
		{"frames beyond the data", func(d *dataSet) { d.is(dicom.NumberOfFrames, 5) }, "Pixel Data has 2 bytes, 5 frames of 2x3 need 4"},
		{"huge frame", func(d *dataSet) { d.us(dicom.Rows, 65535); d.us(dicom.Columns, 65535) }, "need 536854529"},
		{"no pixel data", func(d *dataSet) { d.del(dicom.PixelData) }, "no Pixel Data"},
	} {
		d := multiFrameSEG([][]uint8{mask}, 2, 3, []string{"1.2"})
		c.mod(d)
		f := parseDataSet(t, d)
		if _, _, _, err := ReadMask(f); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, _, _, err := ReadMask(nil); err == nil {
		t.Error("nil file: no error")
	}
	// Encapsulated pixel data (an RLE-compressed SEG).
	var buf bytes.Buffer
	d := multiFrameSEG([][]uint8{mask}, 2, 3, []string{"1.2"})
	if err := writePart10(&buf, SegmentationSOPClass, "1.2.3.4", d); err != nil {
		t.Fatal(err)
	}
	b := bytes.Replace(buf.Bytes(), []byte(dicom.ExplicitVRLittleEndian+"\x00"), []byte("1.2.840.10008.1.2.5\x00"), 1)
	f, err := dicom.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := ReadMask(f); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("RLE transfer syntax: %v", err)
	}
}
