package jpeg2k

import "math/bits"

// The MQ arithmetic decoder of T.800 Annex C and the raw (bypass) bit
// reader of D.6, both reading one codeword segment. Reads past the end of a
// segment see 0xFF bytes, as if the segment were followed by a marker
// (C.3.4: BYTEIN stops at a marker and feeds 1-bits from then on), so a
// truncated or corrupt segment decodes to something without ever indexing
// past its slice.

// qeEntry is one row of Table C.2: the LPS probability estimate, the next
// state after an MPS and after an LPS renormalisation, and whether an LPS
// exchanges the sense of the MPS.
type qeEntry struct {
	qe         uint32
	nmps, nlps uint8
	swtch      uint8
}

// qeTable is Table C.2.
var qeTable = [47]qeEntry{
	{0x5601, 1, 1, 1}, {0x3401, 2, 6, 0}, {0x1801, 3, 9, 0}, {0x0AC1, 4, 12, 0},
	{0x0521, 5, 29, 0}, {0x0221, 38, 33, 0}, {0x5601, 7, 6, 1}, {0x5401, 8, 14, 0},
	{0x4801, 9, 14, 0}, {0x3801, 10, 14, 0}, {0x3001, 11, 17, 0}, {0x2401, 12, 18, 0},
	{0x1C01, 13, 20, 0}, {0x1601, 29, 21, 0}, {0x5601, 15, 14, 1}, {0x5401, 16, 14, 0},
	{0x5101, 17, 15, 0}, {0x4801, 18, 16, 0}, {0x3801, 19, 17, 0}, {0x3401, 20, 18, 0},
	{0x3001, 21, 19, 0}, {0x2801, 22, 19, 0}, {0x2401, 23, 20, 0}, {0x2201, 24, 21, 0},
	{0x1C01, 25, 22, 0}, {0x1801, 26, 23, 0}, {0x1601, 27, 24, 0}, {0x1401, 28, 25, 0},
	{0x1201, 29, 26, 0}, {0x1101, 30, 27, 0}, {0x0AC1, 31, 28, 0}, {0x09C1, 32, 29, 0},
	{0x08A1, 33, 30, 0}, {0x0521, 34, 31, 0}, {0x0441, 35, 32, 0}, {0x02A1, 36, 33, 0},
	{0x0221, 37, 34, 0}, {0x0141, 38, 35, 0}, {0x0111, 39, 36, 0}, {0x0085, 40, 37, 0},
	{0x0049, 41, 38, 0}, {0x0025, 42, 39, 0}, {0x0015, 43, 40, 0}, {0x0009, 44, 41, 0},
	{0x0005, 45, 42, 0}, {0x0001, 45, 43, 0}, {0x5601, 46, 46, 0},
}

// mqState is a context state packed as index<<1 | MPS, so that the
// transition tables below map a packed state straight to the next one.
type mqState = uint8

// Transition tables over packed states (index<<1 | mps), derived from
// Table C.2 once: after an MPS, after an LPS, the Qe of a state.
var (
	mqNextMPS [256]mqState
	mqNextLPS [256]mqState
	mqQe      [256]uint32 // indexed by any uint8 without a bounds check
)

func init() {
	for i, e := range qeTable {
		for mps := 0; mps < 2; mps++ {
			s := i<<1 | mps
			mqQe[s] = e.qe
			mqNextMPS[s] = e.nmps<<1 | uint8(mps)
			lmps := mps
			if e.swtch == 1 {
				lmps = 1 - mps
			}
			mqNextLPS[s] = e.nlps<<1 | uint8(lmps)
		}
	}
}

// Context labels of D.3 and Table D.7: 0-8 significance (zero coding),
// 9-13 sign, 14-16 magnitude refinement, 17 run-length, 18 uniform.
const (
	ctxSC      = 9
	ctxMR      = 14
	ctxRL      = 17
	ctxUniform = 18
	numCtx     = 19
)

// mqDecoder holds the registers of C.3 (A, C, CT) and the byte pointer.
type mqDecoder struct {
	data []byte
	pos  int
	a, c uint32
	ct   int
	cx   [32]mqState // numCtx used; 32 lets cx&31 skip the bounds check
}

