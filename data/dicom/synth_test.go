package dicom

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// el describes one element for the synthetic file builder.
type el struct {
	tag       Tag
	vr        string
	val       []byte
	items     [][]el   // for SQ
	undefined bool     // undefined length (SQ, items, encapsulated pixel data)
	frags     [][]byte // encapsulated pixel data fragments (frags[0] is the offset table)
}

// order is a byte order that can also append.
type order interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

type synth struct {
	order    order
	explicit bool
}

func (s synth) tag(b []byte, t Tag) []byte {
	b = s.order.AppendUint16(b, t.Group())
	return s.order.AppendUint16(b, t.Element())
}

func (s synth) elems(b []byte, es []el) []byte {
	for _, e := range es {
		b = s.elem(b, e)
	}
	return b
}

func (s synth) elem(b []byte, e el) []byte {
	var val []byte
	switch {
	case e.frags != nil:
		for _, f := range e.frags {
			val = s.tag(val, Item)
			val = s.order.AppendUint32(val, uint32(len(f)))
			val = append(val, f...)
		}
		val = s.tag(val, SequenceDelimitationItem)
		val = append(val, 0, 0, 0, 0)
	case e.vr == "SQ":
		for _, it := range e.items {
			body := s.elems(nil, it)
			val = s.tag(val, Item)
			if e.undefined {
				val = s.order.AppendUint32(val, UndefinedLength)
				val = append(val, body...)
				val = s.tag(val, ItemDelimitationItem)
				val = append(val, 0, 0, 0, 0)
			} else {
				val = s.order.AppendUint32(val, uint32(len(body)))
				val = append(val, body...)
			}
		}
		if e.undefined {
			val = s.tag(val, SequenceDelimitationItem)
			val = append(val, 0, 0, 0, 0)
		}
	default:
		val = e.val
	}
	length := uint32(len(val))
	if e.undefined {
		length = UndefinedLength
	}
	b = s.tag(b, e.tag)
	if s.explicit {
		b = append(b, e.vr...)
		if longVR(e.vr) {
			b = append(b, 0, 0)
			b = s.order.AppendUint32(b, length)
		} else {
			b = s.order.AppendUint16(b, uint16(length))
		}
	} else {
		b = s.order.AppendUint32(b, length)
	}
	return append(b, val...)
}

// part10 wraps a data set in a preamble and file meta group.
func part10(ts string, body []byte) []byte {
	m := synth{binary.LittleEndian, true}
	uid := []byte(ts)
	if len(uid)%2 == 1 {
		uid = append(uid, 0)
	}
	meta := m.elems(nil, []el{{tag: TransferSyntaxUID, vr: "UI", val: uid}})
	b := make([]byte, 128, 132+12+len(meta)+len(body))
	b = append(b, "DICM"...)
	b = m.elem(b, el{tag: FileMetaInformationGroupLength, vr: "UL", val: binary.LittleEndian.AppendUint32(nil, uint32(len(meta)))})
	b = append(b, meta...)
	return append(b, body...)
}

func txt(s string) []byte {
	if len(s)%2 == 1 {
		s += " "
	}
	return []byte(s)
}

func us(o order, v ...uint16) []byte {
	var b []byte
	for _, x := range v {
		b = o.AppendUint16(b, x)
	}
	return b
}

// imageElems returns the image pixel module of a frames x rows x cols image.
func imageElems(o order, frames, rows, cols, bitsAlloc, bitsStored int, signed bool, photometric string) []el {
	rep := uint16(0)
	if signed {
		rep = 1
	}
	es := []el{
		{tag: SamplesPerPixel, vr: "US", val: us(o, 1)},
		{tag: PhotometricInterpretation, vr: "CS", val: txt(photometric)},
	}
	if frames != 1 {
		es = append(es, el{tag: NumberOfFrames, vr: "IS", val: txt(itoa(frames))})
	}
	return append(es,
		el{tag: Rows, vr: "US", val: us(o, uint16(rows))},
		el{tag: Columns, vr: "US", val: us(o, uint16(cols))},
		el{tag: BitsAllocated, vr: "US", val: us(o, uint16(bitsAlloc))},
		el{tag: BitsStored, vr: "US", val: us(o, uint16(bitsStored))},
		el{tag: HighBit, vr: "US", val: us(o, uint16(bitsStored-1))},
		el{tag: PixelRepresentation, vr: "US", val: us(o, rep)},
	)
}

func itoa(v int) string { return strconv.Itoa(v) }

