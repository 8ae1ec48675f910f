package dicom

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// A File is a parsed DICOM Part-10 file.
type File struct {
	Meta     *DataSet // the file meta group (0002,xxxx), explicit VR little endian
	*DataSet          // the data set after it
	Syntax   TransferSyntax
	// Known reports whether Syntax.UID is in this package's table.
	Known bool
}

// A ParseError says where a file is truncated or corrupt: the byte offset
// of the element at fault (in the file, or in the inflated data set of a
// deflated file), its tag when known, and what is wrong.
type ParseError struct {
	Offset   int64
	Tag      Tag
	HasTag   bool
	Inflated bool // Offset counts bytes of the inflated data set
	Msg      string
}

func (e *ParseError) Error() string {
	where := fmt.Sprintf("offset %d (0x%X)", e.Offset, e.Offset)
	if e.Inflated {
		where = fmt.Sprintf("offset %d (0x%X) of the inflated data set", e.Offset, e.Offset)
	}
	if e.HasTag {
		return fmt.Sprintf("dicom: %s, tag %v: %s", where, e.Tag, e.Msg)
	}
	return fmt.Sprintf("dicom: %s: %s", where, e.Msg)
}

// maxDepth bounds the nesting of sequences, so forged files cannot exhaust
// the stack.
const maxDepth = 32

// maxInflated bounds the size of an inflated data set.
const maxInflated = 1 << 30

// ReadFile reads and parses the DICOM file at path.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dicom: %w", err)
	}
	f, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Read reads all of r and parses it as a DICOM file.
func Read(r io.Reader) (*File, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("dicom: %w", err)
	}
	return Parse(b)
}

// Parse parses a DICOM Part-10 file: a 128-byte preamble, "DICM", the file
// meta group, then the data set in the transfer syntax the meta group names.
// Element values alias b. Input without the "DICM" prefix is rejected.
func Parse(b []byte) (*File, error) {
	if len(b) < 132 || string(b[128:132]) != "DICM" {
		return nil, &ParseError{Offset: 128, Msg: `no "DICM" prefix after a 128-byte preamble: not a DICOM Part-10 file (for a bare data set of known encoding use ParseDataSet)`}
	}
	meta := &reader{buf: b, off: 132, order: binary.LittleEndian, explicit: true}
	// The meta group is explicit VR little endian whatever the syntax.
	f := &File{Meta: &DataSet{}}
	for meta.off+4 <= len(b) && binary.LittleEndian.Uint16(b[meta.off:]) == 0x0002 {
		e, err := meta.element(0)
		if err != nil {
			return nil, err
		}
		f.Meta.add(e)
	}
	uid := f.Meta.String(TransferSyntaxUID)
	if uid == "" {
		return nil, &ParseError{Offset: int64(meta.off), Tag: TransferSyntaxUID, HasTag: true, Msg: "file meta group has no transfer syntax UID"}
	}
	rest, err := parseBody(b, meta.off, uid)
	if err != nil {
		return nil, err
	}
	rest.Meta = f.Meta
	return rest, nil
}

// ParseDataSet parses b as a bare data set (no preamble, no file meta
// group) encoded in the transfer syntax with the given UID, for files that
// lack file meta information when the caller knows their encoding. The
// returned File has an empty Meta. Offsets in errors count from b[0].
func ParseDataSet(b []byte, syntaxUID string) (*File, error) {
	return parseBody(b, 0, syntaxUID)
}

// parseBody parses the data set in b[off:] in the given transfer syntax.
func parseBody(b []byte, off int, syntaxUID string) (*File, error) {
	f := &File{Meta: &DataSet{}}
	f.Syntax, f.Known = LookupTransferSyntax(syntaxUID)
	body := &reader{buf: b, off: off, explicit: f.Syntax.ExplicitVR, order: binary.LittleEndian}
	if f.Syntax.BigEndian {
		body.order = binary.BigEndian
	}
	if f.Syntax.Deflated {
		inflated, err := inflate(b[off:])
		if err != nil {
			return nil, &ParseError{Offset: int64(off), Msg: fmt.Sprintf("deflated data set: %v", err)}
		}
		body.buf, body.off, body.inflated = inflated, 0, true
	}
	ds, err := body.dataSet(len(body.buf), false, 0)
	if err != nil {
		return nil, err
	}
	f.DataSet = ds
	return f, nil
}

