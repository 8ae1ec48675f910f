package jpegls

import (
	"fmt"
)

// Image is a decoded frame: stored values, row-major, components
// interleaved. Pix has Rows*Cols*Components values laid out
// [Rows][Cols][Components]; each is in 0..MAXVAL (2^Precision-1 unless an
// LSE segment set another MAXVAL). Precision is the frame's sample
// precision P (2..16 bits).
type Image struct {
	Rows, Cols, Components, Precision int
	Pix                               []int32
}

// MaxSamples bounds Rows*Cols*Components, and MaxLineSamples
// Cols*Components: larger images are refused before anything is allocated.
// (A scan keeps two lines of each of its components.)
const (
	MaxSamples     = 1 << 28
	MaxLineSamples = 1 << 22
)

// A FormatError reports a malformed or truncated codestream: the marker
// segment (or scan) where the problem was found, and its byte offset in the
// codestream.
type FormatError struct {
	Marker string // "SOI", "SOF55", "LSE", "SOS", "RST3", "FF12", ...
	Offset int    // byte offset of the marker in the codestream
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("jpegls: %s at offset %d: %s", e.Marker, e.Offset, e.Msg)
}

// An UnsupportedError reports a valid codestream that uses a feature this
// package does not decode (mapping tables, point transform, subsampling,
// DNL).
type UnsupportedError struct {
	Marker string
	Offset int
	Msg    string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("jpegls: %s at offset %d: unsupported: %s", e.Marker, e.Offset, e.Msg)
}

// Marker codes (T.87 Table C.1; T.81 Table B.1 for the shared ones).
const (
	mSOF55 = 0xF7 // start of frame, JPEG-LS
	mLSE   = 0xF8 // JPEG-LS preset parameters
	mSOI   = 0xD8
	mEOI   = 0xD9
	mSOS   = 0xDA
	mDNL   = 0xDC
	mDRI   = 0xDD
	mRST0  = 0xD0
	mCOM   = 0xFE
)

func markerName(m byte) string {
	switch {
	case m == mSOF55:
		return "SOF55"
	case m == mLSE:
		return "LSE"
	case m == mSOI:
		return "SOI"
	case m == mEOI:
		return "EOI"
	case m == mSOS:
		return "SOS"
	case m == mDNL:
		return "DNL"
	case m == mDRI:
		return "DRI"
	case m == mCOM:
		return "COM"
	case m >= mRST0 && m <= mRST0+7:
		return fmt.Sprintf("RST%d", m-mRST0)
	case m >= 0xE0 && m <= 0xEF:
		return fmt.Sprintf("APP%d", m-0xE0)
	case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
		return fmt.Sprintf("SOF%d", m-0xC0)
	}
	return fmt.Sprintf("FF%02X", m)
}

// component is one frame component (T.87 C.2.2).
type component struct {
	id   byte
	hv   byte // sampling factors H (high nibble) and V (low nibble)
	done bool // decoded by an earlier scan
}

// preset holds the LSE preset coding parameters (T.87 C.2.4.1.1); a zero
// field means "the default".
type preset struct {
	maxval, t1, t2, t3, reset int
}

// decoder walks the marker segments of one codestream.
type decoder struct {
	data []byte
	pos  int // next byte to parse

	sofOff                int // offset of SOF55, -1 before it
	precision             int
	rows, cols            int
	comps                 []component
	pix                   []int32
	preset                preset
	restart               int // restart interval in lines (MCUs), 0 = none
	scans, componentsDone int

	// charlsMaxval decodes an LSE MAXVAL below 2^P-1 as CharLS does
	// (see params); customMaxval records that a scan had one.
	charlsMaxval, customMaxval bool
}