// packBits encodes a byte plane with literal and replicate runs.
func packBits(src []byte) []byte {
	var out []byte
	for i := 0; i < len(src); {
		j := i + 1
		for j < len(src) && j-i < 128 && src[j] == src[i] {
			j++
		}
		if j-i >= 3 {
			out = append(out, byte(int8(1-(j-i))), src[i])
			i = j
			continue
		}
		j = i
		for j < len(src) && j-i < 128 && !(j+2 < len(src) && src[j] == src[j+1] && src[j] == src[j+2]) {
			j++
		}
		out = append(out, byte(j-i-1))
		out = append(out, src[i:j]...)
		i = j
	}
	if len(out)%2 == 1 {
		out = append(out, 0x80) // no-op pad
	}
	return out
}

// rleFrame encodes one frame of little-endian stored values (bps bytes each).
func rleFrame(raw []byte, bps int) []byte {
	n := len(raw) / bps
	segs := make([][]byte, bps)
	for s := range bps {
		plane := make([]byte, n)
		for i := range n {
			plane[i] = raw[i*bps+bps-1-s]
		}
		segs[s] = packBits(plane)
	}
	hdr := make([]byte, 64)
	binary.LittleEndian.PutUint32(hdr, uint32(bps))
	off := 64
	for s := range bps {
		binary.LittleEndian.PutUint32(hdr[4+4*s:], uint32(off))
		off += len(segs[s])
	}
	for _, sg := range segs {
		hdr = append(hdr, sg...)
	}
	return hdr
}

// pattern16 returns n int16 values covering negatives, zero and runs.
func pattern16(n int) []int16 {
	v := make([]int16, n)
	for i := range v {
		switch {
		case i%7 == 0:
			v[i] = -1000
		case i%5 < 2:
			v[i] = 42
		default:
			v[i] = int16(i*37 - 300)
		}
	}
	return v
}

func le16(v []int16) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(x))
	}
	return b
}

func be16(v []int16) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.BigEndian.PutUint16(b[2*i:], uint16(x))
	}
	return b
}

// synthFiles returns the same 3-frame 5x7 signed 16-bit image, with a
// nested undefined-length sequence, in every supported transfer syntax.
func synthFiles(t testing.TB) map[string][]byte {
	const frames, rows, cols = 3, 5, 7
	vals := pattern16(frames * rows * cols)
	out := map[string][]byte{}
	mk := func(name, ts string, s synth, pixel el) {
		seq := el{tag: 0x00081140, vr: "SQ", undefined: true, items: [][]el{
			{{tag: 0x00081150, vr: "UI", val: txt("1.2.3")}, {tag: 0x00089215, vr: "SQ", items: [][]el{{{tag: 0x00080100, vr: "SH", val: txt("X")}}}}},
			{{tag: 0x00081150, vr: "UI", val: txt("1.2.4")}},
		}}
		es := []el{
			{tag: SOPInstanceUID, vr: "UI", val: txt("1.2.840.99")},
			seq,
			{tag: PatientSex, vr: "CS", val: txt("F")},
		}
		es = append(es, imageElems(s.order, frames, rows, cols, 16, 16, true, "MONOCHROME2")...)
		es = append(es, el{tag: RescaleIntercept, vr: "DS", val: txt("-1024")}, el{tag: RescaleSlope, vr: "DS", val: txt("2")})
		body := s.elems(nil, append(es, pixel))
		if ts == DeflatedExplicitVRLittleEndian {
			var z bytes.Buffer
			w, _ := flate.NewWriter(&z, flate.BestCompression)
			w.Write(body)
			w.Close()
			body = z.Bytes()
		}
		out[name] = part10(ts, body)
	}
	le := synth{binary.LittleEndian, true}
	mk("explicit_le", ExplicitVRLittleEndian, le, el{tag: PixelData, vr: "OW", val: le16(vals)})
	mk("implicit_le", ImplicitVRLittleEndian, synth{binary.LittleEndian, false}, el{tag: PixelData, val: le16(vals)})
	mk("explicit_be", ExplicitVRBigEndian, synth{binary.BigEndian, true}, el{tag: PixelData, vr: "OW", val: be16(vals)})
	mk("deflated", DeflatedExplicitVRLittleEndian, le, el{tag: PixelData, vr: "OW", val: le16(vals)})
	var frags [][]byte
	frags = append(frags, nil) // empty offset table
	raw := le16(vals)
	for f := range frames {
		frags = append(frags, rleFrame(raw[f*rows*cols*2:(f+1)*rows*cols*2], 2))
	}
	mk("rle", RLELossless, le, el{tag: PixelData, vr: "OB", undefined: true, frags: frags})
	// The same RLE frames with a basic offset table and the middle frame
	// split across two fragments.
	split := [][]byte{nil, frags[1], frags[2][:10], frags[2][10:], frags[3]}
	bot := make([]byte, 12)
	binary.LittleEndian.PutUint32(bot[4:], uint32(8+len(frags[1])))
	binary.LittleEndian.PutUint32(bot[8:], uint32(8+len(frags[1])+8+10+8+len(frags[2])-10))
	split[0] = bot
	mk("rle_bot", RLELossless, le, el{tag: PixelData, vr: "OB", undefined: true, frags: split})
	return out
}

