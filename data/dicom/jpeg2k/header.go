package jpeg2k

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Markers of T.800 Annex A (Table A.2).
const (
	mSOC = 0xFF4F
	mSOT = 0xFF90
	mSOD = 0xFF93
	mEOC = 0xFFD9
	mSIZ = 0xFF51
	mCOD = 0xFF52
	mCOC = 0xFF53
	mRGN = 0xFF5E
	mQCD = 0xFF5C
	mQCC = 0xFF5D
	mPOC = 0xFF5F
	mTLM = 0xFF55
	mPLM = 0xFF57
	mPLT = 0xFF58
	mPPM = 0xFF60
	mPPT = 0xFF61
	mSOP = 0xFF91
	mEPH = 0xFF92
	mCRG = 0xFF63
	mCOM = 0xFF64
	mCAP = 0xFF50 // Part 15 capabilities
	mCPF = 0xFF59 // Part 15 corresponding profile
)

func markerName(m int) string {
	switch m {
	case mSOC:
		return "SOC"
	case mSOT:
		return "SOT"
	case mSOD:
		return "SOD"
	case mEOC:
		return "EOC"
	case mSIZ:
		return "SIZ"
	case mCOD:
		return "COD"
	case mCOC:
		return "COC"
	case mRGN:
		return "RGN"
	case mQCD:
		return "QCD"
	case mQCC:
		return "QCC"
	case mPOC:
		return "POC"
	case mTLM:
		return "TLM"
	case mPLM:
		return "PLM"
	case mPLT:
		return "PLT"
	case mPPM:
		return "PPM"
	case mPPT:
		return "PPT"
	case mSOP:
		return "SOP"
	case mEPH:
		return "EPH"
	case mCRG:
		return "CRG"
	case mCOM:
		return "COM"
	case mCAP:
		return "CAP"
	case mCPF:
		return "CPF"
	}
	return fmt.Sprintf("marker 0x%04X", m)
}

// FormatError reports a malformed or unsupported codestream: the marker (or
// structure) at fault and its byte offset in the codestream.
type FormatError struct {
	Where  string // "COD", "SIZ", "packet header", ...
	Offset int    // byte offset in the codestream (the jp2c box's contents for JP2)
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("jpeg2k: %s at offset %d: %s", e.Where, e.Offset, e.Msg)
}

