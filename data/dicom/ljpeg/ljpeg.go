package ljpeg

import (
	"errors"
	"fmt"
)

// Image is a decoded frame: stored values, row-major, components
// interleaved. Pix holds Rows*Cols*Components samples; sample c of the pixel
// at row y, column x is Pix[(y*Cols+x)*Components+c], in 0..2^Precision-1.
type Image struct {
	Rows, Cols, Components, Precision int
	Pix                               []int32
}

// MaxSamples caps Rows*Cols*Components of a frame (2^28 samples, a 1 GiB
// Pix), checked before anything is allocated.
const MaxSamples = 1 << 28

// ErrUnsupported is matched (errors.Is) by the errors of well-formed streams
// that use a JPEG process or feature this package does not decode.
var ErrUnsupported = errors.New("ljpeg: unsupported JPEG feature")

// An Error says what is wrong with a codestream and where: the marker
// segment at fault ("SOF3", "SOS", "DHT", ..., or "scan data" for
// entropy-coded data) and its byte offset in the codestream.
type Error struct {
	Marker      string
	Offset      int
	Msg         string
	Unsupported bool // a valid stream this package does not decode
}

func (e *Error) Error() string {
	return fmt.Sprintf("ljpeg: %s at offset %d: %s", e.Marker, e.Offset, e.Msg)
}

// Is reports whether target is ErrUnsupported and e is an unsupported-feature
// error.
func (e *Error) Is(target error) bool { return target == ErrUnsupported && e.Unsupported }

// Marker codes (T.81 Table B.1).
const (
	mSOF0 = 0xC0 // baseline DCT
	mSOF1 = 0xC1 // extended sequential DCT, Huffman
	mSOF2 = 0xC2 // progressive DCT, Huffman
	mSOF3 = 0xC3 // lossless, Huffman
	mDHT  = 0xC4
	mSOF5 = 0xC5 // first hierarchical SOF
	mJPG  = 0xC8
	mDAC  = 0xCC
	mRST0 = 0xD0
	mRST7 = 0xD7
	mSOI  = 0xD8
	mEOI  = 0xD9
	mSOS  = 0xDA
	mDQT  = 0xDB
	mDNL  = 0xDC
	mDRI  = 0xDD
	mDHP  = 0xDE
	mEXP  = 0xDF
	mTEM  = 0x01
)

// markerName returns the T.81 Table B.1 name of marker code m.
func markerName(m byte) string {
	switch {
	case m >= 0xC0 && m <= 0xCF && m != mDHT && m != mJPG && m != mDAC:
		return fmt.Sprintf("SOF%d", m-0xC0)
	case m >= mRST0 && m <= mRST7:
		return fmt.Sprintf("RST%d", m-mRST0)
	case m >= 0xE0 && m <= 0xEF:
		return fmt.Sprintf("APP%d", m-0xE0)
	}
	switch m {
	case mDHT:
		return "DHT"
	case mJPG:
		return "JPG"
	case mDAC:
		return "DAC"
	case mSOI:
		return "SOI"
	case mEOI:
		return "EOI"
	case mSOS:
		return "SOS"
	case mDQT:
		return "DQT"
	case mDNL:
		return "DNL"
	case mDRI:
		return "DRI"
	case mDHP:
		return "DHP"
	case mEXP:
		return "EXP"
	case 0xFE:
		return "COM"
	case mTEM:
		return "TEM"
	}
	return fmt.Sprintf("marker 0xFF%02X", m)
}

// component is one image component of the frame header (T.81 B.2.2).
type component struct {
	id   uint8
	h, v int   // sampling factors
	tq   uint8 // quantization table selector
	done bool  // decoded by an earlier scan
}

