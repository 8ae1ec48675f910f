package jpeg2k

// Tier-1: coefficient bit modelling (T.800 Annex D). A code-block is
// decoded bit-plane by bit-plane in three coding passes (significance
// propagation D.3.1, magnitude refinement D.3.3, cleanup D.3.4) over
// stripes of four rows (D.2.1), with the context models of Tables D.1-D.4
// driving the MQ decoder (Annex C) or, in bypass mode, raw bits (D.6).
//
// Coefficients are kept as OpenJPEG keeps them, with one extra fractional
// bit: a coefficient that becomes significant in bit-plane p is set to
// 3<<p (the midpoint 1.5*2^p in half units), and each refinement moves it
// by 1<<(p-1) half units towards the middle of the narrowed interval
// (reconstruction at r = 1/2, E.1.1.2). Reversible bands are then halved,
// irreversible ones scaled by half the step size.

// Flag bits of one coefficient in t1.flags: the significance of its eight
// neighbours, the signs of its four direct neighbours (set only when that
// neighbour is significant), and its own state.
const (
	fNW = 1 << iota
	fN
	fNE
	fW
	fE
	fSW
	fS
	fSE
	fSgnN // north neighbour negative
	fSgnW
	fSgnE
	fSgnS
	fSig     // significant
	fVisit   // coded in this bit-plane's significance pass
	fRefined // refined at least once (Table D.4)
	fNeg     // own sign negative

	fNeighbours = fNW | fN | fNE | fW | fE | fSW | fS | fSE
	// fSouth is what the vertically causal mode (D.7) hides from the last
	// row of a stripe: the next stripe's coefficients.
	fSouth = fSW | fS | fSE | fSgnS
)

// Code-block style bits of COD/COC SPcod (Table A.19).
const (
	styleBypass    = 0x01 // selective arithmetic coding bypass (D.6)
	styleReset     = 0x02 // reset context probabilities each pass (D.4.2)
	styleTermAll   = 0x04 // terminate each coding pass (D.4.2)
	styleVCausal   = 0x08 // vertically causal context formation (D.7)
	stylePredTerm  = 0x10 // predictable termination (D.4.2): nothing to do when decoding
	styleSegSymbol = 0x20 // segmentation symbols after each cleanup pass (D.5)
	styleHT        = 0x40 // HTJ2K (Part 15): not supported
)

// zcLUT maps the eight neighbour significance bits to the zero coding
// context (Table D.1): index 0 for LL and LH bands, 1 for HL, 2 for HH.
var zcLUT [3][256]uint8

// scLUT maps the low 12 flag bits to the sign coding context (Table D.3)
// in bits 0-4 and the XOR bit in bit 7.
var scLUT [1 << 12]uint8

func init() {
	for f := 0; f < 256; f++ {
		h := f>>3&1 + f>>4&1                // W, E
		v := f>>1&1 + f>>6&1                // N, S
		d := f&1 + f>>2&1 + f>>5&1 + f>>7&1 // diagonals
		zcLUT[0][f] = zcLLLH(h, v, d)       // LL, LH
		zcLUT[1][f] = zcLLLH(v, h, d)       // HL: H and V swapped
		zcLUT[2][f] = zcHH(h+v, d)          // HH
	}
	for f := 0; f < 1<<12; f++ {
		contrib := func(sig, neg int) int {
			if f&sig == 0 {
				return 0
			}
			if f&neg != 0 {
				return -1
			}
			return 1
		}
		h := contrib(fW, fSgnW) + contrib(fE, fSgnE)
		v := contrib(fN, fSgnN) + contrib(fS, fSgnS)
		h = max(-1, min(1, h))
		v = max(-1, min(1, v))
		xor := 0
		if h < 0 || (h == 0 && v < 0) {
			h, v, xor = -h, -v, 1
		}
		var ctx int
		switch {
		case h == 1 && v == 1:
			ctx = 13
		case h == 1 && v == 0:
			ctx = 12
		case h == 1 && v == -1:
			ctx = 11
		case h == 0 && v == 1:
			ctx = 10
		default:
			ctx = 9
		}
		scLUT[f] = uint8(ctx | xor<<7)
	}
}

