package dicom

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
)

// UndefinedLength is the value length 0xFFFFFFFF of a sequence, item or
// encapsulated pixel data element that ends with a delimiter.
const UndefinedLength = 0xFFFFFFFF

// An Element is one data element as read from a file.
type Element struct {
	Tag    Tag
	VR     string // two upper-case letters; from the dictionary ("UN" if unknown) in implicit VR
	Length uint32 // the value length in the file, or UndefinedLength
	Offset int64  // byte offset of the element's tag in its stream (see ParseError)

	// Value holds the raw value bytes (a slice of the parsed input) for
	// every element that is neither a sequence nor encapsulated pixel data.
	Value []byte
	// Items holds the items of a sequence (VR SQ, or an undefined-length UN).
	Items []*DataSet
	// OffsetTable and Fragments hold encapsulated pixel data: the basic
	// offset table (possibly empty) and the fragments, in file order.
	OffsetTable []uint32
	Fragments   [][]byte

	order binary.ByteOrder
}

// A DataSet is an ordered list of elements, as in the file.
type DataSet struct {
	Elements []*Element
	index    map[Tag]int
}

func (ds *DataSet) add(e *Element) {
	if ds.index == nil {
		ds.index = make(map[Tag]int)
	}
	if _, dup := ds.index[e.Tag]; !dup {
		ds.index[e.Tag] = len(ds.Elements)
	}
	ds.Elements = append(ds.Elements, e)
}

// Get returns the element with the given tag (the first, if a corrupt file
// repeats it), or nil, false.
func (ds *DataSet) Get(t Tag) (*Element, bool) {
	if ds == nil {
		return nil, false
	}
	i, ok := ds.index[t]
	if !ok {
		return nil, false
	}
	return ds.Elements[i], true
}

// String returns the tag's value as text (see Element.String), or "" when
// the tag is absent.
func (ds *DataSet) String(t Tag) string {
	e, ok := ds.Get(t)
	if !ok {
		return ""
	}
	return e.String()
}

// Int returns the tag's first value as an int (see Element.Int); ok is false
// when the tag is absent, empty or not a number.
func (ds *DataSet) Int(t Tag) (v int, ok bool) {
	e, ok := ds.Get(t)
	if !ok {
		return 0, false
	}
	return e.Int()
}

// Float returns the tag's first value as a float64 (see Element.Float); ok
// is false when the tag is absent, empty or not a number.
func (ds *DataSet) Float(t Tag) (v float64, ok bool) {
	e, ok := ds.Get(t)
	if !ok {
		return 0, false
	}
	return e.Float()
}

// Floats returns all of the tag's values as float64 (nil when absent).
func (ds *DataSet) Floats(t Tag) []float64 {
	e, ok := ds.Get(t)
	if !ok {
		return nil
	}
	return e.Floats()
}

// isText reports whether a VR holds character data.
func isText(vr string) bool {
	switch vr {
	case "AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT":
		return true
	}
	return false
}

// String returns a text value with its padding (trailing spaces and NULs,
// and leading spaces where PS3.5 makes them insignificant) removed;
// multiple values stay joined by '\'. Binary values are formatted as their
// numbers joined by '\'; sequences and pixel data give "".
func (e *Element) String() string {
	if isText(e.VR) {
		s := strings.TrimRight(string(e.Value), " \x00")
		switch e.VR {
		case "LT", "ST", "UT", "UR":
		default:
			s = strings.TrimLeft(s, " ")
		}
		return s
	}
	switch e.VR {
	case "US", "SS", "UL", "SL", "FL", "FD", "SV", "UV":
		f := e.Floats()
		parts := make([]string, len(f))
		for i, v := range f {
			if v == math.Trunc(v) && math.Abs(v) < 1e18 {
				parts[i] = strconv.FormatFloat(v, 'f', -1, 64)
			} else {
				parts[i] = strconv.FormatFloat(v, 'g', -1, 64)
			}
		}
		return strings.Join(parts, `\`)
	case "AT":
		var parts []string
		for i := 0; i+4 <= len(e.Value); i += 4 {
			parts = append(parts, NewTag(e.order.Uint16(e.Value[i:]), e.order.Uint16(e.Value[i+2:])).String())
		}
		return strings.Join(parts, `\`)
	}
	return ""
}

// Strings returns the values of a text element split at '\', each trimmed of
// padding.
func (e *Element) Strings() []string {
	s := e.String()
	if s == "" {
		return nil
	}
	parts := strings.Split(s, `\`)
	for i := range parts {
		parts[i] = strings.TrimSpace(strings.TrimRight(parts[i], "\x00"))
	}
	return parts
}

// Floats returns all values of a numeric element: binary US, SS, UL, SL,
// SV, UV, FL, FD (in the data set's byte order), text DS and IS, and UN of
// 2 or 4 bytes read as US or UL (implicit VR files with private tags).
// Values that do not parse are skipped.
func (e *Element) Floats() []float64 {
	var out []float64
	b := e.Value
	o := e.order
	if o == nil {
		o = binary.LittleEndian
	}
	step := 0
	var get func([]byte) float64
	switch e.VR {
	case "US":
		step, get = 2, func(b []byte) float64 { return float64(o.Uint16(b)) }
	case "SS":
		step, get = 2, func(b []byte) float64 { return float64(int16(o.Uint16(b))) }
	case "UL":
		step, get = 4, func(b []byte) float64 { return float64(o.Uint32(b)) }
	case "SL":
		step, get = 4, func(b []byte) float64 { return float64(int32(o.Uint32(b))) }
	case "UV":
		step, get = 8, func(b []byte) float64 { return float64(o.Uint64(b)) }
	case "SV":
		step, get = 8, func(b []byte) float64 { return float64(int64(o.Uint64(b))) }
	case "FL":
		step, get = 4, func(b []byte) float64 { return float64(math.Float32frombits(o.Uint32(b))) }
	case "FD":
		step, get = 8, func(b []byte) float64 { return math.Float64frombits(o.Uint64(b)) }
	case "UN":
		switch len(b) {
		case 2:
			step, get = 2, func(b []byte) float64 { return float64(o.Uint16(b)) }
		case 4:
			step, get = 4, func(b []byte) float64 { return float64(o.Uint32(b)) }
		}
	case "DS", "IS":
		for _, s := range e.Strings() {
			if v, err := strconv.ParseFloat(s, 64); err == nil {
				out = append(out, v)
			}
		}
		return out
	}
	if step == 0 {
		return nil
	}
	for i := 0; i+step <= len(b); i += step {
		out = append(out, get(b[i:]))
	}
	return out
}

// Float returns the first of Floats; ok is false if there is none.
func (e *Element) Float() (float64, bool) {
	f := e.Floats()
	if len(f) == 0 {
		return 0, false
	}
	return f[0], true
}

// Int returns the first of Floats as an int; ok is false if there is none,
// or if it is not a whole number that fits in an int32.
func (e *Element) Int() (int, bool) {
	f, ok := e.Float()
	if !ok || f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}
