package seg

import (
	"fmt"
	"io"

	"github.com/lungo-ml/lungo/data/dicom"
)

// SegmentLabel is the label of the one segment a written SEG holds.
const SegmentLabel = "Pneumothorax"

// Codes of the segment (SNOMED CT, as in DICOM CID 7150/7151 and highdicom's
// codes.SCT) and of the derivation (DICOM DCM, CID 7203 and CID 7162).
var (
	categoryCode  = [3]string{"49755003", "SCT", "Morphologically Altered Structure"}
	propertyCode  = [3]string{"36118008", "SCT", "Pneumothorax"}
	familyCode    = [3]string{"123109", "DCM", "Artificial Intelligence"}
	derivationSeg = [3]string{"113076", "DCM", "Segmentation"}
)

// redCIELab is sRGB red (255, 0, 0) as a Recommended Display CIELab Value:
// L* 53.24, a* 80.09, b* 67.20 under D65, scaled to 0..65535 (PS3.3
// C.10.7.1.1).
var redCIELab = [3]uint16{34891, 53480, 50167}

// WriteSegmentation writes a binary DICOM Segmentation (SOP class
// 1.2.840.10008.5.1.4.1.1.66.4) of mask over the source radiograph src, as a
// Part-10 file in explicit VR little endian, and returns its SOP Instance
// UID.
//
// mask is [rows, cols] row-major (mask[y*cols+x]); a nonzero byte marks
// pneumothorax. rows and cols must equal the source's Rows and Columns, and
// src must be a single-frame image with SOP class and instance, study and
// series UIDs.
//
// The object holds one segment, "Pneumothorax" (category SCT 49755003
// "Morphologically Altered Structure", type SCT 36118008 "Pneumothorax",
// AUTOMATIC, with the algorithm's name, version and model hash), and one
// bit-packed frame (PS3.5 8.1.1: pixel i in bit i%8 of byte i/8) derived
// from the source image. It joins the source's study (Patient and General
// Study modules copied) in a new series of modality SEG; the source's Pixel
// Spacing is carried over, and its Frame of Reference, Slice Thickness,
// Image Orientation and Image Position when it has a Frame of Reference and
// a Slice Thickness (see the package documentation).
//
// A mask with no pixel set (a negative finding) is written the same way:
// the segment is present and its frame is all zero, so the archive records
// that the image was examined and nothing was found.
func WriteSegmentation(w io.Writer, src *dicom.File, mask []uint8, rows, cols int, opt Options) (sopInstanceUID string, err error) {
	s, err := readSource(src)
	if err != nil {
		return "", err
	}
	if err := checkMaskSize(s, mask, rows, cols); err != nil {
		return "", err
	}
	r, err := opt.resolve(DefaultSEGSeriesNumber, "lungo pneumothorax segmentation")
	if err != nil {
		return "", err
	}
	d, err := segmentationDataSet(s, r, mask)
	if err != nil {
		return "", err
	}
	if err := writePart10(w, SegmentationSOPClass, r.sopUID, d); err != nil {
		return "", err
	}
	return r.sopUID, nil
}

// checkMaskSize checks that a mask is [rows, cols] and covers the source.
func checkMaskSize(s *source, mask []uint8, rows, cols int) error {
	if rows < 1 || cols < 1 || len(mask) != rows*cols {
		return fmt.Errorf("seg: mask has %d values, want rows*cols = %d*%d", len(mask), rows, cols)
	}
	if rows != s.rows || cols != s.cols {
		return fmt.Errorf("seg: mask is %dx%d but source %s is %dx%d (rows x cols)", rows, cols, s.sopInstance, s.rows, s.cols)
	}
	return nil
}

