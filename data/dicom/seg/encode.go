package seg

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/lungo-ml/lungo/data/dicom"
)

// An element is one data element to encode in explicit VR little endian.
// Text values are stored unpadded; encode pads them. Sequences hold their
// items in items and have a nil value.
type element struct {
	tag   dicom.Tag
	vr    string
	value []byte
	items []dataSet
}

// A dataSet is built in any order and encoded in ascending tag order, as
// PS3.5 7.1 requires, so the writers can follow the modules of the IOD.
type dataSet struct {
	elems []element
}

// set adds or replaces an element.
func (d *dataSet) set(e element) {
	for i := range d.elems {
		if d.elems[i].tag == e.tag {
			d.elems[i] = e
			return
		}
	}
	d.elems = append(d.elems, e)
}

// str adds a text element; multiple values are joined by '\'.
func (d *dataSet) str(t dicom.Tag, vr string, values ...string) {
	d.set(element{tag: t, vr: vr, value: []byte(strings.Join(values, `\`))})
}

// ds adds a decimal string element, each value formatted in at most 16
// characters.
func (d *dataSet) ds(t dicom.Tag, values ...float64) {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = formatDS(v)
	}
	d.str(t, "DS", s...)
}

// is adds an integer string element.
func (d *dataSet) is(t dicom.Tag, v int) { d.str(t, "IS", strconv.Itoa(v)) }

// us adds an unsigned short element with one or more values.
func (d *dataSet) us(t dicom.Tag, values ...uint16) {
	b := make([]byte, 0, 2*len(values))
	for _, v := range values {
		b = binary.LittleEndian.AppendUint16(b, v)
	}
	d.set(element{tag: t, vr: "US", value: b})
}

// ul adds an unsigned long element with one or more values.
func (d *dataSet) ul(t dicom.Tag, values ...uint32) {
	b := make([]byte, 0, 4*len(values))
	for _, v := range values {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	d.set(element{tag: t, vr: "UL", value: b})
}

// at adds an attribute tag element.
func (d *dataSet) at(t, v dicom.Tag) {
	b := binary.LittleEndian.AppendUint16(nil, v.Group())
	b = binary.LittleEndian.AppendUint16(b, v.Element())
	d.set(element{tag: t, vr: "AT", value: b})
}

// bin adds a binary element (OB, OW, ...) as given.
func (d *dataSet) bin(t dicom.Tag, vr string, v []byte) {
	d.set(element{tag: t, vr: vr, value: v})
}

// seq adds a sequence of the given items (possibly none).
func (d *dataSet) seq(t dicom.Tag, items ...dataSet) {
	if items == nil {
		items = []dataSet{}
	}
	d.set(element{tag: t, vr: "SQ", items: items})
}

// code returns a Code Sequence Macro item (PS3.3 Table 8.8-1).
func code(value, scheme, meaning string) dataSet {
	var c dataSet
	c.str(tagCodeValue, "SH", value)
	c.str(tagCodingSchemeDesignator, "SH", scheme)
	c.str(tagCodeMeaning, "LO", meaning)
	return c
}

// longVR reports whether a VR has a 2-byte reserved field and a 4-byte
// length in explicit VR (PS3.5 Table 7.1-1).
func longVR(vr string) bool {
	switch vr {
	case "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV":
		return true
	}
	return false
}

// padded returns a value padded to even length: NUL for UI and binary
// VRs, a space for other text (PS3.5 6.2).
func padded(vr string, v []byte) []byte {
	if len(v)%2 == 0 {
		return v
	}
	pad := byte(' ')
	switch vr {
	case "UI", "OB", "UN":
		pad = 0
	}
	return append(v[:len(v):len(v)], pad)
}

// encode appends the data set in explicit VR little endian, elements in
// ascending tag order; sequences and items have defined lengths. It fails
// when a tag repeats or a value is too long for its VR's length field.
func (d *dataSet) encode(buf []byte) ([]byte, error) {
	elems := slices.Clone(d.elems)
	slices.SortFunc(elems, func(a, b element) int { return cmp.Compare(a.tag, b.tag) })
	for i := 1; i < len(elems); i++ {
		if elems[i].tag == elems[i-1].tag {
			return nil, fmt.Errorf("seg: internal error: tag %v written twice", elems[i].tag)
		}
	}
	for _, e := range elems {
		buf = appendTag(buf, e.tag)
		buf = append(buf, e.vr...)
		if e.vr == "SQ" {
			var body []byte
			for _, it := range e.items {
				ib, err := it.encode(nil)
				if err != nil {
					return nil, err
				}
				body = appendTag(body, dicom.Item)
				body = binary.LittleEndian.AppendUint32(body, uint32(len(ib)))
				body = append(body, ib...)
			}
			buf = append(buf, 0, 0)
			buf = binary.LittleEndian.AppendUint32(buf, uint32(len(body)))
			buf = append(buf, body...)
			continue
		}
		v := padded(e.vr, e.value)
		if longVR(e.vr) {
			if int64(len(v)) >= dicom.UndefinedLength {
				return nil, fmt.Errorf("seg: %v: value of %d bytes is too long", e.tag, len(v))
			}
			buf = append(buf, 0, 0)
			buf = binary.LittleEndian.AppendUint32(buf, uint32(len(v)))
		} else {
			if len(v) > 0xFFFF {
				return nil, fmt.Errorf("seg: %v: value of %d bytes is too long for VR %s", e.tag, len(v), e.vr)
			}
			buf = binary.LittleEndian.AppendUint16(buf, uint16(len(v)))
		}
		buf = append(buf, v...)
	}
	return buf, nil
}

func appendTag(b []byte, t dicom.Tag) []byte {
	b = binary.LittleEndian.AppendUint16(b, t.Group())
	return binary.LittleEndian.AppendUint16(b, t.Element())
}

// implementationClassUID identifies files written by lungo; it is the one
// data/dicom's writer uses (a UUID-derived UID under 2.25).
const implementationClassUID = "2.25.215834211468283745098451727203425356861"

// implementationVersionName names this writer in the file meta group.
const implementationVersionName = "LUNGO_SEG_1"

// writePart10 writes a DICOM Part-10 file: a 128-byte zero preamble,
// "DICM", the file meta group (with its group length) and ds, all in
// explicit VR little endian.
func writePart10(w io.Writer, sopClass, sopInstance string, ds *dataSet) error {
	var meta dataSet
	meta.bin(dicom.FileMetaInformationVersion, "OB", []byte{0, 1})
	meta.str(dicom.MediaStorageSOPClassUID, "UI", sopClass)
	meta.str(dicom.MediaStorageSOPInstanceUID, "UI", sopInstance)
	meta.str(dicom.TransferSyntaxUID, "UI", dicom.ExplicitVRLittleEndian)
	meta.str(dicom.ImplementationClassUID, "UI", implementationClassUID)
	meta.str(dicom.ImplementationVersionName, "SH", implementationVersionName)
	mb, err := meta.encode(nil)
	if err != nil {
		return err
	}
	head := make([]byte, 128, 128+4+12+len(mb))
	head = append(head, "DICM"...)
	head = appendTag(head, dicom.FileMetaInformationGroupLength)
	head = append(head, 'U', 'L', 4, 0)
	head = binary.LittleEndian.AppendUint32(head, uint32(len(mb)))
	head = append(head, mb...)
	body, err := ds.encode(head)
	if err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("seg: write: %w", err)
	}
	return nil
}

// formatDS formats a decimal string value in at most 16 characters
// (PS3.5 Table 6.2-1), with as many significant digits as fit.
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
