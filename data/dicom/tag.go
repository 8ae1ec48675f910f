package dicom

import "fmt"

// A Tag is a DICOM data element tag: group in the high 16 bits, element in
// the low 16 bits, so (0028,0010) is Tag(0x00280010).
type Tag uint32

// NewTag returns the tag (group,element).
func NewTag(group, element uint16) Tag { return Tag(uint32(group)<<16 | uint32(element)) }

// Group returns the tag's group number.
func (t Tag) Group() uint16 { return uint16(t >> 16) }

// Element returns the tag's element number.
func (t Tag) Element() uint16 { return uint16(t) }

// String formats the tag as "(gggg,eeee)" in upper-case hex, followed by its
// keyword when the dictionary knows it: "(0028,0010) Rows".
func (t Tag) String() string {
	s := fmt.Sprintf("(%04X,%04X)", t.Group(), t.Element())
	if n := t.Name(); n != "" {
		s += " " + n
	}
	return s
}

// Name returns the DICOM keyword of a tag in the built-in dictionary
// (the common file meta, patient, study, series, image and pixel tags), or ""
// for others. Group length tags (gggg,0000) are named "GroupLength".
func (t Tag) Name() string {
	if e, ok := dictionary[t]; ok {
		return e.name
	}
	if t.Element() == 0 && t.Group() != 0xFFFE {
		return "GroupLength"
	}
	return ""
}

// dictVR returns the VR the dictionary gives a tag, for implicit VR data
// sets: "UL" for group lengths, "UN" for tags it does not know.
func dictVR(t Tag) string {
	if e, ok := dictionary[t]; ok {
		return e.vr
	}
	if t.Element() == 0 {
		return "UL"
	}
	return "UN"
}

// Tags of the built-in dictionary.
const (
	FileMetaInformationGroupLength Tag = 0x00020000
	FileMetaInformationVersion     Tag = 0x00020001
	MediaStorageSOPClassUID        Tag = 0x00020002
	MediaStorageSOPInstanceUID     Tag = 0x00020003
	TransferSyntaxUID              Tag = 0x00020010
	ImplementationClassUID         Tag = 0x00020012
	ImplementationVersionName      Tag = 0x00020013

	SpecificCharacterSet  Tag = 0x00080005
	ImageType             Tag = 0x00080008
	SOPClassUID           Tag = 0x00080016
	SOPInstanceUID        Tag = 0x00080018
	StudyDate             Tag = 0x00080020
	SeriesDate            Tag = 0x00080021
	ContentDate           Tag = 0x00080023
	StudyTime             Tag = 0x00080030
	SeriesTime            Tag = 0x00080031
	ContentTime           Tag = 0x00080033
	AccessionNumber       Tag = 0x00080050
	Modality              Tag = 0x00080060
	ConversionType        Tag = 0x00080064
	Manufacturer          Tag = 0x00080070
	InstitutionName       Tag = 0x00080080
	ReferringPhysician    Tag = 0x00080090
	StudyDescription      Tag = 0x00081030
	SeriesDescription     Tag = 0x0008103E
	ManufacturerModelName Tag = 0x00081090
	ReferencedImageSeq    Tag = 0x00081140
	DerivationDescription Tag = 0x00082111

	PatientName      Tag = 0x00100010
	PatientID        Tag = 0x00100020
	PatientBirthDate Tag = 0x00100030
	PatientSex       Tag = 0x00100040
	PatientAge       Tag = 0x00101010
	PatientWeight    Tag = 0x00101030

	BodyPartExamined Tag = 0x00180015
	SliceThickness   Tag = 0x00180050
	KVP              Tag = 0x00180060
	ViewPosition     Tag = 0x00185101

	StudyInstanceUID           Tag = 0x0020000D
	SeriesInstanceUID          Tag = 0x0020000E
	StudyID                    Tag = 0x00200010
	SeriesNumber               Tag = 0x00200011
	AcquisitionNumber          Tag = 0x00200012
	InstanceNumber             Tag = 0x00200013
	PatientOrientation         Tag = 0x00200020
	ImagePositionPatient       Tag = 0x00200032
	ImageOrientationPatient    Tag = 0x00200037
	FrameOfReferenceUID        Tag = 0x00200052
	PositionReferenceIndicator Tag = 0x00201040
	SliceLocation              Tag = 0x00201041

	SamplesPerPixel           Tag = 0x00280002
	PhotometricInterpretation Tag = 0x00280004
	PlanarConfiguration       Tag = 0x00280006
	NumberOfFrames            Tag = 0x00280008
	Rows                      Tag = 0x00280010
	Columns                   Tag = 0x00280011
	PixelSpacing              Tag = 0x00280030
	ImagerPixelSpacing        Tag = 0x00181164
	BitsAllocated             Tag = 0x00280100
	BitsStored                Tag = 0x00280101
	HighBit                   Tag = 0x00280102
	PixelRepresentation       Tag = 0x00280103
	SmallestImagePixelValue   Tag = 0x00280106
	LargestImagePixelValue    Tag = 0x00280107
	WindowCenter              Tag = 0x00281050
	WindowWidth               Tag = 0x00281051
	RescaleIntercept          Tag = 0x00281052
	RescaleSlope              Tag = 0x00281053
	RescaleType               Tag = 0x00281054
	LossyImageCompression     Tag = 0x00282110
	LossyImageCompressionMeth Tag = 0x00282114

	PixelData                Tag = 0x7FE00010
	DataSetTrailingPadding   Tag = 0xFFFCFFFC
	Item                     Tag = 0xFFFEE000
	ItemDelimitationItem     Tag = 0xFFFEE00D
	SequenceDelimitationItem Tag = 0xFFFEE0DD
)