// decoder holds the state of one Decode call.
type decoder struct {
	data []byte

	// Frame header (B.2.2).
	sof       byte // marker code, 0 before the frame header
	sofOff    int
	precision int
	rows      int
	cols      int
	comps     []component
	hmax      int
	vmax      int

	// Tables and parameters as defined so far (B.2.4).
	qt      [4][64]int32 // natural (row-major) order
	qtSet   [4]bool
	huff    [2][4]huffTable // [0] DC and lossless, [1] AC
	restart int             // restart interval in MCUs, 0 for none
	driOff  int             // offset of the DRI segment that set it

	img *Image
}

func (d *decoder) errAt(marker string, off int, format string, args ...any) *Error {
	return &Error{Marker: marker, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) unsupported(marker string, off int, format string, args ...any) *Error {
	e := d.errAt(marker, off, format, args...)
	e.Unsupported = true
	return e
}

// Decode decodes one complete JPEG codestream (one DICOM frame): a lossless
// (SOF3) or sequential DCT (SOF0, SOF1) frame with Huffman coding, in one or
// more scans.
func Decode(data []byte) (*Image, error) {
	d := &decoder{data: data}
	if err := d.run(false); err != nil {
		return nil, err
	}
	return d.img, nil
}

// DecodeConfig parses the codestream up to its frame header (T.81 B.2.2)
// and returns the image size, number of components and sample precision
// without decoding or allocating the image. It returns the errors Decode
// would return for the headers it reads, including the size caps.
func DecodeConfig(data []byte) (rows, cols, components, precision int, err error) {
	d := &decoder{data: data}
	if err := d.run(true); err != nil {
		return 0, 0, 0, 0, err
	}
	return d.rows, d.cols, len(d.comps), d.precision, nil
}

// run walks the marker segments of the codestream (T.81 B.2, B.3): SOI,
// tables and miscellaneous segments, the frame header, then scans until EOI.
// With configOnly it stops after the frame header.
func (d *decoder) run(configOnly bool) error {
	data := d.data
	if len(data) < 2 || data[0] != 0xFF || data[1] != mSOI {
		return d.errAt("SOI", 0, "codestream does not start with SOI (FF D8)")
	}
	pos := 2
	for {
		// B.1.1.2: a marker is 0xFF and a code; any number of 0xFF fill
		// bytes may precede it.
		if pos >= len(data) {
			return d.endOfData(pos)
		}
		if data[pos] != 0xFF {
			return d.errAt("marker", pos, "expected a marker, found byte 0x%02X", data[pos])
		}
		for pos+1 < len(data) && data[pos+1] == 0xFF {
			pos++
		}
		if pos+1 >= len(data) {
			return d.endOfData(pos)
		}
		off, m := pos, data[pos+1]
		pos += 2
		name := markerName(m)
		switch {
		case m == mEOI:
			return d.endOfData(off)
		case m == mSOI:
			return d.errAt(name, off, "second SOI")
		case m == mTEM || m >= mRST0 && m <= mRST7:
			continue // standalone markers (B.1.1.3); RSTn outside a scan is ignored as by libjpeg
		case m == 0x00:
			return d.errAt("marker", off, "0xFF00 outside entropy-coded data")
		}
		// A marker segment: a two-byte length that counts itself (B.1.1.4).
		if pos+2 > len(data) {
			return d.errAt(name, off, "segment length passes the end of the data (%d bytes)", len(data))
		}
		n := int(data[pos])<<8 | int(data[pos+1])
		if n < 2 || pos+n > len(data) {
			return d.errAt(name, off, "segment length %d passes the end of the data (%d bytes left)", n, len(data)-pos)
		}
		seg := data[pos+2 : pos+n]
		pos += n
		var err error
		switch {
		case m == mSOF0 || m == mSOF1 || m == mSOF3:
			err = d.parseSOF(m, off, seg)
			if err == nil && configOnly {
				return nil
			}
		case m == mSOF2:
			err = d.unsupported(name, off, "progressive DCT (T.81 Annex G) is not supported")
		case m >= mSOF5 && m <= 0xCF && m != mJPG && m != mDAC:
			err = d.unsupported(name, off, "%s frames are not supported (only SOF0, SOF1 and SOF3: Huffman-coded, non-hierarchical)", name)
		case m == mDAC:
			err = d.unsupported(name, off, "arithmetic coding is not supported")
		case m == mDHP || m == mEXP:
			err = d.unsupported(name, off, "hierarchical JPEG (T.81 Annex J) is not supported")
		case m == mDHT:
			err = d.parseDHT(off, seg)
		case m == mDQT:
			err = d.parseDQT(off, seg)
		case m == mDRI:
			err = d.parseDRI(off, seg)
		case m == mDNL:
			// Heights defined by DNL are refused at the frame header, so a
			// DNL here repeats a known height; libjpeg skips it too.
		case m == mSOS:
			if configOnly || d.sof == 0 {
				return d.errAt(name, off, "scan before the frame header (SOF)")
			}
			pos, err = d.scan(off, seg, pos)
		}
		// APPn, COM, JPGn and reserved markers carry nothing needed here.
		if err != nil {
			return err
		}
	}
}

// endOfData checks, at EOI or the end of the data, that the frame header
// was seen and every component was decoded by a scan. A missing EOI after
// the last scan is accepted, as libjpeg does.
func (d *decoder) endOfData(off int) error {
	if d.sof == 0 {
		return d.errAt("EOI", off, "codestream ends before the frame header (SOF)")
	}
	for _, c := range d.comps {
		if !c.done {
			return d.errAt("EOI", off, "codestream ends before a scan of component %d", c.id)
		}
	}
	return nil
}

// parseSOF reads a frame header (T.81 B.2.2) and checks its size against
// MaxSamples and the length of the codestream before allocating the image.
func (d *decoder) parseSOF(m byte, off int, seg []byte) error {
	name := markerName(m)
	if d.sof != 0 {
		return d.errAt(name, off, "second frame header (first: %s at offset %d)", markerName(d.sof), d.sofOff)
	}
	if len(seg) < 6 {
		return d.errAt(name, off, "segment is %d bytes, at least 6 needed", len(seg))
	}
	p := int(seg[0])
	rows := int(seg[1])<<8 | int(seg[2])
	cols := int(seg[3])<<8 | int(seg[4])
	nf := int(seg[5])
	switch m {
	case mSOF0:
		if p != 8 {
			return d.errAt(name, off, "baseline precision %d bits, must be 8", p)
		}
	case mSOF1:
		if p != 8 && p != 12 {
			return d.errAt(name, off, "DCT precision %d bits, must be 8 or 12", p)
		}
	case mSOF3:
		if p < 2 || p > 16 {
			return d.errAt(name, off, "lossless precision %d bits, must be 2 to 16", p)
		}
	}
	if rows == 0 {
		return d.unsupported(name, off, "height 0 (defined by a DNL segment) is not supported")
	}
	if cols == 0 {
		return d.errAt(name, off, "width 0")
	}
	if nf == 0 {
		return d.errAt(name, off, "no components")
	}
	if len(seg) != 6+3*nf {
		return d.errAt(name, off, "segment is %d bytes, %d components need %d", len(seg), nf, 6+3*nf)
	}
	comps := make([]component, nf)
	for i := range comps {
		b := seg[6+3*i:]
		c := component{id: b[0], h: int(b[1] >> 4), v: int(b[1] & 15), tq: b[2]}
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 {
			return d.errAt(name, off, "component %d sampling factors %dx%d outside 1..4", c.id, c.h, c.v)
		}
		if c.tq > 3 {
			return d.errAt(name, off, "component %d quantization table %d outside 0..3", c.id, c.tq)
		}
		for _, o := range comps[:i] {
			if o.id == c.id {
				return d.errAt(name, off, "component identifier %d appears twice", c.id)
			}
		}
		if c.h != comps[0].h && i > 0 || c.v != comps[0].v && i > 0 {
			return d.unsupported(name, off, "components with different sampling factors (%dx%d, %dx%d: subsampled colour) are not supported",
				comps[0].h, comps[0].v, c.h, c.v)
		}
		comps[i] = c
	}
	n := int64(rows) * int64(cols) * int64(nf)
	if n > MaxSamples {
		return d.errAt(name, off, "%dx%d image of %d components has %d samples, more than the limit of %d", rows, cols, nf, n, int64(MaxSamples))
	}
	// Each Huffman-coded lossless sample takes at least one bit; each 8x8
	// DCT block at least two (a DC code and an EOB code).
	var least int64
	if m == mSOF3 {
		least = (n + 7) / 8
	} else {
		blocks := int64((rows+7)/8) * int64((cols+7)/8) * int64(nf)
		least = (blocks + 3) / 4
	}
	if least > int64(len(d.data)) {
		return d.errAt(name, off, "%dx%d image of %d components needs at least %d bytes of coded data, the codestream has %d", rows, cols, nf, least, len(d.data))
	}
	d.sof, d.sofOff, d.precision, d.rows, d.cols, d.comps = m, off, p, rows, cols, comps
	d.hmax, d.vmax = comps[0].h, comps[0].v
	return nil
}

// alloc allocates the image at the first scan (sizes were checked by
// parseSOF).
func (d *decoder) alloc() {
	if d.img == nil {
		d.img = &Image{Rows: d.rows, Cols: d.cols, Components: len(d.comps), Precision: d.precision,
			Pix: make([]int32, d.rows*d.cols*len(d.comps))}
	}
}

// parseDQT reads quantization tables (T.81 B.2.4.1), 8- or 16-bit, into
// natural order.
func (d *decoder) parseDQT(off int, seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, seg[0]&15
		if pq > 1 || tq > 3 {
			return d.errAt("DQT", off, "table precision %d / destination %d (must be 0-1 / 0-3)", pq, tq)
		}
		n := 64 * (1 + int(pq))
		if len(seg) < 1+n {
			return d.errAt("DQT", off, "table %d needs %d bytes, %d left", tq, 1+n, len(seg))
		}
		for i := range 64 {
			v := int32(seg[1+i])
			if pq == 1 {
				v = int32(seg[1+2*i])<<8 | int32(seg[2+2*i])
			}
			d.qt[tq][zigzag[i]] = v
		}
		d.qtSet[tq] = true
		seg = seg[1+n:]
	}
	return nil
}

