package seg

import (
	"fmt"
	"strings"

	"github.com/lungo-ml/lungo/data/dicom"
)

// source holds what the writers take from the source radiograph.
type source struct {
	f                     *dicom.File
	sopClass, sopInstance string
	studyUID, seriesUID   string
	rows, cols            int
	frameOfReference      string    // "" when absent
	spacing               []float64 // PixelSpacing (row, column) in mm, nil when absent
	orientation           []float64 // ImageOrientationPatient, nil when absent
	position              []float64 // ImagePositionPatient, nil when absent
	sliceThickness        []float64 // SliceThickness, nil when absent
	lossy                 bool      // LossyImageCompression "01"
	lossyMethod           string
	lossyRatio            []float64 // LossyImageCompressionRatio, nil when absent
	modality, bodyPart    string
	laterality            *string // Laterality (0020,0060), nil when absent
}

// readSource checks that f can be referenced (SOP class and instance,
// study and series UIDs, a single frame of known size) and collects what
// the writers copy.
func readSource(f *dicom.File) (*source, error) {
	if f == nil || f.DataSet == nil {
		return nil, fmt.Errorf("seg: source is nil")
	}
	s := &source{f: f}
	for _, u := range []struct {
		tag dicom.Tag
		dst *string
	}{
		{dicom.SOPClassUID, &s.sopClass}, {dicom.SOPInstanceUID, &s.sopInstance},
		{dicom.StudyInstanceUID, &s.studyUID}, {dicom.SeriesInstanceUID, &s.seriesUID},
	} {
		*u.dst = f.String(u.tag)
		if err := checkSourceUID(*u.dst); err != nil {
			return nil, fmt.Errorf("seg: source %v %q: %w", u.tag, *u.dst, err)
		}
	}
	var ok1, ok2 bool
	s.rows, ok1 = f.Int(dicom.Rows)
	s.cols, ok2 = f.Int(dicom.Columns)
	if !ok1 || !ok2 || s.rows < 1 || s.cols < 1 || s.rows > 0xFFFF || s.cols > 0xFFFF {
		return nil, fmt.Errorf("seg: source %s has no valid Rows and Columns (%q, %q)", s.sopInstance, f.String(dicom.Rows), f.String(dicom.Columns))
	}
	if n, ok := f.Int(dicom.NumberOfFrames); ok && n > 1 {
		return nil, fmt.Errorf("seg: source %s has %d frames; only single-frame sources are supported", s.sopInstance, n)
	}
	if u := f.String(dicom.FrameOfReferenceUID); u != "" {
		if err := checkSourceUID(u); err != nil {
			return nil, fmt.Errorf("seg: source %v %q: %w", dicom.FrameOfReferenceUID, u, err)
		}
		s.frameOfReference = u
	}
	s.spacing = floatsN(f.DataSet, dicom.PixelSpacing, 2)
	if s.spacing != nil && (s.spacing[0] <= 0 || s.spacing[1] <= 0) {
		s.spacing = nil // "0\0" (some CRs) means unknown: not a valid spacing to carry over
	}
	s.orientation = floatsN(f.DataSet, dicom.ImageOrientationPatient, 6)
	s.position = floatsN(f.DataSet, dicom.ImagePositionPatient, 3)
	s.sliceThickness = floatsN(f.DataSet, dicom.SliceThickness, 1)
	s.lossy = f.String(dicom.LossyImageCompression) == "01"
	s.lossyMethod = f.String(dicom.LossyImageCompressionMeth)
	s.lossyRatio = f.Floats(tagLossyImageCompressionRatio)
	s.modality = f.String(dicom.Modality)
	s.bodyPart = f.String(dicom.BodyPartExamined)
	if _, ok := f.Get(tagLaterality); ok {
		v := f.String(tagLaterality)
		s.laterality = &v
	}
	return s, nil
}

// checkSourceUID accepts the UIDs of a source leniently (1 to 64 digits
// and dots): a reference must repeat them byte for byte, even where a
// component has a leading zero.
func checkSourceUID(u string) error {
	if u == "" {
		return fmt.Errorf("missing or empty")
	}
	if len(u) > 64 {
		return fmt.Errorf("longer than 64 characters")
	}
	if strings.Trim(u, "0123456789.") != "" {
		return fmt.Errorf("not a UID (digits and dots)")
	}
	return nil
}

// floatsN returns the tag's n numeric values, or nil when it is absent or
// has another number of values.
func floatsN(ds *dicom.DataSet, t dicom.Tag, n int) []float64 {
	v := ds.Floats(t)
	if len(v) != n {
		return nil
	}
	return v
}