// resetContexts sets every context to its initial state (Table D.7).
func (d *mqDecoder) resetContexts() {
	for i := range d.cx {
		d.cx[i] = 0
	}
	d.cx[0] = 4 << 1
	d.cx[ctxRL] = 3 << 1
	d.cx[ctxUniform] = 46 << 1
}

// byteAt returns data[i], or 0xFF past the end.
func (d *mqDecoder) byteAt(i int) uint32 {
	if i < len(d.data) {
		return uint32(d.data[i])
	}
	return 0xFF
}

// init is INITDEC (C.3.5, Figure C.19) on a new codeword segment; the
// context states are kept (a new segment after termination, D.4.2).
func (d *mqDecoder) init(data []byte) {
	d.data = data
	d.pos = 0
	d.c = d.byteAt(0) << 16
	d.bytein()
	d.c <<= 7
	d.ct -= 7
	d.a = 0x8000
}

// bytein is BYTEIN (C.3.4, Figure C.20): a 0xFF followed by a byte above
// 0x8F is a marker, after which 1-bits are fed without advancing.
func (d *mqDecoder) bytein() {
	if d.byteAt(d.pos) == 0xFF {
		b1 := d.byteAt(d.pos + 1)
		if b1 > 0x8F {
			d.c += 0xFF00
			d.ct = 8
		} else {
			d.pos++
			d.c += b1 << 9
			d.ct = 7
		}
	} else {
		d.pos++
		d.c += d.byteAt(d.pos) << 8
		d.ct = 8
	}
}

// decode is DECODE (C.3.2, Figures C.15-C.18) with context cx. C holds
// the code value less the interval's base; the LPS sub-interval is the
// lower one, of size Qe. The common case (an MPS without renormalisation)
// is small enough to be inlined; the rest is decodeSlow.
func (d *mqDecoder) decode(cx int) int {
	s := d.cx[cx&31]
	qe := mqQe[s]
	a := d.a - qe
	if a&0x8000 != 0 && d.c>>16 >= qe {
		d.a = a
		d.c -= qe << 16
		return int(s & 1)
	}
	return d.decodeSlow(cx&31, s, qe, a)
}

func (d *mqDecoder) decodeSlow(cx int, s mqState, qe, a uint32) int {
	var bit int
	if d.c>>16 < qe {
		// LPS_EXCHANGE (Figure C.17)
		if a < qe {
			bit = int(s & 1)
			d.cx[cx] = mqNextMPS[s]
		} else {
			bit = int(s&1) ^ 1
			d.cx[cx] = mqNextLPS[s]
		}
		a = qe
	} else {
		d.c -= qe << 16
		// MPS_EXCHANGE (Figure C.16)
		if a < qe {
			bit = int(s&1) ^ 1
			d.cx[cx] = mqNextLPS[s]
		} else {
			bit = int(s & 1)
			d.cx[cx] = mqNextMPS[s]
		}
	}
	// RENORMD (Figure C.18), shifting as many bits at once as A needs
	// and C holds.
	c, ct := d.c, d.ct
	for a&0x8000 == 0 {
		if ct == 0 {
			d.c = c
			d.bytein()
			c, ct = d.c, d.ct
		}
		n := min(bits.LeadingZeros16(uint16(a)), ct)
		a <<= n
		c <<= n
		ct -= n
	}
	d.a, d.c, d.ct = a, c, ct
	return bit
}

// rawDecoder reads the raw (bypass) segments of selective arithmetic coding
// bypass (D.6): bits MSB first, and after a 0xFF byte only the low seven bits
// of the next byte (its stuffed MSB is skipped). As in the MQ decoder, a
// marker or the end of the segment yields 1-bits.
type rawDecoder struct {
	data []byte
	pos  int
	c    uint32
	ct   int
}

func (r *rawDecoder) init(data []byte) {
	r.data = data
	r.pos = 0
	r.c = 0
	r.ct = 0
}

func (r *rawDecoder) decode() int {
	if r.ct == 0 {
		next := uint32(0xFF)
		if r.pos < len(r.data) {
			next = uint32(r.data[r.pos])
		}
		if r.c == 0xFF {
			if next > 0x8F {
				r.c = 0xFF
				r.ct = 8
			} else {
				r.c = next
				r.pos++
				r.ct = 7
			}
		} else {
			r.c = next
			r.pos++
			r.ct = 8
		}
	}
	r.ct--
	return int(r.c>>uint(r.ct)) & 1
}