// parseDHT reads Huffman tables (T.81 B.2.4.2) and builds their decoding
// tables (Annex C, F.2.2.3).
func (d *decoder) parseDHT(off int, seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return d.errAt("DHT", off, "table header needs 17 bytes, %d left", len(seg))
		}
		tc, th := seg[0]>>4, seg[0]&15
		if tc > 1 || th > 3 {
			return d.errAt("DHT", off, "table class %d / destination %d (must be 0-1 / 0-3)", tc, th)
		}
		var counts [16]uint8
		copy(counts[:], seg[1:17])
		n := 0
		for _, c := range counts {
			n += int(c)
		}
		if n > 256 || len(seg) < 17+n {
			return d.errAt("DHT", off, "table of %d codes needs %d bytes, %d left", n, 17+n, len(seg))
		}
		if err := d.huff[tc][th].build(&counts, seg[17:17+n], tc == 0); err != nil {
			return d.errAt("DHT", off, "table class %d destination %d: %v", tc, th, err)
		}
		seg = seg[17+n:]
	}
	return nil
}

// parseDRI reads the restart interval (T.81 B.2.4.4).
func (d *decoder) parseDRI(off int, seg []byte) error {
	if len(seg) != 2 {
		return d.errAt("DRI", off, "segment is %d bytes, must be 2", len(seg))
	}
	d.restart, d.driOff = int(seg[0])<<8|int(seg[1]), off
	return nil
}

