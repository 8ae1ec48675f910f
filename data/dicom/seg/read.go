package seg

import (
	"fmt"

	"github.com/lungo-ml/lungo/data/dicom"
)

// A Frame is one frame of a binary Segmentation.
type Frame struct {
	// Segment is the frame's Referenced Segment Number (from its per-frame
	// or the shared Segment Identification Sequence), 0 when absent.
	Segment int
	// SourceSOPInstanceUID is the image the frame was derived from (its
	// Derivation Image Sequence's first Source Image), "" when absent.
	SourceSOPInstanceUID string
	// Mask is [Rows, Columns] row-major, 0 or 1.
	Mask []uint8
}

// maxMaskPixels and maxFrames bound what ReadFrames unpacks (1 GiB of
// masks; a million frames).
const (
	maxMaskPixels = 1 << 30
	maxFrames     = 1 << 20
)

// ReadFrames unpacks every frame of a binary Segmentation (SOP class
// 1.2.840.10008.5.1.4.1.1.66.4, Segmentation Type BINARY, BitsAllocated 1,
// native little-endian pixel data). Frames are bit-packed back to back
// (PS3.5 8.1.1), so a frame may start inside a byte when rows*cols is not a
// multiple of 8. f is untrusted: every count is checked against the pixel
// data actually present before anything is allocated, and malformed input
// gives an error, never a panic.
func ReadFrames(f *dicom.File) (rows, cols int, frames []Frame, err error) {
	if f == nil || f.DataSet == nil {
		return 0, 0, nil, fmt.Errorf("seg: nil file")
	}
	if c := f.String(dicom.SOPClassUID); c != SegmentationSOPClass {
		return 0, 0, nil, fmt.Errorf("seg: SOP class %q is not Segmentation Storage (%s)", c, SegmentationSOPClass)
	}
	if t := f.String(tagSegmentationType); t != "BINARY" {
		return 0, 0, nil, fmt.Errorf("seg: Segmentation Type %q is not supported (only BINARY)", t)
	}
	if f.Syntax.Encapsulated || f.Syntax.BigEndian {
		return 0, 0, nil, fmt.Errorf("seg: transfer syntax %s is not supported (native little endian only)", f.Syntax)
	}
	for _, c := range []struct {
		tag  dicom.Tag
		want int
	}{{dicom.BitsAllocated, 1}, {dicom.SamplesPerPixel, 1}} {
		if v, ok := f.Int(c.tag); !ok || v != c.want {
			return 0, 0, nil, fmt.Errorf("seg: %v is %q, want %d", c.tag, f.String(c.tag), c.want)
		}
	}
	rows, ok1 := f.Int(dicom.Rows)
	cols, ok2 := f.Int(dicom.Columns)
	if !ok1 || !ok2 || rows < 1 || cols < 1 {
		return 0, 0, nil, fmt.Errorf("seg: invalid Rows and Columns (%q, %q)", f.String(dicom.Rows), f.String(dicom.Columns))
	}
	n, ok := f.Int(dicom.NumberOfFrames)
	if !ok || n < 1 || n > maxFrames {
		return 0, 0, nil, fmt.Errorf("seg: Number of Frames %q is not in 1..%d", f.String(dicom.NumberOfFrames), maxFrames)
	}
	px, ok := f.Get(dicom.PixelData)
	if !ok {
		return 0, 0, nil, fmt.Errorf("seg: no Pixel Data")
	}
	if px.Value == nil && len(px.Fragments) > 0 {
		return 0, 0, nil, fmt.Errorf("seg: encapsulated Pixel Data is not supported")
	}
	per := int64(rows) * int64(cols)
	total := per * int64(n)
	if have := int64(len(px.Value)) * 8; total > have {
		return 0, 0, nil, fmt.Errorf("seg: Pixel Data has %d bytes, %d frames of %dx%d need %d", len(px.Value), n, rows, cols, (total+7)/8)
	}
	if total > maxMaskPixels {
		return 0, 0, nil, fmt.Errorf("seg: %d frames of %dx%d exceed %d pixels", n, rows, cols, maxMaskPixels)
	}

	shared := firstItem(f.DataSet, tagSharedFunctionalGroups)
	perFrame, _ := f.Get(tagPerFrameFunctionalGroups)
	frames = make([]Frame, n)
	data := px.Value
	for k := range frames {
		fr := &frames[k]
		var groups *dicom.DataSet
		if perFrame != nil && k < len(perFrame.Items) {
			groups = perFrame.Items[k]
		}
		fr.Segment = segmentNumber(groups, shared)
		if der := firstItem(groups, tagDerivationImageSeq); der != nil {
			if si := firstItem(der, tagSourceImageSeq); si != nil {
				fr.SourceSOPInstanceUID = si.String(tagReferencedSOPInstanceUID)
			}
		}
		fr.Mask = make([]uint8, per)
		base := int64(k) * per
		for i := range fr.Mask {
			j := base + int64(i)
			fr.Mask[i] = data[j>>3] >> (j & 7) & 1
		}
	}
	return rows, cols, frames, nil
}

// ReadMask returns the mask of a Segmentation written by WriteSegmentation:
// [rows, cols] row-major, 0 or 1. A SEG of several frames gives their
// union (every segment), provided all of them derive from the same source
// image (or name none); otherwise use ReadFrames.
func ReadMask(f *dicom.File) (rows, cols int, mask []uint8, err error) {
	rows, cols, frames, err := ReadFrames(f)
	if err != nil {
		return 0, 0, nil, err
	}
	mask = frames[0].Mask
	for _, fr := range frames[1:] {
		if fr.SourceSOPInstanceUID != frames[0].SourceSOPInstanceUID {
			return 0, 0, nil, fmt.Errorf("seg: frames derive from different source images (%q, %q); use ReadFrames", frames[0].SourceSOPInstanceUID, fr.SourceSOPInstanceUID)
		}
		for i, v := range fr.Mask {
			mask[i] |= v
		}
	}
	return rows, cols, mask, nil
}

// segmentNumber returns the Referenced Segment Number of a frame's
// functional groups, or of the shared ones, or 0.
func segmentNumber(groups, shared *dicom.DataSet) int {
	for _, g := range []*dicom.DataSet{groups, shared} {
		if si := firstItem(g, tagSegmentIdentificationSeq); si != nil {
			if v, ok := si.Int(tagReferencedSegmentNumber); ok {
				return v
			}
		}
	}
	return 0
}

// firstItem returns the first item of sequence t in ds, or nil.
func firstItem(ds *dicom.DataSet, t dicom.Tag) *dicom.DataSet {
	e, ok := ds.Get(t)
	if !ok || len(e.Items) == 0 {
		return nil
	}
	return e.Items[0]
}