type dictEntry struct{ vr, name string }

// dictionary maps the tags above (and a few more that occur in the test
// files) to their VR and keyword. Implicit VR data sets take their VRs from it.
var dictionary = map[Tag]dictEntry{
	FileMetaInformationGroupLength: {"UL", "FileMetaInformationGroupLength"},
	FileMetaInformationVersion:     {"OB", "FileMetaInformationVersion"},
	MediaStorageSOPClassUID:        {"UI", "MediaStorageSOPClassUID"},
	MediaStorageSOPInstanceUID:     {"UI", "MediaStorageSOPInstanceUID"},
	TransferSyntaxUID:              {"UI", "TransferSyntaxUID"},
	ImplementationClassUID:         {"UI", "ImplementationClassUID"},
	ImplementationVersionName:      {"SH", "ImplementationVersionName"},
	0x00020016:                     {"AE", "SourceApplicationEntityTitle"},

	SpecificCharacterSet:  {"CS", "SpecificCharacterSet"},
	ImageType:             {"CS", "ImageType"},
	0x00080012:            {"DA", "InstanceCreationDate"},
	0x00080013:            {"TM", "InstanceCreationTime"},
	0x00080014:            {"UI", "InstanceCreatorUID"},
	SOPClassUID:           {"UI", "SOPClassUID"},
	SOPInstanceUID:        {"UI", "SOPInstanceUID"},
	StudyDate:             {"DA", "StudyDate"},
	SeriesDate:            {"DA", "SeriesDate"},
	0x00080022:            {"DA", "AcquisitionDate"},
	ContentDate:           {"DA", "ContentDate"},
	StudyTime:             {"TM", "StudyTime"},
	SeriesTime:            {"TM", "SeriesTime"},
	0x00080032:            {"TM", "AcquisitionTime"},
	ContentTime:           {"TM", "ContentTime"},
	AccessionNumber:       {"SH", "AccessionNumber"},
	Modality:              {"CS", "Modality"},
	ConversionType:        {"CS", "ConversionType"},
	Manufacturer:          {"LO", "Manufacturer"},
	InstitutionName:       {"LO", "InstitutionName"},
	ReferringPhysician:    {"PN", "ReferringPhysicianName"},
	0x00081010:            {"SH", "StationName"},
	StudyDescription:      {"LO", "StudyDescription"},
	SeriesDescription:     {"LO", "SeriesDescription"},
	ManufacturerModelName: {"LO", "ManufacturerModelName"},
	0x00081110:            {"SQ", "ReferencedStudySequence"},
	0x00081111:            {"SQ", "ReferencedPerformedProcedureStepSequence"},
	0x00081150:            {"UI", "ReferencedSOPClassUID"},
	0x00081155:            {"UI", "ReferencedSOPInstanceUID"},
	ReferencedImageSeq:    {"SQ", "ReferencedImageSequence"},
	0x00082112:            {"SQ", "SourceImageSequence"},
	DerivationDescription: {"ST", "DerivationDescription"},
	0x00089215:            {"SQ", "DerivationCodeSequence"},
	0x00080100:            {"SH", "CodeValue"},
	0x00080102:            {"SH", "CodingSchemeDesignator"},
	0x00080104:            {"LO", "CodeMeaning"},

	PatientName:      {"PN", "PatientName"},
	PatientID:        {"LO", "PatientID"},
	PatientBirthDate: {"DA", "PatientBirthDate"},
	PatientSex:       {"CS", "PatientSex"},
	PatientAge:       {"AS", "PatientAge"},
	0x00101020:       {"DS", "PatientSize"},
	PatientWeight:    {"DS", "PatientWeight"},

	0x00180010:         {"LO", "ContrastBolusAgent"},
	BodyPartExamined:   {"CS", "BodyPartExamined"},
	0x00180020:         {"CS", "ScanningSequence"},
	0x00180021:         {"CS", "SequenceVariant"},
	0x00180022:         {"CS", "ScanOptions"},
	0x00180023:         {"CS", "MRAcquisitionType"},
	SliceThickness:     {"DS", "SliceThickness"},
	KVP:                {"DS", "KVP"},
	0x00180080:         {"DS", "RepetitionTime"},
	0x00180081:         {"DS", "EchoTime"},
	0x00180087:         {"DS", "MagneticFieldStrength"},
	0x00181020:         {"LO", "SoftwareVersions"},
	0x00181151:         {"IS", "XRayTubeCurrent"},
	ImagerPixelSpacing: {"DS", "ImagerPixelSpacing"},
	ViewPosition:       {"CS", "ViewPosition"},
	0x00185100:         {"CS", "PatientPosition"},

	StudyInstanceUID:           {"UI", "StudyInstanceUID"},
	SeriesInstanceUID:          {"UI", "SeriesInstanceUID"},
	StudyID:                    {"SH", "StudyID"},
	SeriesNumber:               {"IS", "SeriesNumber"},
	AcquisitionNumber:          {"IS", "AcquisitionNumber"},
	InstanceNumber:             {"IS", "InstanceNumber"},
	PatientOrientation:         {"CS", "PatientOrientation"},
	ImagePositionPatient:       {"DS", "ImagePositionPatient"},
	ImageOrientationPatient:    {"DS", "ImageOrientationPatient"},
	FrameOfReferenceUID:        {"UI", "FrameOfReferenceUID"},
	PositionReferenceIndicator: {"LO", "PositionReferenceIndicator"},
	SliceLocation:              {"DS", "SliceLocation"},
	0x00204000:                 {"LT", "ImageComments"},

	SamplesPerPixel:           {"US", "SamplesPerPixel"},
	PhotometricInterpretation: {"CS", "PhotometricInterpretation"},
	PlanarConfiguration:       {"US", "PlanarConfiguration"},
	NumberOfFrames:            {"IS", "NumberOfFrames"},
	0x00280009:                {"AT", "FrameIncrementPointer"},
	Rows:                      {"US", "Rows"},
	Columns:                   {"US", "Columns"},
	PixelSpacing:              {"DS", "PixelSpacing"},
	BitsAllocated:             {"US", "BitsAllocated"},
	BitsStored:                {"US", "BitsStored"},
	HighBit:                   {"US", "HighBit"},
	PixelRepresentation:       {"US", "PixelRepresentation"},
	SmallestImagePixelValue:   {"US", "SmallestImagePixelValue"},
	LargestImagePixelValue:    {"US", "LargestImagePixelValue"},
	WindowCenter:              {"DS", "WindowCenter"},
	WindowWidth:               {"DS", "WindowWidth"},
	RescaleIntercept:          {"DS", "RescaleIntercept"},
	RescaleSlope:              {"DS", "RescaleSlope"},
	RescaleType:               {"LO", "RescaleType"},
	LossyImageCompression:     {"CS", "LossyImageCompression"},
	LossyImageCompressionMeth: {"CS", "LossyImageCompressionMethod"},

	0x00321060: {"LO", "RequestedProcedureDescription"},
	0x00400275: {"SQ", "RequestAttributesSequence"},
	0x00409096: {"SQ", "RealWorldValueMappingSequence"},
	0x52009229: {"SQ", "SharedFunctionalGroupsSequence"},
	0x52009230: {"SQ", "PerFrameFunctionalGroupsSequence"},

	PixelData:                {"OW", "PixelData"},
	DataSetTrailingPadding:   {"OB", "DataSetTrailingPadding"},
	Item:                     {"", "Item"},
	ItemDelimitationItem:     {"", "ItemDelimitationItem"},
	SequenceDelimitationItem: {"", "SequenceDelimitationItem"},
}