// scanComp is one component of a scan header with its tables.
type scanComp struct {
	ci     int // index into d.comps
	dc, ac *huffTable
}

// scan reads a scan header (T.81 B.2.3), decodes the entropy-coded data
// that follows it from pos, and returns the position of the marker after it.
func (d *decoder) scan(off int, seg []byte, pos int) (int, error) {
	if len(seg) < 1 {
		return 0, d.errAt("SOS", off, "empty segment")
	}
	ns := int(seg[0])
	if ns < 1 || ns > 4 {
		return 0, d.errAt("SOS", off, "%d components in a scan, must be 1 to 4", ns)
	}
	if len(seg) != 4+2*ns {
		return 0, d.errAt("SOS", off, "segment is %d bytes, %d components need %d", len(seg), ns, 4+2*ns)
	}
	lossless := d.sof == mSOF3
	sc := make([]scanComp, ns)
	for i := range sc {
		id, td, ta := seg[1+2*i], seg[2+2*i]>>4, seg[2+2*i]&15
		ci := -1
		for k, c := range d.comps {
			if c.id == id {
				ci = k
			}
		}
		if ci < 0 {
			return 0, d.errAt("SOS", off, "component %d is not in the frame", id)
		}
		if d.comps[ci].done {
			return 0, d.errAt("SOS", off, "component %d was decoded by an earlier scan (sequential frames code each component once)", id)
		}
		for _, o := range sc[:i] {
			if o.ci == ci {
				return 0, d.errAt("SOS", off, "component %d appears twice", id)
			}
		}
		if td > 3 || !d.huff[0][td].set {
			return 0, d.errAt("SOS", off, "component %d uses undefined DC/lossless Huffman table %d", id, td)
		}
		sc[i] = scanComp{ci: ci, dc: &d.huff[0][td]}
		if !lossless {
			if ta > 3 || !d.huff[1][ta].set {
				return 0, d.errAt("SOS", off, "component %d uses undefined AC Huffman table %d", id, ta)
			}
			sc[i].ac = &d.huff[1][ta]
			if tq := d.comps[ci].tq; !d.qtSet[tq] {
				return 0, d.errAt("SOS", off, "component %d uses undefined quantization table %d", id, tq)
			}
		}
	}
	ss, se, ah, al := int(seg[1+2*ns]), int(seg[2+2*ns]), int(seg[3+2*ns]>>4), int(seg[3+2*ns]&15)
	d.alloc()
	br := bitReader{data: d.data, pos: pos}
	var err error
	if lossless {
		// H.1.2.1, Table H.1: Ss is the predictor selection value, Al the
		// point transform; Se and Ah are zero.
		if ss < 1 || ss > 7 {
			return 0, d.errAt("SOS", off, "lossless predictor selection value %d, must be 1 to 7", ss)
		}
		if se != 0 || ah != 0 || al >= d.precision {
			return 0, d.errAt("SOS", off, "lossless scan with Se %d, Ah %d, Al %d (precision %d)", se, ah, al, d.precision)
		}
		err = d.decodeLossless(off, &br, sc, ss, al)
	} else {
		// B.2.3: sequential DCT scans have Ss 0, Se 63, Ah 0, Al 0.
		if ss != 0 || se != 63 || ah != 0 || al != 0 {
			return 0, d.errAt("SOS", off, "sequential DCT scan with Ss %d, Se %d, Ah %d, Al %d (must be 0, 63, 0, 0)", ss, se, ah, al)
		}
		err = d.decodeDCT(&br, sc)
	}
	if err != nil {
		return 0, err
	}
	for _, c := range sc {
		d.comps[c.ci].done = true
	}
	return d.skipToMarker(br.pos), nil
}

// skipToMarker returns the position of the next marker at or after pos,
// skipping entropy-coded bytes left after the last MCU (libjpeg does the
// same, with a warning), or len(data).
func (d *decoder) skipToMarker(pos int) int {
	data := d.data
	for pos < len(data) {
		if data[pos] == 0xFF && pos+1 < len(data) && data[pos+1] != 0 {
			return pos
		}
		if data[pos] == 0xFF {
			pos += 2
		} else {
			pos++
		}
	}
	return len(data)
}

// zigzag maps zig-zag order to natural (row-major) order (T.81 Figure A.6).
var zigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}