func (d *decoder) errf(m byte, off int, format string, args ...any) error {
	return &FormatError{Marker: markerName(m), Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) unsupported(m byte, off int, format string, args ...any) error {
	return &UnsupportedError{Marker: markerName(m), Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// Decode decodes one complete JPEG-LS codestream (one DICOM frame): SOI,
// the frame header, one scan per component (ILV 0) or one interleaved scan,
// EOI. Bytes after EOI (DICOM's even-length padding) are ignored, and a
// missing EOI is accepted once every sample has been decoded.
//
// A stream whose LSE segment sets MAXVAL below 2^P-1 is decoded as T.87
// specifies; if that fails, it is decoded again as CharLS (and so GDCM and
// pydicom) writes and reads such streams (see params), and that result is
// returned if it succeeds.
func Decode(data []byte) (*Image, error) {
	d := &decoder{data: data, sofOff: -1}
	err := d.run(false)
	if err != nil && d.customMaxval {
		c := &decoder{data: data, sofOff: -1, charlsMaxval: true}
		if c.run(false) == nil {
			d, err = c, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return &Image{Rows: d.rows, Cols: d.cols, Components: len(d.comps), Precision: d.precision, Pix: d.pix}, nil
}

// DecodeConfig reads the headers of a codestream up to its first scan and
// returns the image size, so a caller can check it before decoding; it
// checks the same limits as Decode (MaxSamples included) but not the
// entropy-coded data.
func DecodeConfig(data []byte) (rows, cols, components, precision int, err error) {
	d := &decoder{data: data, sofOff: -1}
	if err := d.run(true); err != nil {
		return 0, 0, 0, 0, err
	}
	return d.rows, d.cols, len(d.comps), d.precision, nil
}

// run parses marker segments (T.87 Annex C) and decodes each scan; with
// headersOnly it stops at the first SOS, after checking its header.
func (d *decoder) run(headersOnly bool) error {
	if len(d.data) < 2 || d.data[0] != 0xFF || d.data[1] != mSOI {
		return &FormatError{Marker: "SOI", Offset: 0, Msg: "missing start of image marker (FF D8): not a JPEG-LS codestream"}
	}
	d.pos = 2
	for {
		// Find the next marker, skipping fill bytes (0xFF) before it.
		off := d.pos
		if off >= len(d.data) {
			if d.sofOff >= 0 && d.componentsDone == len(d.comps) && !headersOnly {
				return nil // every sample decoded: tolerate a missing EOI
			}
			return &FormatError{Marker: "EOI", Offset: off, Msg: "codestream ends before the image is complete (truncated)"}
		}
		if d.data[off] != 0xFF {
			return &FormatError{Marker: "marker", Offset: off, Msg: fmt.Sprintf("expected a marker (FF xx), found byte 0x%02X", d.data[off])}
		}
		for off+1 < len(d.data) && d.data[off+1] == 0xFF {
			off++
		}
		if off+1 >= len(d.data) {
			return &FormatError{Marker: "marker", Offset: off, Msg: "codestream ends inside a marker (truncated)"}
		}
		m := d.data[off+1]
		d.pos = off + 2
		switch {
		case m == mEOI:
			if d.sofOff < 0 {
				return d.errf(m, off, "end of image before a frame header (SOF55)")
			}
			if headersOnly || d.componentsDone < len(d.comps) {
				return d.errf(m, off, "end of image after %d of %d components were decoded", d.componentsDone, len(d.comps))
			}
			return nil
		case m == mSOF55:
			if err := d.parseSOF(off); err != nil {
				return err
			}
		case m == mLSE:
			if err := d.parseLSE(off); err != nil {
				return err
			}
		case m == mDRI:
			if err := d.parseDRI(off); err != nil {
				return err
			}
		case m == mSOS:
			if err := d.parseSOS(off, headersOnly); err != nil {
				return err
			}
			if headersOnly {
				return nil
			}
		case m == mCOM || (m >= 0xE0 && m <= 0xEF):
			if _, err := d.segment(m, off); err != nil {
				return err
			}
		case m == mDNL:
			return d.unsupported(m, off, "a DNL marker (image height defined after the scan)")
		case m >= mRST0 && m <= mRST0+7:
			return d.errf(m, off, "restart marker outside a scan")
		case m == mSOI:
			return d.errf(m, off, "second start of image marker")
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
			return d.errf(m, off, "a frame of another JPEG process (T.81); JPEG-LS frames are SOF55 (FF F7)")
		default:
			return d.errf(m, off, "unexpected marker in a JPEG-LS codestream")
		}
	}
}

// segment returns the payload of the marker segment whose marker is at off
// (after its 2-byte length) and moves past it.
func (d *decoder) segment(m byte, off int) ([]byte, error) {
	p := off + 2
	if p+2 > len(d.data) {
		return nil, d.errf(m, off, "segment length missing (truncated)")
	}
	n := int(d.data[p])<<8 | int(d.data[p+1])
	if n < 2 {
		return nil, d.errf(m, off, "segment length %d is less than 2", n)
	}
	if p+n > len(d.data) {
		return nil, d.errf(m, off, "segment length %d runs past the end of the data (%d bytes left)", n, len(d.data)-p)
	}
	d.pos = p + n
	return d.data[p+2 : p+n], nil
}

// initialPix is the number of output values allocated before any line is
// decoded; larger images grow as their first scan is decoded.
const initialPix = 1 << 20

// growPix makes d.pix hold at least n values, doubling its capacity up to
// the image size.
func (d *decoder) growPix(n int) {
	if n <= len(d.pix) {
		return
	}
	if n > cap(d.pix) {
		total := d.rows * d.cols * len(d.comps)
		p := make([]int32, len(d.pix), min(max(2*cap(d.pix), n), total))
		copy(p, d.pix)
		d.pix = p
	}
	d.pix = d.pix[:n]
}

func be16(b []byte) int { return int(b[0])<<8 | int(b[1]) }

// checkSize refuses images of more than MaxSamples samples.
func (d *decoder) checkSize(m byte, off int) error {
	// rows and cols are below 2^32 (LSE oversize dimensions), so rows*cols
	// fits an int64, but times 255 components it may not: test it first.
	if n := int64(d.rows) * int64(d.cols); n > MaxSamples || n*int64(len(d.comps)) > MaxSamples {
		return d.errf(m, off, "%d rows x %d columns x %d components exceed the limit of %d samples", d.rows, d.cols, len(d.comps), MaxSamples)
	}
	if int64(d.cols)*int64(len(d.comps)) > MaxLineSamples {
		return d.errf(m, off, "%d columns x %d components exceed the limit of %d samples a line", d.cols, len(d.comps), MaxLineSamples)
	}
	return nil
}

// parseSOF reads the frame header (T.87 C.2.2): Lf, P, Y, X, Nf, and per
// component Ci, Hi/Vi, Tqi.
func (d *decoder) parseSOF(off int) error {
	seg, err := d.segment(mSOF55, off)
	if err != nil {
		return err
	}
	if d.sofOff >= 0 {
		return d.errf(mSOF55, off, "second frame header (the first is at offset %d)", d.sofOff)
	}
	if len(seg) < 6 {
		return d.errf(mSOF55, off, "frame header is %d bytes, at least 6 needed", len(seg))
	}
	p, y, x, nf := int(seg[0]), be16(seg[1:]), be16(seg[3:]), int(seg[5])
	if p < 2 || p > 16 {
		return d.errf(mSOF55, off, "sample precision %d bits, want 2..16", p)
	}
	if nf < 1 {
		return d.errf(mSOF55, off, "no components")
	}
	if len(seg) != 6+3*nf {
		return d.errf(mSOF55, off, "frame header is %d bytes, %d expected for %d components", len(seg), 6+3*nf, nf)
	}
	d.sofOff, d.precision, d.rows, d.cols = off, p, y, x
	d.comps = make([]component, nf)
	for i := range d.comps {
		c := seg[6+3*i:]
		for j := range i {
			if d.comps[j].id == c[0] {
				return d.errf(mSOF55, off, "component identifier %d appears twice", c[0])
			}
		}
		d.comps[i] = component{id: c[0], hv: c[1]}
		if c[1] != d.comps[0].hv {
			return d.unsupported(mSOF55, off, "components with different sampling factors (0x%02X, 0x%02X)", d.comps[0].hv, c[1])
		}
	}
	return d.checkSize(mSOF55, off)
}

// parseLSE reads a JPEG-LS preset parameters segment (T.87 C.2.4.1).
func (d *decoder) parseLSE(off int) error {
	seg, err := d.segment(mLSE, off)
	if err != nil {
		return err
	}
	if len(seg) < 1 {
		return d.errf(mLSE, off, "empty segment")
	}
	switch id := seg[0]; id {
	case 1: // preset coding parameters, C.2.4.1.1
		if len(seg) != 11 {
			return d.errf(mLSE, off, "preset coding parameters are %d bytes, 11 expected", len(seg))
		}
		d.preset = preset{maxval: be16(seg[1:]), t1: be16(seg[3:]), t2: be16(seg[5:]), t3: be16(seg[7:]), reset: be16(seg[9:])}
	case 2, 3: // mapping table specification / continuation, C.2.4.1.2-3
		// Kept only if a scan refers to it, which parseSOS refuses.
	case 4: // oversize image dimensions, C.2.4.1.4
		if d.sofOff < 0 || d.scans > 0 {
			return d.errf(mLSE, off, "oversize image dimensions must follow the frame header and precede the first scan")
		}
		if len(seg) < 2 {
			return d.errf(mLSE, off, "oversize image dimensions segment is %d bytes", len(seg))
		}
		w := int(seg[1])
		if w < 2 || w > 4 || len(seg) != 2+2*w {
			return d.errf(mLSE, off, "oversize image dimensions: Wxy %d with a %d-byte segment", w, len(seg))
		}
		var y, x int64
		for i := range w {
			y = y<<8 | int64(seg[2+i])
			x = x<<8 | int64(seg[2+w+i])
		}
		if y > MaxSamples || x > MaxSamples {
			return d.errf(mLSE, off, "%d rows x %d columns exceed the limit of %d samples", y, x, MaxSamples)
		}
		d.rows, d.cols = int(y), int(x)
		return d.checkSize(mLSE, off)
	default:
		return d.errf(mLSE, off, "unknown preset parameters ID %d", id)
	}
	return nil
}

// parseDRI reads a restart interval definition (T.81 B.2.4.4 as T.87 Annex
// C extends it: Ri in 2, 3 or 4 bytes).
func (d *decoder) parseDRI(off int) error {
	seg, err := d.segment(mDRI, off)
	if err != nil {
		return err
	}
	if len(seg) < 2 || len(seg) > 4 {
		return d.errf(mDRI, off, "restart interval segment is %d bytes, want 2..4", len(seg))
	}
	ri := 0
	for _, b := range seg {
		ri = ri<<8 | int(b)
	}
	d.restart = ri
	return nil
}

// parseSOS reads a scan header (T.87 C.2.3: Ls, Ns, Csj, Tmj, NEAR, ILV,
// Al/Ah) and, unless headersOnly, decodes the scan.
func (d *decoder) parseSOS(off int, headersOnly bool) error {
	seg, err := d.segment(mSOS, off)
	if err != nil {
		return err
	}
	if d.sofOff < 0 {
		return d.errf(mSOS, off, "scan before the frame header (SOF55)")
	}
	if d.rows == 0 || d.cols == 0 {
		if d.rows == 0 && d.cols != 0 {
			return d.unsupported(mSOS, off, "image height 0 in the frame header (defined by a DNL marker)")
		}
		return d.errf(mSOS, off, "image of %d rows x %d columns", d.rows, d.cols)
	}
	if len(seg) < 1 {
		return d.errf(mSOS, off, "empty scan header")
	}
	ns := int(seg[0])
	if ns < 1 || ns > len(d.comps) {
		return d.errf(mSOS, off, "%d components in the scan, the frame has %d", ns, len(d.comps))
	}
	if len(seg) != 4+2*ns {
		return d.errf(mSOS, off, "scan header is %d bytes, %d expected for %d components", len(seg), 4+2*ns, ns)
	}
	near, ilv, pt := int(seg[1+2*ns]), int(seg[2+2*ns]), seg[3+2*ns]
	idx := make([]int, ns)
	for j := range ns {
		cs, tm := seg[1+2*j], seg[2+2*j]
		i := -1
		for k, c := range d.comps {
			if c.id == cs {
				i = k
			}
		}
		if i < 0 {
			return d.errf(mSOS, off, "component identifier %d is not in the frame", cs)
		}
		for _, prev := range idx[:j] {
			if prev == i {
				return d.errf(mSOS, off, "component identifier %d appears twice", cs)
			}
		}
		if d.comps[i].done {
			return d.errf(mSOS, off, "component %d was decoded by an earlier scan", cs)
		}
		if tm != 0 {
			return d.unsupported(mSOS, off, "component %d uses mapping table %d (palette images)", cs, tm)
		}
		idx[j] = i
	}
	if ilv > 2 {
		return d.errf(mSOS, off, "interleave mode ILV %d, want 0, 1 or 2", ilv)
	}
	if ilv == 0 && ns != 1 {
		return d.errf(mSOS, off, "interleave mode 0 (none) with %d components in the scan", ns)
	}
	if pt != 0 {
		return d.unsupported(mSOS, off, "point transform Al/Ah 0x%02X", pt)
	}
	par, err := d.params(near, off)
	if err != nil {
		return err
	}
	if err := d.checkSize(mSOS, off); err != nil {
		return err
	}
	if headersOnly {
		return nil
	}
	if d.pix == nil {
		// The first scan grows the output line by line (growPix), so a
		// forged size on a short stream fails before much is allocated.
		d.pix = make([]int32, 0, min(d.rows*d.cols*len(d.comps), initialPix))
	}
	s := newScan(d, par, idx, ilv, off)
	if err := s.decode(); err != nil {
		return err
	}
	for _, i := range idx {
		d.comps[i].done = true
	}
	d.componentsDone += ns
	d.scans++
	// The scan's entropy-coded data end at the next marker.
	d.pos = s.br.nextMarker()
	return nil
}

// params holds the coding parameters of one scan (T.87 A.2.1, C.2.4.1.1).
type params struct {
	near, maxval, rng, qbpp, limit, reset int
	t1, t2, t3                            int
}

// params validates NEAR and the preset parameters against the frame and
// fills in defaults (T.87 C.2.4.1.1.1, Table C.3; the same checks as
// CharLS).
func (d *decoder) params(near, off int) (params, error) {
	full := 1<<d.precision - 1
	pr := d.preset
	maxval := full
	if pr.maxval != 0 {
		if pr.maxval > full {
			return params{}, d.errf(mSOS, off, "MAXVAL %d from LSE exceeds 2^%d-1", pr.maxval, d.precision)
		}
		maxval = pr.maxval
	}
	if near > min(255, maxval/2) {
		return params{}, d.errf(mSOS, off, "NEAR %d exceeds min(255, MAXVAL/2) = %d", near, min(255, maxval/2))
	}
	def := defaultThresholds(maxval, near)
	p := params{near: near, maxval: maxval, t1: def.t1, t2: def.t2, t3: def.t3, reset: 64}
	if pr.t1 != 0 {
		if pr.t1 < near+1 || pr.t1 > maxval {
			return params{}, d.errf(mSOS, off, "LSE threshold T1 %d outside %d..%d", pr.t1, near+1, maxval)
		}
		p.t1 = pr.t1
	}
	if pr.t2 != 0 {
		if pr.t2 < p.t1 || pr.t2 > maxval {
			return params{}, d.errf(mSOS, off, "LSE threshold T2 %d outside %d..%d", pr.t2, p.t1, maxval)
		}
		p.t2 = pr.t2
	}
	if pr.t3 != 0 {
		if pr.t3 < p.t2 || pr.t3 > maxval {
			return params{}, d.errf(mSOS, off, "LSE threshold T3 %d outside %d..%d", pr.t3, p.t2, maxval)
		}
		p.t3 = pr.t3
	}
	if pr.reset != 0 {
		if pr.reset < 3 || pr.reset > max(255, maxval) {
			return params{}, d.errf(mSOS, off, "LSE RESET %d outside 3..%d", pr.reset, max(255, maxval))
		}
		p.reset = pr.reset
	}
	// A.2.1: RANGE, qbpp, bpp and LIMIT.
	if maxval < full {
		d.customMaxval = true
		if d.charlsMaxval {
			// CharLS 2.x (jls_codec_factory) derives RANGE, qbpp and LIMIT
			// from 2^P-1 whatever MAXVAL says, and with RESET 64 ignores
			// MAXVAL altogether; only the thresholds come from the LSE
			// segment. Streams it writes with a smaller MAXVAL need this.
			if p.reset == 64 {
				p.maxval = full
			}
			maxval = full
		}
	}
	p.rng = (maxval+2*near)/(2*near+1) + 1
	for 1<<p.qbpp < p.rng {
		p.qbpp++
	}
	bpp := 0
	for 1<<bpp < maxval+1 {
		bpp++
	}
	bpp = max(2, bpp)
	p.limit = 2 * (bpp + max(8, bpp))
	return p, nil
}

// defaultThresholds returns T1, T2, T3 for MAXVAL and NEAR (T.87
// C.2.4.1.1.1, with BASIC_T1..3 = 3, 7, 21).
func defaultThresholds(maxval, near int) preset {
	clamp := func(i, j int) int {
		if i > maxval || i < j {
			return j
		}
		return i
	}
	const b1, b2, b3 = 3, 7, 21
	var t1, t2, t3 int
	if maxval >= 128 {
		f := (min(maxval, 4095) + 128) / 256
		t1 = clamp(f*(b1-2)+2+3*near, near+1)
		t2 = clamp(f*(b2-3)+3+5*near, t1)
		t3 = clamp(f*(b3-4)+4+7*near, t2)
	} else {
		f := 256 / (maxval + 1)
		t1 = clamp(max(2, b1/f+3*near), near+1)
		t2 = clamp(max(3, b2/f+5*near), t1)
		t3 = clamp(max(4, b3/f+7*near), t2)
	}
	return preset{maxval: maxval, t1: t1, t2: t2, t3: t3, reset: 64}
}