func zcLLLH(h, v, d int) uint8 {
	switch {
	case h == 2:
		return 8
	case h == 1 && v >= 1:
		return 7
	case h == 1 && d >= 1:
		return 6
	case h == 1:
		return 5
	case v == 2:
		return 4
	case v == 1:
		return 3
	case d >= 2:
		return 2
	case d == 1:
		return 1
	}
	return 0
}

func zcHH(hv, d int) uint8 {
	switch {
	case d >= 3:
		return 8
	case d == 2 && hv >= 1:
		return 7
	case d == 2:
		return 6
	case d == 1 && hv >= 2:
		return 5
	case d == 1 && hv == 1:
		return 4
	case d == 1:
		return 3
	case hv >= 2:
		return 2
	case hv == 1:
		return 1
	}
	return 0
}

// t1 is the reusable scratch of one tier-1 decoder: the coefficients of a
// code-block (row-major, w x h) and their flags (with a one-sample border,
// stride w+2), the MQ and raw decoders and a buffer to join a codeword
// segment that arrived in several packets.
type t1 struct {
	mq    mqDecoder
	raw   rawDecoder
	data  []int32
	flags []uint16
	w, h  int
	fs    int // flags stride
	zc    *[256]uint8
	vc    bool
	join  []byte
	segs  []codeSeg
}

// reset prepares the scratch for a w x h code-block.
func (t *t1) reset(w, h int) {
	t.w, t.h, t.fs = w, h, w+2
	n := w * h
	if cap(t.data) < n {
		t.data = make([]int32, n)
	}
	t.data = t.data[:n]
	clear(t.data)
	nf := (w + 2) * (h + 2)
	if cap(t.flags) < nf {
		t.flags = make([]uint16, nf)
	}
	t.flags = t.flags[:nf]
	clear(t.flags)
}

// setSig marks the coefficient with flag index fi significant and tells its
// neighbours (D.3.1).
func (t *t1) setSig(fi int, neg bool) {
	fl := t.flags
	fs := t.fs
	if neg {
		fl[fi-fs-1] |= fSE
		fl[fi-fs] |= fS | fSgnS
		fl[fi-fs+1] |= fSW
		fl[fi-1] |= fE | fSgnE
		fl[fi] |= fSig | fNeg
		fl[fi+1] |= fW | fSgnW
		fl[fi+fs-1] |= fNE
		fl[fi+fs] |= fN | fSgnN
		fl[fi+fs+1] |= fNW
		return
	}
	fl[fi-fs-1] |= fSE
	fl[fi-fs] |= fS
	fl[fi-fs+1] |= fSW
	fl[fi-1] |= fE
	fl[fi] |= fSig
	fl[fi+1] |= fW
	fl[fi+fs-1] |= fNE
	fl[fi+fs] |= fN
	fl[fi+fs+1] |= fNW
}

// mask returns the flags of row y as the context models see them: in
// vertically causal mode the last row of a stripe ignores the next stripe.
func (t *t1) mask(f uint16, y int) uint16 {
	if t.vc && y&3 == 3 {
		return f &^ fSouth
	}
	return f
}