// segmentationDataSet builds the SEG's data set, module by module in the
// order of PS3.3 A.51 (the encoder sorts the tags).
func segmentationDataSet(src *source, r *resolved, mask []uint8) (*dataSet, error) {
	s := src.segGeometry()
	d := &dataSet{}
	copyPatientStudy(d, s)
	newSeries(d, r, SegmentationSOPClass, "SEG")
	seriesAnatomy(d, s, false)

	// Frame of Reference: the source's, when segGeometry kept it.
	if s.frameOfReference != "" {
		d.str(dicom.FrameOfReferenceUID, "UI", s.frameOfReference)
		d.str(dicom.PositionReferenceIndicator, "LO", s.f.String(dicom.PositionReferenceIndicator))
	}
	// General Image: Patient Orientation is Type 2C, required without an
	// Image Orientation (Patient).
	if s.orientation == nil {
		d.str(dicom.PatientOrientation, "CS", s.f.String(dicom.PatientOrientation))
	}

	// General Equipment and Enhanced General Equipment.
	equipment(d, r)

	// Segmentation Image, with its Content Identification macro.
	d.str(dicom.ImageType, "CS", "DERIVED", "PRIMARY")
	d.str(tagContentLabel, "CS", "PNEUMOTHORAX")
	d.str(tagContentDescription, "LO", "lungo pneumothorax segmentation")
	d.str(tagContentCreatorName, "PN", "")
	d.us(dicom.SamplesPerPixel, 1)
	d.str(dicom.PhotometricInterpretation, "CS", "MONOCHROME2")
	d.us(dicom.Rows, uint16(s.rows))
	d.us(dicom.Columns, uint16(s.cols))
	d.us(dicom.BitsAllocated, 1)
	d.us(dicom.BitsStored, 1)
	d.us(dicom.HighBit, 0)
	d.us(dicom.PixelRepresentation, 0)
	lossyCompression(d, s)
	d.str(tagSegmentationType, "CS", "BINARY")
	d.str(tagSegmentsOverlap, "CS", "NO")
	d.seq(tagSegmentSeq, segmentItem(r))

	// Multi-frame Functional Groups and Multi-frame Dimension.
	d.is(dicom.NumberOfFrames, 1)
	dimUID, err := r.newUID()
	if err != nil {
		return nil, err
	}
	d.seq(tagSharedFunctionalGroups, sharedGroups(s))
	d.seq(tagPerFrameFunctionalGroups, frameGroups(s))
	var org dataSet
	org.str(tagDimensionOrganizationUID, "UI", dimUID)
	d.seq(tagDimensionOrganizationSeq, org)
	d.seq(tagDimensionIndexSeq, dimensionIndex(s, dimUID)...)

	// Common Instance Reference: the source's series and instance.
	var inst dataSet
	inst.str(tagReferencedSOPClassUID, "UI", s.sopClass)
	inst.str(tagReferencedSOPInstanceUID, "UI", s.sopInstance)
	var series dataSet
	series.str(dicom.SeriesInstanceUID, "UI", s.seriesUID)
	series.seq(tagReferencedInstanceSeq, inst)
	d.seq(tagReferencedSeriesSeq, series)

	d.bin(dicom.PixelData, "OB", packBits(mask))
	return d, nil
}

// segGeometry returns the source as the SEG describes it. Its Frame of
// Reference, Image Orientation, Image Position and Slice Thickness are kept
// together, and only when the source has a Frame of Reference and a Slice
// Thickness (a cross-sectional image such as CT_small): the SEG IOD (as
// dciodvfy checks it) requires a Slice Thickness in the Pixel Measures
// whenever a Frame of Reference is present, which a projection radiograph
// does not have and lungo does not invent. Otherwise the SEG has none of
// them (it needs no Frame of Reference, having a Derivation Image
// functional group), and a new Frame of Reference would claim patient
// coordinates nobody measured. Pixel Spacing is kept in both cases.
func (s *source) segGeometry() *source {
	g := *s
	if s.frameOfReference == "" || s.sliceThickness == nil {
		g.frameOfReference, g.sliceThickness, g.orientation, g.position = "", nil, nil, nil
	}
	return &g
}