// inflate decompresses a raw deflate stream, refusing to grow past
// maxInflated bytes.
func inflate(b []byte) ([]byte, error) {
	zr := flate.NewReader(bytes.NewReader(b))
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, maxInflated+1))
	if err != nil {
		return nil, err
	}
	if len(out) > maxInflated {
		return nil, fmt.Errorf("inflates to more than %d bytes", maxInflated)
	}
	return out, nil
}

// reader walks a byte slice holding (part of) a data set.
type reader struct {
	buf      []byte
	off      int
	order    binary.ByteOrder
	explicit bool
	inflated bool
}

func (r *reader) errf(off int, t Tag, hasTag bool, format string, args ...any) error {
	return &ParseError{Offset: int64(off), Tag: t, HasTag: hasTag, Inflated: r.inflated, Msg: fmt.Sprintf(format, args...)}
}

// longVR reports whether an explicit VR has a 2-byte reserved field and a
// 4-byte length.
func longVR(vr string) bool {
	switch vr {
	case "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV":
		return true
	}
	return false
}

// header reads an element's tag, VR and length at r.off, advancing past them.
func (r *reader) header(end int) (t Tag, vr string, length uint32, err error) {
	start := r.off
	if end-r.off < 8 {
		return 0, "", 0, r.errf(start, 0, false, "truncated element header: %d bytes left, at least 8 needed", end-r.off)
	}
	b := r.buf[r.off:end]
	t = NewTag(r.order.Uint16(b), r.order.Uint16(b[2:]))
	if t.Group() == 0xFFFE || !r.explicit {
		r.off += 8
		vr = ""
		if t.Group() != 0xFFFE {
			vr = dictVR(t)
		}
		return t, vr, r.order.Uint32(b[4:]), nil
	}
	vr = string(b[4:6])
	if vr[0] < 'A' || vr[0] > 'Z' || vr[1] < 'A' || vr[1] > 'Z' {
		return t, "", 0, r.errf(start, t, true, "invalid VR %q in explicit VR data set", vr)
	}
	if longVR(vr) {
		if len(b) < 12 {
			return t, vr, 0, r.errf(start, t, true, "truncated element header: %d bytes left, 12 needed", len(b))
		}
		r.off += 12
		return t, vr, r.order.Uint32(b[8:]), nil
	}
	r.off += 8
	return t, vr, uint32(r.order.Uint16(b[6:])), nil
}

// element reads one data element whose header starts at r.off and whose
// value must end by r.buf[:end] (end 0 means len(r.buf)).
func (r *reader) element(depth int) (*Element, error) {
	return r.elementIn(len(r.buf), depth)
}

func (r *reader) elementIn(end, depth int) (*Element, error) {
	start := r.off
	t, vr, length, err := r.header(end)
	if err != nil {
		return nil, err
	}
	e := &Element{Tag: t, VR: vr, Length: length, Offset: int64(start), order: r.order}
	if t.Group() == 0xFFFE {
		return nil, r.errf(start, t, true, "unexpected item or delimiter outside a sequence")
	}
	left := end - r.off
	switch {
	case t == PixelData && length == UndefinedLength:
		if err := r.fragments(e, end); err != nil {
			return nil, err
		}
		return e, nil
	case vr == "SQ" || (length == UndefinedLength && (vr == "UN" || !r.explicit)):
		if depth >= maxDepth {
			return nil, r.errf(start, t, true, "sequences nested deeper than %d", maxDepth)
		}
		sub := r
		if vr == "UN" && r.explicit {
			// PS3.5 6.2.2: an undefined-length UN is a sequence in
			// implicit VR little endian.
			sub = &reader{buf: r.buf, off: r.off, order: binary.LittleEndian, explicit: false, inflated: r.inflated}
		}
		seqEnd := end
		if length != UndefinedLength {
			if int64(length) > int64(left) {
				return nil, r.errf(start, t, true, "sequence length %d exceeds the %d bytes left", length, left)
			}
			seqEnd = r.off + int(length)
		}
		if err := sub.sequence(e, seqEnd, length == UndefinedLength, depth+1); err != nil {
			return nil, err
		}
		r.off = sub.off
		e.VR = "SQ"
		return e, nil
	case length == UndefinedLength:
		return nil, r.errf(start, t, true, "undefined length is not allowed for VR %s", vr)
	}
	if int64(length) > int64(left) {
		return nil, r.errf(start, t, true, "value length %d exceeds the %d bytes left", length, left)
	}
	e.Value = r.buf[r.off : r.off+int(length) : r.off+int(length)]
	r.off += int(length)
	return e, nil
}