// sigPass is the significance propagation pass (D.3.1) of bit-plane p.
func (t *t1) sigPass(p int, raw bool) {
	mq := &t.mq
	oneplushalf := int32(1)<<p | int32(1)<<p>>1 // 1.5*2^(p-1), plane p-1's midpoint, in half units
	w, h, fs := t.w, t.h, t.fs
	for y0 := 0; y0 < h; y0 += 4 {
		y1 := min(y0+4, h)
		for x := 0; x < w; x++ {
			fi := (y0+1)*fs + x + 1
			for y := y0; y < y1; y, fi = y+1, fi+fs {
				f := t.flags[fi]
				if f&fSig != 0 {
					continue
				}
				m := t.mask(f, y)
				if m&fNeighbours == 0 {
					continue
				}
				var bit int
				if raw {
					bit = t.raw.decode()
				} else {
					{ // inlined mqDecoder.decode
						cx := int(t.zc[m&0xFF]) & 31
						st := mq.cx[cx]
						qe := mqQe[st]
						if a := mq.a - qe; a&0x8000 != 0 && mq.c>>16 >= qe {
							mq.a, mq.c = a, mq.c-qe<<16
							bit = int(st & 1)
						} else {
							bit = mq.decodeSlow(cx, st, qe, a)
						}
					}
				}
				if bit != 0 {
					var neg int
					if raw {
						neg = t.raw.decode()
					} else {
						s := scLUT[m&0xFFF]
						{ // inlined mqDecoder.decode
							cx := int(s&0x1F) & 31
							st := mq.cx[cx]
							qe := mqQe[st]
							if a := mq.a - qe; a&0x8000 != 0 && mq.c>>16 >= qe {
								mq.a, mq.c = a, mq.c-qe<<16
								neg = int(st & 1)
							} else {
								neg = mq.decodeSlow(cx, st, qe, a)
							}
						}
						neg ^= int(s >> 7)
					}
					v := oneplushalf
					if neg != 0 {
						v = -v
					}
					t.data[y*w+x] = v
					t.setSig(fi, neg != 0)
				}
				t.flags[fi] |= fVisit
			}
		}
	}
}

// refPass is the magnitude refinement pass (D.3.3) of bit-plane p.
func (t *t1) refPass(p int, raw bool) {
	mq := &t.mq
	poshalf := int32(1) << p >> 1
	w, h, fs := t.w, t.h, t.fs
	for y0 := 0; y0 < h; y0 += 4 {
		y1 := min(y0+4, h)
		for x := 0; x < w; x++ {
			fi := (y0+1)*fs + x + 1
			for y := y0; y < y1; y, fi = y+1, fi+fs {
				f := t.flags[fi]
				if f&(fSig|fVisit) != fSig {
					continue
				}
				var bit int
				if raw {
					bit = t.raw.decode()
				} else {
					ctx := ctxMR + 2
					if f&fRefined == 0 {
						ctx = ctxMR
						if t.mask(f, y)&fNeighbours != 0 {
							ctx = ctxMR + 1
						}
					}
					{ // inlined mqDecoder.decode
						cx := ctx & 31
						st := mq.cx[cx]
						qe := mqQe[st]
						if a := mq.a - qe; a&0x8000 != 0 && mq.c>>16 >= qe {
							mq.a, mq.c = a, mq.c-qe<<16
							bit = int(st & 1)
						} else {
							bit = mq.decodeSlow(cx, st, qe, a)
						}
					}
				}
				d := &t.data[y*w+x]
				if (bit != 0) == (*d >= 0) {
					*d += poshalf
				} else {
					*d -= poshalf
				}
				t.flags[fi] |= fRefined
			}
		}
	}
}