// copyPatientStudy writes the Patient, General Study and Patient Study
// modules (and the Specific Character Set) from the source: Type 2
// attributes empty when the source lacks them, Type 3 ones only when
// present. Values are copied as text; decimal strings are reformatted to
// fit 16 characters and a bare number of years as Patient's Age becomes
// "nnnY" (SIIM's files write "29").
func copyPatientStudy(d *dataSet, s *source) {
	src := s.f.DataSet
	if cs := src.String(dicom.SpecificCharacterSet); cs != "" {
		d.str(dicom.SpecificCharacterSet, "CS", cs)
	}
	// Patient (Type 2).
	d.str(dicom.PatientName, "PN", src.String(dicom.PatientName))
	d.str(dicom.PatientID, "LO", src.String(dicom.PatientID))
	d.str(dicom.PatientBirthDate, "DA", src.String(dicom.PatientBirthDate))
	d.str(dicom.PatientSex, "CS", src.String(dicom.PatientSex))
	// General Study.
	d.str(dicom.StudyInstanceUID, "UI", s.studyUID)
	d.str(dicom.StudyDate, "DA", src.String(dicom.StudyDate))
	d.str(dicom.StudyTime, "TM", src.String(dicom.StudyTime))
	d.str(dicom.ReferringPhysician, "PN", src.String(dicom.ReferringPhysician))
	d.str(dicom.StudyID, "SH", src.String(dicom.StudyID))
	d.str(dicom.AccessionNumber, "SH", src.String(dicom.AccessionNumber))
	if v := src.String(dicom.StudyDescription); v != "" {
		d.str(dicom.StudyDescription, "LO", v)
	}
	// Patient Study (Type 3).
	if age, ok := patientAge(src.String(dicom.PatientAge)); ok {
		d.str(dicom.PatientAge, "AS", age)
	}
	for _, t := range []dicom.Tag{0x00101020 /* PatientSize */, dicom.PatientWeight} {
		if v, ok := src.Float(t); ok && v > 0 { // 0 means unknown
			d.ds(t, v)
		}
	}
}

// patientAge returns a valid AS value ("029Y") for a source's age: valid
// values as they are, a bare number of 1 to 3 digits as years; ok is false
// for anything else (the Type 3 attribute is then left out).
func patientAge(v string) (string, bool) {
	isDigits := func(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }
	switch {
	case len(v) == 4 && isDigits(v[:3]) && strings.ContainsRune("DWMY", rune(v[3])):
		return v, true
	case len(v) <= 3 && isDigits(v):
		return strings.Repeat("0", 3-len(v)) + v + "Y", true
	}
	return "", false
}

// equipment writes the General and Enhanced General Equipment modules.
func equipment(d *dataSet, r *resolved) {
	d.str(dicom.Manufacturer, "LO", r.Manufacturer)
	d.str(dicom.ManufacturerModelName, "LO", r.ManufacturerModelName)
	d.str(tagDeviceSerialNumber, "LO", r.DeviceSerialNumber)
	d.str(tagSoftwareVersions, "LO", r.SoftwareVersions)
}

// newSeries writes the General Series module of the new series and the
// SOP Common module of the new instance.
func newSeries(d *dataSet, r *resolved, sopClass, modality string) {
	d.str(dicom.SOPClassUID, "UI", sopClass)
	d.str(dicom.SOPInstanceUID, "UI", r.sopUID)
	d.str(tagInstanceCreationDate, "DA", r.date())
	d.str(tagInstanceCreationTime, "TM", r.clock())
	d.str(tagTimezoneOffsetFromUTC, "SH", r.tz())
	d.str(dicom.Modality, "CS", modality)
	d.str(dicom.SeriesInstanceUID, "UI", r.seriesUID)
	d.is(dicom.SeriesNumber, r.SeriesNumber)
	d.str(dicom.SeriesDate, "DA", r.date())
	d.str(dicom.SeriesTime, "TM", r.clock())
	d.str(dicom.SeriesDescription, "LO", r.SeriesDescription)
	d.is(dicom.InstanceNumber, r.InstanceNumber)
	d.str(dicom.ContentDate, "DA", r.date())
	d.str(dicom.ContentTime, "TM", r.clock())
}

// seriesAnatomy writes the General Series attributes that describe what
// the source's series examined: Body Part Examined, and for an image IOD
// (laterality true) Laterality, Type 2C, copied as the source has it (even
// empty; absent when absent). dciodvfy rejects Laterality in a SEG, whose
// frames would carry it in a Frame Anatomy functional group instead.
func seriesAnatomy(d *dataSet, s *source, laterality bool) {
	if s.bodyPart != "" {
		d.str(dicom.BodyPartExamined, "CS", s.bodyPart)
	}
	if laterality && s.laterality != nil {
		d.str(tagLaterality, "CS", *s.laterality)
	}
}

// sourceImageItem returns an item referencing the source image with the
// purpose "Source image for image processing operation" (DCM 121322).
func sourceImageItem(s *source) dataSet {
	var it dataSet
	it.str(tagReferencedSOPClassUID, "UI", s.sopClass)
	it.str(tagReferencedSOPInstanceUID, "UI", s.sopInstance)
	it.seq(tagPurposeOfReferenceCodeSeq, code("121322", "DCM", "Source image for image processing operation"))
	return it
}

// lossyCompression writes the Lossy Image Compression attributes: "01"
// with the source's method and ratio when the source was lossy compressed
// (PS3.3 C.7.6.1.1.5: once set, it is never reset), "00" otherwise.
func lossyCompression(d *dataSet, s *source) {
	if !s.lossy {
		d.str(dicom.LossyImageCompression, "CS", "00")
		return
	}
	d.str(dicom.LossyImageCompression, "CS", "01")
	if s.lossyMethod != "" {
		d.str(dicom.LossyImageCompressionMeth, "CS", s.lossyMethod)
	}
	if s.lossyRatio != nil {
		d.ds(tagLossyImageCompressionRatio, s.lossyRatio...)
	}
}