// segmentItem returns the Segment Sequence item of the one segment.
func segmentItem(r *resolved) dataSet {
	var alg dataSet
	alg.seq(tagAlgorithmFamilyCodeSeq, code(familyCode[0], familyCode[1], familyCode[2]))
	alg.str(tagAlgorithmName, "LO", r.AlgorithmName)
	alg.str(tagAlgorithmVersion, "LO", r.AlgorithmVersion)
	if r.ModelHash != "" {
		alg.str(tagAlgorithmParameters, "LT", "model_sha256="+r.ModelHash)
	}
	var seg dataSet
	seg.us(tagSegmentNumber, 1)
	seg.str(tagSegmentLabel, "LO", SegmentLabel)
	seg.seq(tagSegmentedPropertyCategory, code(categoryCode[0], categoryCode[1], categoryCode[2]))
	seg.seq(tagSegmentedPropertyType, code(propertyCode[0], propertyCode[1], propertyCode[2]))
	seg.str(tagSegmentAlgorithmType, "CS", "AUTOMATIC")
	seg.str(tagSegmentAlgorithmName, "LO", r.AlgorithmName)
	seg.seq(tagSegmentationAlgorithmID, alg)
	seg.us(tagRecommendedDisplayCIELab, redCIELab[:]...)
	return seg
}

// sharedGroups returns the Shared Functional Groups item: Pixel Measures
// and Plane Orientation (Patient) when the source has them.
func sharedGroups(s *source) dataSet {
	var g dataSet
	if s.spacing != nil {
		var pm dataSet
		pm.ds(dicom.PixelSpacing, s.spacing...)
		if s.sliceThickness != nil {
			pm.ds(dicom.SliceThickness, s.sliceThickness...)
		}
		g.seq(tagPixelMeasuresSeq, pm)
	}
	if s.orientation != nil {
		var po dataSet
		po.ds(dicom.ImageOrientationPatient, s.orientation...)
		g.seq(tagPlaneOrientationSeq, po)
	}
	return g
}

// frameGroups returns the Per-frame Functional Groups item of the one
// frame: its dimension index values, plane position (when the source has
// one), derivation from the source image, and segment number.
func frameGroups(s *source) dataSet {
	var g dataSet
	var fc dataSet
	if s.position != nil {
		fc.ul(tagDimensionIndexValues, 1, 1)
	} else {
		fc.ul(tagDimensionIndexValues, 1)
	}
	g.seq(tagFrameContentSeq, fc)
	if s.position != nil {
		var pp dataSet
		pp.ds(dicom.ImagePositionPatient, s.position...)
		g.seq(tagPlanePositionSeq, pp)
	}
	var der dataSet
	der.seq(tagSourceImageSeq, sourceImageItem(s))
	der.seq(tagDerivationCodeSeq, code(derivationSeg[0], derivationSeg[1], derivationSeg[2]))
	g.seq(tagDerivationImageSeq, der)
	var si dataSet
	si.us(tagReferencedSegmentNumber, 1)
	g.seq(tagSegmentIdentificationSeq, si)
	return g
}

// dimensionIndex returns the Dimension Index Sequence: the segment number,
// then the image position when the source has one (as highdicom orders
// them).
func dimensionIndex(s *source, dimUID string) []dataSet {
	var seg dataSet
	seg.str(tagDimensionOrganizationUID, "UI", dimUID)
	seg.at(tagDimensionIndexPointer, tagReferencedSegmentNumber)
	seg.at(tagFunctionalGroupPointer, tagSegmentIdentificationSeq)
	seg.str(tagDimensionDescriptionLbl, "LO", "Segment Number")
	items := []dataSet{seg}
	if s.position != nil {
		var pos dataSet
		pos.str(tagDimensionOrganizationUID, "UI", dimUID)
		pos.at(tagDimensionIndexPointer, dicom.ImagePositionPatient)
		pos.at(tagFunctionalGroupPointer, tagPlanePositionSeq)
		pos.str(tagDimensionDescriptionLbl, "LO", "Image Position Patient")
		items = append(items, pos)
	}
	return items
}

// packBits packs a mask one bit per pixel as PS3.5 8.1.1 lays out
// BitsAllocated 1: pixel i in bit i%8 (least significant first) of byte
// i/8, frames following each other without padding; the encoder pads the
// value to even length.
func packBits(mask []uint8) []byte {
	out := make([]byte, (len(mask)+7)/8)
	for i, v := range mask {
		if v != 0 {
			out[i>>3] |= 1 << (i & 7)
		}
	}
	return out
}