// cleanupPass is the cleanup pass (D.3.4) of bit-plane p, with the
// run-length mode for columns of a full stripe with no significant
// neighbours, and the segmentation symbol of D.5.
func (t *t1) cleanupPass(p int, segSym bool) {
	mq := &t.mq
	oneplushalf := int32(1)<<p | int32(1)<<p>>1 // 1.5*2^(p-1), plane p-1's midpoint, in half units
	w, h, fs := t.w, t.h, t.fs
	for y0 := 0; y0 < h; y0 += 4 {
		y1 := min(y0+4, h)
		for x := 0; x < w; x++ {
			fi := (y0+1)*fs + x + 1
			y := y0
			if y1-y0 == 4 {
				m3 := t.mask(t.flags[fi+3*fs], y0+3)
				if (t.flags[fi]|t.flags[fi+fs]|t.flags[fi+2*fs]|m3)&(fSig|fVisit|fNeighbours) == 0 {
					// Run-length mode (D.3.4, Table D.6).
					if t.mq.decode(ctxRL) == 0 {
						continue
					}
					r := t.mq.decode(ctxUniform) << 1
					r |= t.mq.decode(ctxUniform)
					y += r
					fi += r * fs
					m := t.mask(t.flags[fi], y)
					s := scLUT[m&0xFFF]
					neg := t.mq.decode(int(s&0x1F)) ^ int(s>>7)
					v := oneplushalf
					if neg != 0 {
						v = -v
					}
					t.data[y*w+x] = v
					t.setSig(fi, neg != 0)
					y++
					fi += fs
				}
			}
			for ; y < y1; y, fi = y+1, fi+fs {
				f := t.flags[fi]
				if f&(fSig|fVisit) != 0 {
					t.flags[fi] = f &^ fVisit
					continue
				}
				m := t.mask(f, y)
				var bit int
				{ // inlined mqDecoder.decode
					cx := int(t.zc[m&0xFF]) & 31
					st := mq.cx[cx]
					qe := mqQe[st]
					if a := mq.a - qe; a&0x8000 != 0 && mq.c>>16 >= qe {
						mq.a, mq.c = a, mq.c-qe<<16
						bit = int(st & 1)
					} else {
						bit = mq.decodeSlow(cx, st, qe, a)
					}
				}
				if bit == 0 {
					continue
				}
				s := scLUT[m&0xFFF]
				var neg int
				{ // inlined mqDecoder.decode
					cx := int(s&0x1F) & 31
					st := mq.cx[cx]
					qe := mqQe[st]
					if a := mq.a - qe; a&0x8000 != 0 && mq.c>>16 >= qe {
						mq.a, mq.c = a, mq.c-qe<<16
						neg = int(st & 1)
					} else {
						neg = mq.decodeSlow(cx, st, qe, a)
					}
				}
				neg ^= int(s >> 7)
				v := oneplushalf
				if neg != 0 {
					v = -v
				}
				t.data[y*w+x] = v
				t.setSig(fi, neg != 0)
			}
		}
	}
	if segSym {
		// D.5: 1010 in the uniform context; a mismatch flags corruption,
		// which a decoder may ignore.
		for range 4 {
			t.mq.decode(ctxUniform)
		}
	}
}

// codeSeg is one codeword segment of a code-block as tier-2 delivered it.
type codeSeg struct {
	data   []byte
	passes int
}

// decodeBlock decodes the coding passes of one code-block into t.data
// (D.2-D.6): planes is the number of magnitude bit-planes below the zero
// bit-planes (Mb - zero bit-planes, plus the ROI shift), rawPlanes the same
// without the ROI shift (bypass mode counts its four MQ-coded planes from
// there, as OpenJPEG does), style the code-block style, orient the band
// (0 LL, 1 HL, 2 LH, 3 HH). Passes beyond the last bit-plane are ignored.
func (t *t1) decodeBlock(segs []codeSeg, planes, rawPlanes int, style uint8, orient int) {
	switch orient {
	case 1:
		t.zc = &zcLUT[1]
	case 3:
		t.zc = &zcLUT[2]
	default:
		t.zc = &zcLUT[0]
	}
	t.vc = style&styleVCausal != 0
	t.mq.resetContexts()
	bpnoPlusOne := planes
	passType := 2 // the first pass is a cleanup pass
	for _, seg := range segs {
		if bpnoPlusOne < 1 {
			break
		}
		// D.6: in bypass mode the significance and refinement passes from
		// the fifth bit-plane on are raw segments.
		raw := style&styleBypass != 0 && passType < 2 && bpnoPlusOne <= rawPlanes-4
		if raw {
			t.raw.init(seg.data)
		} else {
			t.mq.init(seg.data)
		}
		for n := 0; n < seg.passes && bpnoPlusOne >= 1; n++ {
			p := bpnoPlusOne
			switch passType {
			case 0:
				t.sigPass(p, raw)
			case 1:
				t.refPass(p, raw)
			case 2:
				t.cleanupPass(p, style&styleSegSymbol != 0)
			}
			if style&styleReset != 0 && !raw {
				t.mq.resetContexts()
			}
			if passType++; passType == 3 {
				passType = 0
				bpnoPlusOne--
			}
		}
	}
}
