package dicom

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"strconv"
)

// SecondaryCaptureSOPClass is the SOP class UID of Secondary Capture images,
// the class of the SIIM-ACR pneumothorax files.
const SecondaryCaptureSOPClass = "1.2.840.10008.5.1.4.1.1.7"

// implementationUID identifies files this package writes (UUID-derived root 2.25).
const implementationUID = "2.25.215834211468283745098451727203425356861"

// SecondaryCapture holds the tags WriteJPEGSecondaryCapture writes besides
// the image itself. The three UIDs are required (dotted digits, at most 64
// characters); PatientAge is written as given ("62", as in SIIM's files);
// PixelSpacing is (row spacing, column spacing) in mm, omitted when zero;
// Quality is the JPEG quality 1..100, 0 meaning 95.
type SecondaryCapture struct {
	SOPInstanceUID, StudyInstanceUID, SeriesInstanceUID string
	PatientID, PatientName, PatientSex, PatientAge      string
	ViewPosition                                        string
	PixelSpacing                                        [2]float64
	Quality                                             int
}

// WriteJPEGSecondaryCapture writes img as a DICOM Part-10 file shaped like
// the SIIM-ACR training files: a 128-byte zero preamble, "DICM", the file
// meta group (explicit VR little endian, transfer syntax JPEG Baseline
// 1.2.840.10008.1.2.4.50, SOP class Secondary Capture), then an explicit
// VR little endian data set with the patient, study, series and image pixel
// tags (CR, CHEST, MONOCHROME2, 8 bits) and encapsulated pixel data: an
// empty basic offset table item, one fragment holding the baseline JPEG
// stream padded to even length, and the sequence delimiter.
func WriteJPEGSecondaryCapture(w io.Writer, img *image.Gray, meta SecondaryCapture) error {
	if img == nil {
		panic("dicom: WriteJPEGSecondaryCapture: nil image")
	}
	b := img.Bounds()
	if b.Dx() < 1 || b.Dy() < 1 || b.Dx() > 65535 || b.Dy() > 65535 {
		return fmt.Errorf("dicom: image size %dx%d is outside 1..65535", b.Dy(), b.Dx())
	}
	for _, u := range []struct{ name, v string }{
		{"SOPInstanceUID", meta.SOPInstanceUID}, {"StudyInstanceUID", meta.StudyInstanceUID}, {"SeriesInstanceUID", meta.SeriesInstanceUID},
	} {
		if err := checkUID(u.v); err != nil {
			return fmt.Errorf("dicom: %s %q: %w", u.name, u.v, err)
		}
	}
	q := meta.Quality
	if q == 0 {
		q = 95
	}
	if q < 1 || q > 100 {
		return fmt.Errorf("dicom: JPEG quality %d is outside 1..100", q)
	}
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, img, &jpeg.Options{Quality: q}); err != nil {
		return fmt.Errorf("dicom: encode JPEG: %w", err)
	}
	frag := jb.Bytes()
	if len(frag)%2 == 1 {
		frag = append(frag, 0)
	}

	var ds enc
	ds.str(SpecificCharacterSet, "CS", "ISO_IR 100")
	ds.str(SOPClassUID, "UI", SecondaryCaptureSOPClass)
	ds.str(SOPInstanceUID, "UI", meta.SOPInstanceUID)
	ds.str(Modality, "CS", "CR")
	ds.str(ConversionType, "CS", "WSD")
	ds.str(SeriesDescription, "LO", "view: "+meta.ViewPosition)
	ds.str(PatientName, "PN", meta.PatientName)
	ds.str(PatientID, "LO", meta.PatientID)
	ds.str(PatientSex, "CS", meta.PatientSex)
	ds.str(PatientAge, "AS", meta.PatientAge)
	ds.str(BodyPartExamined, "CS", "CHEST")
	ds.str(ViewPosition, "CS", meta.ViewPosition)
	ds.str(StudyInstanceUID, "UI", meta.StudyInstanceUID)
	ds.str(SeriesInstanceUID, "UI", meta.SeriesInstanceUID)
	ds.us(SamplesPerPixel, 1)
	ds.str(PhotometricInterpretation, "CS", "MONOCHROME2")
	ds.us(Rows, uint16(b.Dy()))
	ds.us(Columns, uint16(b.Dx()))
	if meta.PixelSpacing != [2]float64{} {
		ds.str(PixelSpacing, "DS", formatDS(meta.PixelSpacing[0])+`\`+formatDS(meta.PixelSpacing[1]))
	}
	ds.us(BitsAllocated, 8)
	ds.us(BitsStored, 8)
	ds.us(HighBit, 7)
	ds.us(PixelRepresentation, 0)
	ds.str(LossyImageCompression, "CS", "01")
	ds.str(LossyImageCompressionMeth, "CS", "ISO_10918_1")
	// Encapsulated pixel data: OB, undefined length.
	ds.tag(PixelData)
	ds.buf = append(ds.buf, 'O', 'B', 0, 0)
	ds.buf = binary.LittleEndian.AppendUint32(ds.buf, UndefinedLength)
	ds.item(Item, 0)
	ds.item(Item, uint32(len(frag)))
	ds.buf = append(ds.buf, frag...)
	ds.item(SequenceDelimitationItem, 0)

	var m enc
	m.tag(FileMetaInformationVersion)
	m.buf = append(m.buf, 'O', 'B', 0, 0, 2, 0, 0, 0, 0, 1)
	m.str(MediaStorageSOPClassUID, "UI", SecondaryCaptureSOPClass)
	m.str(MediaStorageSOPInstanceUID, "UI", meta.SOPInstanceUID)
	m.str(TransferSyntaxUID, "UI", JPEGBaseline8Bit)
	m.str(ImplementationClassUID, "UI", implementationUID)
	m.str(ImplementationVersionName, "SH", "LUNGO_1")
	var head enc
	head.buf = make([]byte, 128, 128+4+12+len(m.buf))
	head.buf = append(head.buf, "DICM"...)
	head.tag(FileMetaInformationGroupLength)
	head.buf = append(head.buf, 'U', 'L', 4, 0)
	head.buf = binary.LittleEndian.AppendUint32(head.buf, uint32(len(m.buf)))
	for _, part := range [][]byte{head.buf, m.buf, ds.buf} {
		if _, err := w.Write(part); err != nil {
			return fmt.Errorf("dicom: write: %w", err)
		}
	}
	return nil
}

// checkUID validates a UID: 1..64 characters of digits and dots, no empty
// component.
func checkUID(s string) error {
	if s == "" || len(s) > 64 {
		return errors.New("a UID must have 1 to 64 characters")
	}
	prev := byte('.')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '.' && (c < '0' || c > '9') {
			return fmt.Errorf("character %q at %d is neither a digit nor '.'", c, i)
		}
		if c == '.' && prev == '.' {
			return fmt.Errorf("empty component at %d", i)
		}
		prev = c
	}
	if prev == '.' {
		return errors.New("trailing '.'")
	}
	return nil
}

// formatDS formats a decimal string value of at most 16 characters.
func formatDS(v float64) string {
	for p := -1; ; p-- {
		var s string
		if p == -1 {
			s = strconv.FormatFloat(v, 'g', -1, 64)
		} else {
			s = strconv.FormatFloat(v, 'g', 16+p, 64)
		}
		if len(s) <= 16 || 16+p <= 1 {
			return s
		}
	}
}

// enc appends explicit VR little endian elements.
type enc struct{ buf []byte }

func (e *enc) tag(t Tag) {
	e.buf = binary.LittleEndian.AppendUint16(e.buf, t.Group())
	e.buf = binary.LittleEndian.AppendUint16(e.buf, t.Element())
}

// str writes a short-VR text element padded to even length (NUL for UI,
// space otherwise).
func (e *enc) str(t Tag, vr, s string) {
	if len(s)%2 == 1 {
		if vr == "UI" {
			s += "\x00"
		} else {
			s += " "
		}
	}
	e.tag(t)
	e.buf = append(e.buf, vr...)
	e.buf = binary.LittleEndian.AppendUint16(e.buf, uint16(len(s)))
	e.buf = append(e.buf, s...)
}

func (e *enc) us(t Tag, v uint16) {
	e.tag(t)
	e.buf = append(e.buf, 'U', 'S', 2, 0)
	e.buf = binary.LittleEndian.AppendUint16(e.buf, v)
}

func (e *enc) item(t Tag, length uint32) {
	e.tag(t)
	e.buf = binary.LittleEndian.AppendUint32(e.buf, length)
}