func TestSynthAllSyntaxes(t *testing.T) {
	want := pattern16(3 * 5 * 7)
	for name, b := range synthFiles(t) {
		t.Run(name, func(t *testing.T) {
			f, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.String(PatientSex); got != "F" {
				t.Errorf("PatientSex %q", got)
			}
			seq, ok := f.Get(0x00081140)
			if !ok || len(seq.Items) != 2 || seq.Items[1].String(0x00081150) != "1.2.4" {
				t.Fatalf("sequence = %+v", seq)
			}
			inner, ok := seq.Items[0].Get(0x00089215)
			if !ok || len(inner.Items) != 1 || inner.Items[0].String(0x00080100) != "X" {
				t.Fatalf("nested sequence = %+v", inner)
			}
			p, err := f.Pixels()
			if err != nil {
				t.Fatal(err)
			}
			if p.Frames != 3 || p.Rows != 5 || p.Cols != 7 || len(p.I16) != len(want) {
				t.Fatalf("got %d x %d x %d, %d values", p.Frames, p.Rows, p.Cols, len(p.I16))
			}
			for i := range want {
				if p.I16[i] != want[i] {
					t.Fatalf("value %d = %d, want %d", i, p.I16[i], want[i])
				}
			}
			d := p.Display()
			for i := range want {
				if d[i] != float32(2*float64(want[i])-1024) {
					t.Fatalf("display %d = %v, want %v", i, d[i], 2*float64(want[i])-1024)
				}
			}
		})
	}
}

// native8 builds an explicit VR LE file holding 8- or 16-bit native pixels.
func nativeFile(bitsAlloc, bitsStored int, signed bool, photometric string, raw []byte, rows, cols int) []byte {
	s := synth{binary.LittleEndian, true}
	vr := "OW"
	if bitsAlloc == 8 {
		vr = "OB"
	}
	es := imageElems(s.order, 1, rows, cols, bitsAlloc, bitsStored, signed, photometric)
	return part10(ExplicitVRLittleEndian, s.elems(nil, append(es, el{tag: PixelData, vr: vr, val: raw})))
}