func errorf(where string, off int, format string, args ...any) error {
	return &FormatError{Where: where, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// Limits that keep corrupt headers from allocating without bound.
const (
	maxSamples    = 1 << 28 // total samples of all components
	maxComponents = 16384   // Csiz (A.5.1)
	maxLevels     = 32      // decomposition levels (A.6.1)
	maxPrecision  = 24      // component bit depth we decode (values and transforms fit int32)
	maxCodeBlocks = 1 << 20 // per tile
	maxPrecincts  = 1 << 20 // per tile
	maxTileComps  = 1 << 20 // tiles x components
)

// component is one SIZ component (A.5.1).
type component struct {
	prec   int
	signed bool
	dx, dy int
}

// siz holds the image and tile size marker (A.5.1).
type siz struct {
	xsiz, ysiz, xo, yo int
	xt, yt, xto, yto   int
	comps              []component
	tilesX, tilesY     int
}

// codStyle is the per-component part of COD/COC (SPcod/SPcoc, A.6.1-A.6.2).
type codStyle struct {
	where      string // "COD" or "COC", and its offset, for errors
	off        int
	levels     int
	xcb, ycb   int // log2 code-block size
	cbStyle    uint8
	reversible bool
	precincts  []uint8 // PPx | PPy<<4 per resolution; nil means 15,15
}

// codGlobal is the component-independent part of COD (Scod, SGcod).
type codGlobal struct {
	order  int
	layers int
	mct    int
	sop    bool
	eph    bool
}

type cod struct {
	g codGlobal
	s codStyle
}

// quant is QCD/QCC (A.6.4-A.6.5).
type quant struct {
	where string // "QCD" or "QCC", and its offset, for errors
	off   int
	style int // 0 none, 1 scalar derived, 2 scalar expounded
	guard int
	steps []uint16 // exponent<<11 | mantissa, in band order
}

// progression is one POC entry (A.6.6), or the whole COD progression.
type progression struct {
	rs, cs, lye, re, ce, order int
}

// params collects the coding parameters of the main header or of a tile's
// headers; nil entries are unset there (precedence in A.6: tile COC, tile
// COD, main COC, main COD; likewise QCC/QCD).
type params struct {
	cod  *cod
	coc  []*codStyle
	qcd  *quant
	qcc  []*quant
	rgn  []int // ROI shift per component, -1 if unset
	pocs []progression
}

func newParams(nc int) *params {
	p := &params{coc: make([]*codStyle, nc), qcc: make([]*quant, nc), rgn: make([]int, nc)}
	for i := range p.rgn {
		p.rgn[i] = -1
	}
	return p
}

// segment is a marker segment: its marker, the offset of the marker and
// its parameters (after the length field).
type segment struct {
	m   int
	off int
	b   []byte
}

func u16(b []byte) int { return int(binary.BigEndian.Uint16(b)) }

// u32 reads a 32-bit big-endian field; on 32-bit platforms values above
// the int range read as math.MaxInt (and then fail the length checks).
func u32(b []byte) int {
	v := binary.BigEndian.Uint32(b)
	if uint64(v) > math.MaxInt {
		return math.MaxInt
	}
	return int(v)
}

// parseSIZ reads SIZ (A.5.1).
func parseSIZ(s segment) (*siz, error) {
	b := s.b
	if len(b) < 36 {
		return nil, errorf("SIZ", s.off, "segment is %d bytes, at least 38 expected", len(b)+2)
	}
	z := &siz{
		xsiz: u32(b[2:]), ysiz: u32(b[6:]), xo: u32(b[10:]), yo: u32(b[14:]),
		xt: u32(b[18:]), yt: u32(b[22:]), xto: u32(b[26:]), yto: u32(b[30:]),
	}
	nc := u16(b[34:])
	if nc == 0 || nc > maxComponents {
		return nil, errorf("SIZ", s.off, "%d components (1 to %d allowed)", nc, maxComponents)
	}
	if len(b) < 36+3*nc {
		return nil, errorf("SIZ", s.off, "segment is %d bytes, %d expected for %d components", len(b)+2, 38+3*nc, nc)
	}
	const lim = 1<<31 - 2
	for _, v := range []int{z.xsiz, z.ysiz, z.xo, z.yo, z.xt, z.yt, z.xto, z.yto} {
		if v > lim {
			return nil, errorf("SIZ", s.off, "a size or offset of 2^31-1 or more is not supported")
		}
	}
	switch {
	case z.xsiz <= z.xo || z.ysiz <= z.yo:
		return nil, errorf("SIZ", s.off, "empty image: Xsiz %d, XOsiz %d, Ysiz %d, YOsiz %d", z.xsiz, z.xo, z.ysiz, z.yo)
	case z.xt == 0 || z.yt == 0:
		return nil, errorf("SIZ", s.off, "tile size %dx%d", z.xt, z.yt)
	case z.xto > z.xo || z.yto > z.yo || z.xto+z.xt <= z.xo || z.yto+z.yt <= z.yo:
		return nil, errorf("SIZ", s.off, "tile offset (%d,%d) with tile size %dx%d does not cover the image offset (%d,%d)", z.xto, z.yto, z.xt, z.yt, z.xo, z.yo)
	}
	// B-5, B-6, in int64 so that 32-bit platforms cannot overflow
	tilesX := (int64(z.xsiz) - int64(z.xto) + int64(z.xt) - 1) / int64(z.xt)
	tilesY := (int64(z.ysiz) - int64(z.yto) + int64(z.yt) - 1) / int64(z.yt)
	if tilesX*tilesY > 65535 {
		return nil, errorf("SIZ", s.off, "%dx%d tiles (at most 65535)", tilesX, tilesY)
	}
	z.tilesX, z.tilesY = int(tilesX), int(tilesY)
	if z.tilesX*z.tilesY*nc > maxTileComps {
		return nil, errorf("SIZ", s.off, "%d tiles of %d components (at most %d tile-components)", z.tilesX*z.tilesY, nc, maxTileComps)
	}
	z.comps = make([]component, nc)
	total := 0
	for i := range z.comps {
		c := &z.comps[i]
		ss := int(b[36+3*i])
		c.prec = ss&0x7F + 1
		c.signed = ss&0x80 != 0
		c.dx, c.dy = int(b[37+3*i]), int(b[38+3*i])
		if c.prec > maxPrecision {
			return nil, errorf("SIZ", s.off, "component %d has %d bits (at most %d supported)", i, c.prec, maxPrecision)
		}
		if c.dx == 0 || c.dy == 0 {
			return nil, errorf("SIZ", s.off, "component %d has subsampling %dx%d", i, c.dx, c.dy)
		}
		w := ceilDiv(z.xsiz, c.dx) - ceilDiv(z.xo, c.dx)
		h := ceilDiv(z.ysiz, c.dy) - ceilDiv(z.yo, c.dy)
		total += w * h
		if total > maxSamples {
			return nil, errorf("SIZ", s.off, "image of %dx%d with %d components exceeds %d samples", z.xsiz-z.xo, z.ysiz-z.yo, nc, maxSamples)
		}
	}
	return z, nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// ceilDivPow2 is ceil(a / 2^n) for any sign of a (|a| < 2^31, n <= 32).
func ceilDivPow2(a, n int) int { return int((int64(a) + (1 << n) - 1) >> n) }

// compByte reads a component index of COC/QCC/RGN/POC: one byte when
// Csiz < 257, else two (A.6).
func compIndex(b []byte, nc int) (c, n int, ok bool) {
	if nc < 257 {
		if len(b) < 1 {
			return 0, 0, false
		}
		return int(b[0]), 1, true
	}
	if len(b) < 2 {
		return 0, 0, false
	}
	return u16(b), 2, true
}

// parseSPcod reads SPcod/SPcoc (Tables A.15-A.20); precincts says whether
// the precinct sizes follow (Scod/Scoc bit 0).
func parseSPcod(s segment, b []byte, precincts bool) (codStyle, error) {
	name := markerName(s.m)
	cs := codStyle{where: name, off: s.off}
	if len(b) < 5 {
		return cs, errorf(name, s.off, "segment too short (%d bytes)", len(s.b)+2)
	}
	cs.levels = int(b[0])
	if cs.levels > maxLevels {
		return cs, errorf(name, s.off, "%d decomposition levels (at most %d)", cs.levels, maxLevels)
	}
	if b[1] > 8 || b[2] > 8 || b[1]+b[2] > 8 {
		return cs, errorf(name, s.off, "code-block size exponents %d,%d out of range", b[1]+2, b[2]+2)
	}
	cs.xcb, cs.ycb = int(b[1])+2, int(b[2])+2
	cs.cbStyle = b[3]
	if cs.cbStyle&styleHT != 0 || cs.cbStyle&0x80 != 0 {
		return cs, errorf(name, s.off, "code-block style 0x%02X (HTJ2K) is not supported", cs.cbStyle)
	}
	switch b[4] {
	case 0:
	case 1:
		cs.reversible = true
	default:
		return cs, errorf(name, s.off, "wavelet transform %d (0 = 9/7, 1 = 5/3; others need Part 2)", b[4])
	}
	if precincts {
		n := cs.levels + 1
		if len(b) < 5+n {
			return cs, errorf(name, s.off, "%d precinct sizes expected, %d bytes left", n, len(b)-5)
		}
		cs.precincts = append([]uint8(nil), b[5:5+n]...)
		for r := 1; r < n; r++ {
			if cs.precincts[r]&0xF == 0 || cs.precincts[r]>>4 == 0 {
				return cs, errorf(name, s.off, "precinct size exponent 0 at resolution %d", r)
			}
		}
	}
	return cs, nil
}

// parseCOD reads COD (A.6.1).
func parseCOD(s segment) (*cod, error) {
	b := s.b
	if len(b) < 5 {
		return nil, errorf("COD", s.off, "segment too short (%d bytes)", len(b)+2)
	}
	scod := b[0]
	c := &cod{g: codGlobal{order: int(b[1]), layers: u16(b[2:]), mct: int(b[4]), sop: scod&2 != 0, eph: scod&4 != 0}}
	if c.g.order > 4 {
		return nil, errorf("COD", s.off, "progression order %d", c.g.order)
	}
	if c.g.layers == 0 {
		return nil, errorf("COD", s.off, "zero quality layers")
	}
	if c.g.mct > 1 {
		return nil, errorf("COD", s.off, "multiple component transform %d (Part 2) is not supported", c.g.mct)
	}
	var err error
	c.s, err = parseSPcod(s, b[5:], scod&1 != 0)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// parseCOC reads COC (A.6.2) into p.
func parseCOC(s segment, p *params) error {
	c, n, ok := compIndex(s.b, len(p.coc))
	if !ok || len(s.b) < n+1 {
		return errorf("COC", s.off, "segment too short (%d bytes)", len(s.b)+2)
	}
	if c >= len(p.coc) {
		return errorf("COC", s.off, "component %d of %d", c, len(p.coc))
	}
	cs, err := parseSPcod(s, s.b[n+1:], s.b[n]&1 != 0)
	if err != nil {
		return err
	}
	p.coc[c] = &cs
	return nil
}

// parseQuant reads Sqcd and SPqcd (A.6.4, Tables A.28-A.30).
func parseQuant(s segment, b []byte) (*quant, error) {
	name := markerName(s.m)
	if len(b) < 1 {
		return nil, errorf(name, s.off, "segment too short (%d bytes)", len(s.b)+2)
	}
	q := &quant{where: name, off: s.off, style: int(b[0] & 0x1F), guard: int(b[0] >> 5)}
	b = b[1:]
	switch q.style {
	case 0:
		if len(b) == 0 {
			return nil, errorf(name, s.off, "no exponents")
		}
		q.steps = make([]uint16, len(b))
		for i, v := range b {
			q.steps[i] = uint16(v>>3) << 11
		}
	case 1, 2:
		if len(b) < 2 || (q.style == 1 && len(b) != 2) || len(b)%2 != 0 {
			return nil, errorf(name, s.off, "%d bytes of step sizes for quantization style %d", len(b), q.style)
		}
		q.steps = make([]uint16, len(b)/2)
		for i := range q.steps {
			q.steps[i] = uint16(u16(b[2*i:]))
		}
	default:
		return nil, errorf(name, s.off, "quantization style %d", q.style)
	}
	return q, nil
}

// parseQCC reads QCC (A.6.5) into p.
func parseQCC(s segment, p *params) error {
	c, n, ok := compIndex(s.b, len(p.qcc))
	if !ok {
		return errorf("QCC", s.off, "segment too short (%d bytes)", len(s.b)+2)
	}
	if c >= len(p.qcc) {
		return errorf("QCC", s.off, "component %d of %d", c, len(p.qcc))
	}
	q, err := parseQuant(s, s.b[n:])
	if err != nil {
		return err
	}
	p.qcc[c] = q
	return nil
}

// parseRGN reads RGN (A.6.3): only the implicit (max-shift) style exists.
func parseRGN(s segment, p *params) error {
	c, n, ok := compIndex(s.b, len(p.rgn))
	if !ok || len(s.b) < n+2 {
		return errorf("RGN", s.off, "segment too short (%d bytes)", len(s.b)+2)
	}
	if c >= len(p.rgn) {
		return errorf("RGN", s.off, "component %d of %d", c, len(p.rgn))
	}
	if s.b[n] != 0 {
		return errorf("RGN", s.off, "ROI style %d (only 0, implicit, exists)", s.b[n])
	}
	p.rgn[c] = int(s.b[n+1])
	return nil
}

// parsePOC reads POC (A.6.6) and appends its progressions to p.
func parsePOC(s segment, p *params, nc int) error {
	cw := 1
	if nc >= 257 {
		cw = 2
	}
	entry := 5 + 2*cw
	if len(s.b) == 0 || len(s.b)%entry != 0 {
		return errorf("POC", s.off, "segment of %d bytes is not a whole number of %d-byte entries", len(s.b)+2, entry)
	}
	for b := s.b; len(b) > 0; b = b[entry:] {
		var pr progression
		pr.rs = int(b[0])
		if cw == 1 {
			pr.cs = int(b[1])
		} else {
			pr.cs = u16(b[1:])
		}
		pr.lye = u16(b[1+cw:])
		pr.re = int(b[3+cw])
		if cw == 1 {
			pr.ce = int(b[4+cw])
		} else {
			pr.ce = u16(b[4+cw:])
		}
		if pr.ce == 0 { // Table A.32: 0 means 256 (or 16384 with two bytes)
			pr.ce = 256
			if cw == 2 {
				pr.ce = 16384
			}
		}
		pr.order = int(b[4+2*cw])
		if pr.order > 4 {
			return errorf("POC", s.off, "progression order %d", pr.order)
		}
		p.pocs = append(p.pocs, pr)
	}
	return nil
}

// apply parses one marker segment of the main header or a tile-part
// header into p; first says whether it may carry COD/COC/QCD/QCC/RGN
// (a tile's first tile-part, A.4.2).
func (p *params) apply(s segment, z *siz, first bool) error {
	switch s.m {
	case mCOD, mCOC, mQCD, mQCC, mRGN:
		if !first {
			return errorf(markerName(s.m), s.off, "only allowed in the main header and a tile's first tile-part")
		}
	}
	switch s.m {
	case mCOD:
		c, err := parseCOD(s)
		if err != nil {
			return err
		}
		p.cod = c
	case mCOC:
		return parseCOC(s, p)
	case mQCD:
		q, err := parseQuant(s, s.b)
		if err != nil {
			return err
		}
		p.qcd = q
	case mQCC:
		return parseQCC(s, p)
	case mRGN:
		return parseRGN(s, p)
	case mPOC:
		return parsePOC(s, p, len(z.comps))
	}
	return nil
}