// sequence reads the items of e up to end, or, if undefined, up to a
// sequence delimitation item.
func (r *reader) sequence(e *Element, end int, undefined bool, depth int) error {
	for {
		if !undefined && r.off == end {
			return nil
		}
		start := r.off
		t, _, length, err := r.header(end)
		if err != nil {
			if undefined && end-r.off < 8 {
				return r.errf(start, e.Tag, true, "sequence at offset %d lacks its delimiter (%d bytes left)", e.Offset, end-r.off)
			}
			return err
		}
		switch t {
		case SequenceDelimitationItem:
			if undefined {
				return nil
			}
			return r.errf(start, t, true, "sequence delimiter in a sequence of defined length")
		case Item:
		default:
			return r.errf(start, t, true, "expected an item of sequence %v (at offset %d)", e.Tag, e.Offset)
		}
		itemEnd := end
		if length != UndefinedLength {
			if int64(length) > int64(end-r.off) {
				return r.errf(start, Item, true, "item length %d exceeds the %d bytes left", length, end-r.off)
			}
			itemEnd = r.off + int(length)
		}
		ds, err := r.dataSet(itemEnd, length == UndefinedLength, depth)
		if err != nil {
			return err
		}
		e.Items = append(e.Items, ds)
	}
}

// dataSet reads elements up to end, or, if delimited, up to an item
// delimitation item.
func (r *reader) dataSet(end int, delimited bool, depth int) (*DataSet, error) {
	ds := &DataSet{}
	for r.off < end {
		if end-r.off >= 4 && NewTag(r.order.Uint16(r.buf[r.off:]), r.order.Uint16(r.buf[r.off+2:])) == ItemDelimitationItem {
			if !delimited {
				return nil, r.errf(r.off, ItemDelimitationItem, true, "item delimiter in an item of defined length")
			}
			if end-r.off < 8 {
				return nil, r.errf(r.off, ItemDelimitationItem, true, "truncated item delimiter")
			}
			r.off += 8
			return ds, nil
		}
		e, err := r.elementIn(end, depth)
		if err != nil {
			return nil, err
		}
		ds.add(e)
	}
	if delimited {
		return nil, r.errf(r.off, Item, true, "item lacks its delimiter before the end of its enclosing sequence")
	}
	return ds, nil
}

// fragments reads encapsulated pixel data: an offset-table item, fragment
// items, then a sequence delimitation item.
func (r *reader) fragments(e *Element, end int) error {
	first := true
	for {
		start := r.off
		t, _, length, err := r.header(end)
		if err != nil {
			if end-r.off < 8 {
				return r.errf(start, PixelData, true, "encapsulated pixel data (at offset %d) lacks its sequence delimiter (%d bytes left)", e.Offset, end-r.off)
			}
			return err
		}
		switch t {
		case SequenceDelimitationItem:
			if first {
				return r.errf(start, PixelData, true, "encapsulated pixel data lacks its basic offset table item")
			}
			return nil
		case Item:
		default:
			return r.errf(start, t, true, "expected a pixel data fragment item (encapsulated pixel data at offset %d)", e.Offset)
		}
		if length == UndefinedLength || int64(length) > int64(end-r.off) {
			return r.errf(start, PixelData, true, "fragment length %d exceeds the %d bytes left", int64(length), end-r.off)
		}
		v := r.buf[r.off : r.off+int(length) : r.off+int(length)]
		r.off += int(length)
		if first {
			if len(v)%4 != 0 {
				return r.errf(start, PixelData, true, "basic offset table length %d is not a multiple of 4", len(v))
			}
			e.OffsetTable = make([]uint32, len(v)/4)
			for i := range e.OffsetTable {
				// Item values in encapsulated data are little endian.
				e.OffsetTable[i] = binary.LittleEndian.Uint32(v[4*i:])
			}
			first = false
			continue
		}
		e.Fragments = append(e.Fragments, v)
	}
}