func TestBitDepthsAndPhotometric(t *testing.T) {
	// 8-bit unsigned MONOCHROME1: display is 255-v.
	p := mustPixels(t, nativeFile(8, 8, false, "MONOCHROME1", []byte{0, 10, 200, 255}, 2, 2))
	if p.U8 == nil || p.U8[2] != 200 {
		t.Fatalf("U8 = %v", p.U8)
	}
	if d := p.Display(); d[0] != 255 || d[1] != 245 || d[3] != 0 {
		t.Errorf("MONOCHROME1 display %v", d)
	}
	// 8-bit signed.
	p = mustPixels(t, nativeFile(8, 8, true, "MONOCHROME2", []byte{0x80, 0xFF, 0x01, 0x7F}, 1, 4))
	if p.I8 == nil || p.I8[0] != -128 || p.I8[1] != -1 || p.I8[3] != 127 {
		t.Errorf("I8 = %v", p.I8)
	}
	// 12 bits stored in 16, unsigned: high bits (overlay garbage) masked.
	p = mustPixels(t, nativeFile(16, 12, false, "MONOCHROME2", us(binary.LittleEndian, 0xF123, 0x0FFF), 1, 2))
	if p.U16 == nil || p.U16[0] != 0x123 || p.U16[1] != 0xFFF {
		t.Errorf("U16 = %x", p.U16)
	}
	// 12 bits stored, signed: sign-extended from bit 11; MONOCHROME1
	// inverts within -2048..2047.
	p = mustPixels(t, nativeFile(16, 12, true, "MONOCHROME1", us(binary.LittleEndian, 0x0800, 0x07FF, 0xFFFF), 1, 3))
	if p.I16 == nil || p.I16[0] != -2048 || p.I16[1] != 2047 || p.I16[2] != -1 {
		t.Errorf("I16 = %v", p.I16)
	}
	if d := p.Display(); d[0] != 2047 || d[1] != -2048 || d[2] != 0 {
		t.Errorf("MONOCHROME1 signed display %v", d)
	}
	// Unsupported layouts.
	for _, c := range []struct {
		b    []byte
		want string
	}{
		{nativeFile(16, 16, false, "RGB", make([]byte, 8), 2, 2), `PhotometricInterpretation "RGB"`},
		{nativeFile(32, 32, false, "MONOCHROME2", make([]byte, 16), 2, 2), "BitsAllocated 32"},
		{nativeFile(8, 8, false, "MONOCHROME2", make([]byte, 3), 2, 2), "pixel data is 3 bytes, 4 expected"},
	} {
		f, err := Parse(c.b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Pixels(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

func mustPixels(t *testing.T, b []byte) *Pixels {
	t.Helper()
	f, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.Pixels()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUndefinedLengthUNIsImplicitSequence(t *testing.T) {
	// PS3.5 6.2.2: a UN of undefined length in an explicit data set holds
	// an implicit VR little endian sequence.
	imp := synth{binary.LittleEndian, false}
	item := imp.elems(nil, []el{{tag: Rows, val: us(binary.LittleEndian, 9)}})
	var val []byte
	val = imp.tag(val, Item)
	val = binary.LittleEndian.AppendUint32(val, uint32(len(item)))
	val = append(val, item...)
	val = imp.tag(val, SequenceDelimitationItem)
	val = append(val, 0, 0, 0, 0)
	s := synth{binary.LittleEndian, true}
	body := s.tag(nil, 0x00091010)
	body = append(body, 'U', 'N', 0, 0)
	body = binary.LittleEndian.AppendUint32(body, UndefinedLength)
	body = append(body, val...)
	body = s.elem(body, el{tag: PatientID, vr: "LO", val: txt("after")})
	f, err := Parse(part10(ExplicitVRLittleEndian, body))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := f.Get(0x00091010)
	if e == nil || e.VR != "SQ" || len(e.Items) != 1 {
		t.Fatalf("UN sequence = %+v", e)
	}
	if v, ok := e.Items[0].Int(Rows); !ok || v != 9 {
		t.Errorf("item Rows = %v %v", v, ok)
	}
	if f.String(PatientID) != "after" {
		t.Errorf("element after the sequence: %q", f.String(PatientID))
	}
}

func TestCorruptInputErrors(t *testing.T) {
	good := synthFiles(t)["explicit_le"]
	s := synth{binary.LittleEndian, true}
	deep := el{tag: 0x00081140, vr: "SQ", undefined: true}
	for range 40 {
		deep = el{tag: 0x00081140, vr: "SQ", undefined: true, items: [][]el{{deep}}}
	}
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"truncated header", good[:len(good)-len(pattern16(105))*2-5], "truncated element header"},
		{"truncated value", good[:len(good)-1], "value length 210 exceeds the 209 bytes left"},
		{"no delimiter", part10(ExplicitVRLittleEndian, s.elem(nil, el{tag: 0x00081140, vr: "SQ", undefined: true, items: [][]el{{{tag: PatientID, vr: "LO", val: txt("x")}}}})[:30]), "lacks its delimiter"},
		{"bad VR", part10(ExplicitVRLittleEndian, []byte{0x10, 0, 0x20, 0, 'a', '!', 2, 0, 'x', 'y'}), `invalid VR "a!"`},
		{"deep", part10(ExplicitVRLittleEndian, s.elem(nil, deep)), "nested deeper than 32"},
		{"bad deflate", part10(DeflatedExplicitVRLittleEndian, []byte{0xFF, 0xFF, 0xFF}), "deflated data set"},
		{"no syntax", part10("", nil), "no transfer syntax UID"},
		{"stray item", part10(ExplicitVRLittleEndian, s.tag(nil, Item)[:4:4]), "truncated element header"},
	}
	for _, c := range cases {
		_, err := Parse(c.b)
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want a *ParseError containing %q", c.name, err, c.want)
		}
	}
	// A truncated file's error names the offset and tag of the element at fault.
	_, err := Parse(good[:len(good)-1])
	var pe *ParseError
	if errors.As(err, &pe) && (pe.Tag != PixelData || pe.Offset != int64(len(good)-210-12)) {
		t.Errorf("error at offset %d tag %v, want %d %v", pe.Offset, pe.Tag, len(good)-222, PixelData)
	}
}

func TestRLEErrors(t *testing.T) {
	raw := le16(pattern16(6))
	frame := rleFrame(raw, 2)
	cases := []struct {
		name  string
		frame []byte
		want  string
	}{
		{"short header", frame[:20], "shorter than the 64-byte RLE header"},
		{"segments", append(binary.LittleEndian.AppendUint32(nil, 3), frame[4:]...), "3 segments, 2 expected"},
		{"short segment", frame[:len(frame)-3], "segment 1: literal run of 6 bytes"},
	}
	for _, c := range cases {
		_, err := decodeRLE(nil, c.frame, 6, 2)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	got, err := decodeRLE(nil, frame, 6, 2)
	if err != nil || !bytes.Equal(got, raw) {
		t.Errorf("round trip: %v %v", got, err)
	}
}

func TestUnsupportedSyntaxNamed(t *testing.T) {
	s := synth{binary.LittleEndian, true}
	es := imageElems(s.order, 1, 2, 2, 16, 16, false, "MONOCHROME2")
	es = append(es, el{tag: PixelData, vr: "OB", undefined: true, frags: [][]byte{nil, {0xFF, 0x4F, 0xFF, 0x51}}})
	f, err := Parse(part10("1.2.840.10008.1.2.4.201", s.elems(nil, es)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Pixels()
	var ue *UnsupportedError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "1.2.840.10008.1.2.4.201 (High-Throughput JPEG 2000 Image Compression (Lossless Only))") {
		t.Errorf("error %v", err)
	}
	// A supported syntax with a corrupt frame: a ParseError naming the codec.
	f, err = Parse(part10("1.2.840.10008.1.2.4.90", s.elems(nil, es)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Pixels()
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "JPEG 2000 frame 0") || !strings.Contains(err.Error(), "SIZ") {
		t.Errorf("corrupt JPEG 2000: error %v", err)
	}
}

func TestElementHelpers(t *testing.T) {
	be := &Element{VR: "FD", Value: binary.BigEndian.AppendUint64(nil, math.Float64bits(2.5)), order: binary.BigEndian}
	if v, ok := be.Float(); !ok || v != 2.5 {
		t.Errorf("FD big endian = %v", v)
	}
	ds := &Element{VR: "DS", Value: []byte(" 1.5\\-2e1 ")}
	if v := ds.Floats(); len(v) != 2 || v[0] != 1.5 || v[1] != -20 {
		t.Errorf("DS = %v", v)
	}
	is := &Element{VR: "IS", Value: []byte("3.5 ")}
	if _, ok := is.Int(); ok {
		t.Error("Int of 3.5 succeeded")
	}
	ul := &Element{VR: "UL", Value: binary.LittleEndian.AppendUint32(nil, 1605775145), order: binary.LittleEndian}
	if s := ul.String(); s != "1605775145" {
		t.Errorf("UL String = %q", s)
	}
	ui := &Element{VR: "UI", Value: []byte("1.2.3\x00")}
	if s := ui.String(); s != "1.2.3" {
		t.Errorf("UI String = %q", s)
	}
}

var littleEndian = binary.LittleEndian

// TestForgedSizesAllocateLittle checks that forged lengths and image sizes
// are refused before anything of their size is allocated.
func TestForgedSizesAllocateLittle(t *testing.T) {
	s := synth{littleEndian, true}
	// 16384^2 8-bit (256 MiB) is under the global 1 GiB cap, so each codec's
	// own bound must refuse it.
	big := func(ts string, pixel el) []byte {
		es := imageElems(littleEndian, 1, 16384, 16384, 8, 8, false, "MONOCHROME2")
		return part10(ts, s.elems(nil, append(es, pixel)))
	}
	forgedLen := part10(ExplicitVRLittleEndian, append(s.tag(nil, PixelData), 'O', 'W', 0, 0, 0xF0, 0xFF, 0xFF, 0xFF, 1, 2))
	cases := map[string][]byte{
		"forged length": forgedLen,
		"native 16K^2":  big(ExplicitVRLittleEndian, el{tag: PixelData, vr: "OB", val: make([]byte, 64)}),
		"RLE 16K^2":     big(RLELossless, el{tag: PixelData, vr: "OB", undefined: true, frags: [][]byte{nil, rleFrame(make([]byte, 64), 1)}}),
		"JPEG 16K^2":    big(JPEGBaseline8Bit, el{tag: PixelData, vr: "OB", undefined: true, frags: [][]byte{nil, {0xFF, 0xD8, 0xFF, 0xD9}}}),
	}
	for name, b := range cases {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f, err := Parse(b)
		if err == nil {
			_, err = f.Pixels()
		}
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		t.Logf("%s: %v", name, err)
		if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
			t.Errorf("%s: allocated %d bytes before failing (%v)", name, got, err)
		}
	}
}
