package ljpeg

import "fmt"

// This file decodes lossless scans (T.81 Annex H, process 14): each sample
// is a prediction from its decoded neighbours plus a Huffman-coded
// difference, modulo 2^16.

// decodeLossless decodes the entropy-coded data of one lossless scan with
// predictor selection value psv (T.81 Table H.1) and point transform pt
// (H.1.2.1) into d.img. sosOff is the offset of the scan header.
func (d *decoder) decodeLossless(sosOff int, br *bitReader, sc []scanComp, psv, pt int) error {
	rows, cols := d.rows, d.cols
	if len(sc) > 1 && (d.hmax != 1 || d.vmax != 1) {
		return d.unsupported("SOS", sosOff, "interleaved lossless scan of components with sampling factors %dx%d (only 1x1)", d.hmax, d.vmax)
	}
	// The restart interval counts MCUs (one sample of each scan component,
	// A.2); libjpeg requires it to span whole lines, so that every interval
	// starts a line with the H.1.2.1 initial prediction, and so does this.
	ri := d.restart
	if ri > 0 && ri%cols != 0 {
		return d.unsupported("DRI", d.driOff, "lossless restart interval %d is not a multiple of the %d MCUs in a line", ri, cols)
	}
	ns, nc := len(sc), len(d.comps)
	// Reconstructed values before the point transform, this line and the
	// one above, per scan component.
	lines := make([]int32, 2*ns*cols)
	mask := int32(1)<<d.precision - 1
	init := int32(1) << (d.precision - pt - 1)
	pix := d.img.Pix
	restarts := 0
	for y := range rows {
		// H.1.2.1: the first line of the scan and of each restart interval
		// is predicted from the left (Ra) after an initial 2^(P-Pt-1).
		first := y == 0
		if ri > 0 && y > 0 && y*cols%ri == 0 {
			if br.overrun() {
				return truncated(br)
			}
			if err := br.restart(restarts & 7); err != nil {
				return err
			}
			restarts++
			first = true
		}
		line := func(k int) (cur, prev []int32) {
			c, p := (2*k+y&1)*cols, (2*k+(y+1)&1)*cols
			return lines[c : c+cols], lines[p : p+cols]
		}
		if ns == 1 {
			cur, prev := line(0)
			out := pix[y*cols*nc+sc[0].ci:]
			if err := decodeLine(br, sc[0].dc, cur, prev, out, nc, first, psv, init, pt, mask); err != nil {
				return err
			}
		} else {
			// Interleaved: one sample of each component per MCU (A.2.3).
			for x := range cols {
				for k, c := range sc {
					cur, prev := line(k)
					diff, err := br.diff(c.dc)
					if err != nil {
						return err
					}
					var px int32
					switch {
					case x == 0 && first:
						px = init
					case first:
						px = cur[x-1]
					case x == 0:
						px = prev[0]
					default:
						px = predict(psv, cur[x-1], prev[x], prev[x-1])
					}
					v := (px + diff) & 0xFFFF
					cur[x] = v
					pix[(y*cols+x)*nc+c.ci] = v << pt & mask
				}
			}
		}
		if br.overrun() {
			return truncated(br)
		}
	}
	return nil
}

// decodeLine decodes one line of a single-component scan into cur (values
// before the point transform) and out[0], out[nc], ... (stored values),
// predicting from prev, the line above (H.1.2.1).
func decodeLine(br *bitReader, h *huffTable, cur, prev, out []int32, nc int, first bool, psv int, init int32, pt int, mask int32) error {
	cols := len(cur)
	px := init // first sample: initial prediction or Rb
	if !first {
		px = prev[0]
	}
	for x := range cols {
		if x > 0 {
			if first {
				px = cur[x-1]
			} else {
				px = predict(psv, cur[x-1], prev[x], prev[x-1])
			}
		}
		// br.diff(h), with the lookahead paths inlined.
		if br.n < 32 {
			br.fill()
		}
		var diff int32
		if f := h.fast[br.acc>>(64-lookBits)]; f != 0 {
			l := uint(f & 0xFF)
			br.acc <<= l
			br.n -= l
			diff = f >> 8
		} else {
			var s uint
			if e := h.look[br.acc>>(64-lookBits)]; e != 0 {
				l := uint(e >> 8)
				br.acc <<= l
				br.n -= l
				s = uint(e & 0xFF)
			} else {
				v, ok := br.decodeLong(h)
				if !ok {
					return badCode(br)
				}
				s = uint(v)
			}
			switch {
			case s == 0:
			case s < 16:
				diff = extend(br.take(s), s)
			case s == 16:
				diff = 32768
			default:
				return badCategory(br, s)
			}
		}
		v := (px + diff) & 0xFFFF
		cur[x] = v
		out[x*nc] = v << pt & mask
	}
	return nil
}

// predict returns the prediction Px of selection value psv from the
// reconstructed neighbours Ra (left), Rb (above) and Rc (above left), T.81
// Table H.1. As in libjpeg the arithmetic is in int, and division by 2 is an
// arithmetic right shift.
func predict(psv int, ra, rb, rc int32) int32 {
	switch psv {
	case 1:
		return ra
	case 2:
		return rb
	case 3:
		return rc
	case 4:
		return ra + rb - rc
	case 5:
		return ra + (rb-rc)>>1
	case 6:
		return rb + (ra-rc)>>1
	}
	return (ra + rb) >> 1
}

// diff decodes one difference: a Huffman-coded category SSSS, then SSSS
// additional bits (T.81 H.1.2.2, Table H.2, F.2.2.1); category 16 is the
// difference 32768 with no additional bits.
func (b *bitReader) diff(h *huffTable) (int32, error) {
	s, ok := b.decode(h)
	if !ok {
		return 0, badCode(b)
	}
	switch {
	case s == 0:
		return 0, nil
	case s == 16:
		return 32768, nil
	case s > 16:
		return 0, badCategory(b, uint(s))
	}
	return extend(b.take(uint(s)), uint(s)), nil
}

func badCategory(b *bitReader, s uint) error {
	return &Error{Marker: "scan data", Offset: b.pos, Msg: fmt.Sprintf("lossless difference category %d (must be 0 to 16)", s)}
}

func badCode(b *bitReader) error {
	if b.overrun() {
		return truncated(b)
	}
	return &Error{Marker: "scan data", Offset: b.pos, Msg: "corrupt Huffman code"}
}

func truncated(b *bitReader) error {
	return &Error{Marker: "scan data", Offset: b.pos, Msg: "entropy-coded data ends before the last MCU (truncated or corrupt)"}
}
