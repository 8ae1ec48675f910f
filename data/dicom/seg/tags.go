package seg

import "github.com/lungo-ml/lungo/data/dicom"

// Tags this package writes or reads that data/dicom's dictionary lacks
// (keywords of PS3.6).
const (
	tagInstanceCreationDate        dicom.Tag = 0x00080012
	tagInstanceCreationTime        dicom.Tag = 0x00080013
	tagCodeValue                   dicom.Tag = 0x00080100
	tagCodingSchemeDesignator      dicom.Tag = 0x00080102
	tagCodeMeaning                 dicom.Tag = 0x00080104
	tagTimezoneOffsetFromUTC       dicom.Tag = 0x00080201
	tagReferencedSeriesSeq         dicom.Tag = 0x00081115
	tagReferencedInstanceSeq       dicom.Tag = 0x0008114A
	tagReferencedSOPClassUID       dicom.Tag = 0x00081150
	tagReferencedSOPInstanceUID    dicom.Tag = 0x00081155
	tagSourceImageSeq              dicom.Tag = 0x00082112
	tagDerivationImageSeq          dicom.Tag = 0x00089124
	tagDerivationCodeSeq           dicom.Tag = 0x00089215
	tagPurposeOfReferenceCodeSeq   dicom.Tag = 0x0040A170
	tagDateOfSecondaryCapture      dicom.Tag = 0x00181012
	tagTimeOfSecondaryCapture      dicom.Tag = 0x00181014
	tagSecondaryCaptureDeviceManuf dicom.Tag = 0x00181016
	tagSecondaryCaptureDeviceModel dicom.Tag = 0x00181018
	tagSecondaryCaptureDeviceSWVer dicom.Tag = 0x00181019
	tagDeviceSerialNumber          dicom.Tag = 0x00181000
	tagSoftwareVersions            dicom.Tag = 0x00181020
	tagLaterality                  dicom.Tag = 0x00200060
	tagContentLabel                dicom.Tag = 0x00700080
	tagContentDescription          dicom.Tag = 0x00700081
	tagContentCreatorName          dicom.Tag = 0x00700084
	tagBurnedInAnnotation          dicom.Tag = 0x00280301
	tagLossyImageCompressionRatio  dicom.Tag = 0x00282112

	tagFrameContentSeq          dicom.Tag = 0x00209111
	tagPlanePositionSeq         dicom.Tag = 0x00209113
	tagPlaneOrientationSeq      dicom.Tag = 0x00209116
	tagDimensionOrganizationUID dicom.Tag = 0x00209164
	tagDimensionIndexPointer    dicom.Tag = 0x00209165
	tagFunctionalGroupPointer   dicom.Tag = 0x00209167
	tagDimensionIndexValues     dicom.Tag = 0x00209157
	tagDimensionOrganizationSeq dicom.Tag = 0x00209221
	tagDimensionIndexSeq        dicom.Tag = 0x00209222
	tagDimensionDescriptionLbl  dicom.Tag = 0x00209421
	tagPixelMeasuresSeq         dicom.Tag = 0x00289110
	tagSharedFunctionalGroups   dicom.Tag = 0x52009229
	tagPerFrameFunctionalGroups dicom.Tag = 0x52009230

	tagSegmentationType          dicom.Tag = 0x00620001
	tagSegmentSeq                dicom.Tag = 0x00620002
	tagSegmentedPropertyCategory dicom.Tag = 0x00620003
	tagSegmentNumber             dicom.Tag = 0x00620004
	tagSegmentLabel              dicom.Tag = 0x00620005
	tagSegmentationAlgorithmID   dicom.Tag = 0x00620007
	tagSegmentAlgorithmType      dicom.Tag = 0x00620008
	tagSegmentAlgorithmName      dicom.Tag = 0x00620009
	tagSegmentIdentificationSeq  dicom.Tag = 0x0062000A
	tagReferencedSegmentNumber   dicom.Tag = 0x0062000B
	tagRecommendedDisplayCIELab  dicom.Tag = 0x0062000D
	tagSegmentedPropertyType     dicom.Tag = 0x0062000F
	tagSegmentsOverlap           dicom.Tag = 0x00620013

	tagAlgorithmFamilyCodeSeq dicom.Tag = 0x0066002F
	tagAlgorithmVersion       dicom.Tag = 0x00660031
	tagAlgorithmParameters    dicom.Tag = 0x00660032
	tagAlgorithmName          dicom.Tag = 0x00660036
)

// SOP class UIDs.
const (
	// SegmentationSOPClass is Segmentation Storage.
	SegmentationSOPClass = "1.2.840.10008.5.1.4.1.1.66.4"
	// SecondaryCaptureSOPClass is Secondary Capture Image Storage, the
	// class of the overlay.
	SecondaryCaptureSOPClass = "1.2.840.10008.5.1.4.1.1.7"
)
