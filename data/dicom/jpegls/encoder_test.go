package jpegls_test

// A JPEG-LS encoder (T.87 Annex A, written from the standard independently
// of the decoder's code paths), used only by the tests: it writes what
// CharLS cannot (restart intervals, a MAXVAL below 2^P-1 read as T.87
// says, 3-byte DRI), and gives round trips over every parameter
// combination. It returns the stream and the reconstructed values that a
// decoder must reproduce exactly.

import (
	"encoding/binary"
	"math/rand/v2"
)

type encOpts struct {
	bits, near, ilv, restart  int
	maxval, t1, t2, t3, reset int  // LSE preset coding parameters; 0 = default
	lse                       bool // write an LSE segment (with the fields above)
	driBytes                  int  // size of Ri in DRI: 2 (default), 3 or 4
}

var jEnc = [32]int{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15}

// bitWriter writes bits MSB first with T.87 9.1's stuffing: after a 0xFF
// byte the next byte carries 7 bits.
type bitWriter struct {
	out   []byte
	acc   uint64
	n     uint // bits in acc (right-aligned)
	after bool // last byte written was 0xFF
}

func (w *bitWriter) put(v int, n int) {
	for i := n - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | uint64(v>>i&1)
		w.n++
		w.emit()
	}
}

func (w *bitWriter) emit() {
	width := uint(8)
	if w.after {
		width = 7
	}
	if w.n < width {
		return
	}
	b := byte(w.acc >> (w.n - width))
	w.n -= width
	w.acc &= 1<<w.n - 1
	w.out = append(w.out, b)
	w.after = b == 0xFF
}

// flush pads the last byte with zeros; a final 0xFF gets its 7-bit
// successor so that a marker can follow.
func (w *bitWriter) flush() {
	for w.n > 0 {
		w.put(0, 1)
	}
	if w.after {
		w.out = append(w.out, 0)
		w.after = false
	}
}

type encoder struct {
	o                               encOpts
	maxval, rng, qbpp, limit, reset int
	t1, t2, t3                      int
	a, b, n                         [367]int
	c                               [365]int
	nn                              [2]int
	w                               bitWriter
}

func (e *encoder) resetCtx() {
	a0 := max(2, (e.rng+32)/64)
	for i := range e.a {
		e.a[i], e.b[i], e.n[i] = a0, 0, 1
	}
	clear(e.c[:])
	clear(e.nn[:])
}

func (e *encoder) quant(d int) int {
	near := e.o.near
	switch {
	case d <= -e.t3:
		return -4
	case d <= -e.t2:
		return -3
	case d <= -e.t1:
		return -2
	case d < -near:
		return -1
	case d <= near:
		return 0
	case d < e.t1:
		return 1
	case d < e.t2:
		return 2
	case d < e.t3:
		return 3
	}
	return 4
}

func med(a, b, c int) int {
	if c >= max(a, b) {
		return min(a, b)
	}
	if c <= min(a, b) {
		return max(a, b)
	}
	return a + b - c
}

func (e *encoder) golomb(m, k, limit int) {
	esc := limit - e.qbpp - 1
	if q := m >> k; q < esc {
		e.w.put(0, q)
		e.w.put(1, 1)
		e.w.put(m&(1<<k-1), k)
		return
	}
	e.w.put(0, esc)
	e.w.put(1, 1)
	e.w.put(m-1, e.qbpp)
}

// quantErr quantizes a prediction error for NEAR (A.4.4) and returns it
// and the reconstruction px + sign*q*(2NEAR+1), clamped.
func (e *encoder) quantErr(err, px, sign int) (int, int) {
	near := e.o.near
	if near > 0 {
		if err > 0 {
			err = (near + err) / (2*near + 1)
		} else {
			err = -(near - err) / (2*near + 1)
		}
	}
	rx := min(max(px+sign*err*(2*near+1), 0), e.maxval)
	return err, rx
}

func (e *encoder) modulo(err int) int {
	if err < 0 {
		err += e.rng
	}
	if err >= (e.rng+1)/2 {
		err -= e.rng
	}
	return err
}

func (e *encoder) regular(q, x, ra, rb, rc int) int {
	sign := 1
	if q < 0 {
		q, sign = -q, -1
	}
	px := min(max(med(ra, rb, rc)+sign*e.c[q], 0), e.maxval)
	err, rx := e.quantErr(sign*(x-px), px, sign)
	err = e.modulo(err)
	k := 0
	for e.n[q]<<k < e.a[q] {
		k++
	}
	var m int
	switch {
	case e.o.near == 0 && k == 0 && 2*e.b[q] <= -e.n[q]:
		if err >= 0 {
			m = 2*err + 1
		} else {
			m = -2 * (err + 1)
		}
	case err >= 0:
		m = 2 * err
	default:
		m = -2*err - 1
	}
	e.golomb(m, k, e.limit)
	// A.6
	e.b[q] += err * (2*e.o.near + 1)
	e.a[q] += max(err, -err)
	if e.n[q] == e.reset {
		e.a[q] >>= 1
		e.b[q] >>= 1
		e.n[q] >>= 1
	}
	e.n[q]++
	if e.b[q] <= -e.n[q] {
		e.b[q] += e.n[q]
		if e.c[q] > -128 {
			e.c[q]--
		}
		if e.b[q] <= -e.n[q] {
			e.b[q] = -e.n[q] + 1
		}
	} else if e.b[q] > 0 {
		e.b[q] -= e.n[q]
		if e.c[q] < 127 {
			e.c[q]++
		}
		if e.b[q] > 0 {
			e.b[q] = 0
		}
	}
	return rx
}

// riSample codes a run interruption sample (A.7.2); x is the input value.
func (e *encoder) riSample(ritype, x, px, sign, ri int) int {
	err, rx := e.quantErr(sign*(x-px), px, sign)
	err = e.modulo(err)
	q := 365 + ritype
	temp := e.a[q] + ritype*(e.n[q]>>1)
	k := 0
	for e.n[q]<<k < temp {
		k++
	}
	mp := 0
	switch {
	case k == 0 && err > 0 && 2*e.nn[ritype] < e.n[q]:
		mp = 1
	case err < 0 && 2*e.nn[ritype] >= e.n[q]:
		mp = 1
	case err < 0 && k != 0:
		mp = 1
	}
	em := 2*max(err, -err) - ritype - mp
	e.golomb(em, k, e.limit-jEnc[ri]-1)
	if err < 0 {
		e.nn[ritype]++
	}
	e.a[q] += (em + 1 - ritype) >> 1
	if e.n[q] == e.reset {
		e.a[q] >>= 1
		e.n[q] >>= 1
		e.nn[ritype] >>= 1
	}
	e.n[q]++
	return rx
}

// runLength codes a run of cnt samples starting at column x of a line of w
// (A.7.1.1); eol says the run reaches the end of the line.
func (e *encoder) runLength(cnt int, eol bool, ri *int) {
	for cnt >= 1<<jEnc[*ri] {
		e.w.put(1, 1)
		cnt -= 1 << jEnc[*ri]
		if *ri < 31 {
			*ri++
		}
	}
	if eol {
		if cnt > 0 {
			e.w.put(1, 1)
		}
		return
	}
	e.w.put(0, 1)
	e.w.put(cnt, jEnc[*ri])
}

// line codes one line of one component. in and cur/prev use the decoder's
// layout: index x+1 is column x.
func (e *encoder) line(in, prev, cur []int, ri *int) {
	w := len(cur) - 2
	cur[0], prev[w+1] = prev[1], prev[w]
	for x := 1; x <= w; {
		ra, rb, rc, rd := cur[x-1], prev[x], prev[x-1], prev[x+1]
		q := 81*e.quant(rd-rb) + 9*e.quant(rb-rc) + e.quant(rc-ra)
		if q != 0 {
			cur[x] = e.regular(q, in[x], ra, rb, rc)
			x++
			continue
		}
		cnt := 0
		for x+cnt <= w && abs(in[x+cnt]-ra) <= e.o.near {
			cur[x+cnt] = ra
			cnt++
		}
		e.runLength(cnt, x+cnt > w, ri)
		x += cnt
		if x > w {
			break
		}
		rb = prev[x]
		if abs(ra-rb) <= e.o.near {
			cur[x] = e.riSample(1, in[x], ra, 1, *ri)
		} else {
			sign := 1
			if ra > rb {
				sign = -1
			}
			cur[x] = e.riSample(0, in[x], rb, sign, *ri)
		}
		if *ri > 0 {
			*ri--
		}
		x++
	}
}

// sampleLine codes one line of a sample-interleaved scan (CharLS's rules,
// see the decoder's sampleLine).
func (e *encoder) sampleLine(in, prev, cur [][]int, ri *int) {
	nc, w := len(cur), len(cur[0])-2
	for c := range nc {
		cur[c][0], prev[c][w+1] = prev[c][1], prev[c][w]
	}
	qs := make([]int, nc)
	for x := 1; x <= w; {
		zero := true
		for c := range nc {
			p, l := prev[c], cur[c]
			qs[c] = 81*e.quant(p[x+1]-p[x]) + 9*e.quant(p[x]-p[x-1]) + e.quant(p[x-1]-l[x-1])
			zero = zero && qs[c] == 0
		}
		if !zero {
			for c := range nc {
				p, l := prev[c], cur[c]
				l[x] = e.regular(qs[c], in[c][x], l[x-1], p[x], p[x-1])
			}
			x++
			continue
		}
		cnt := 0
	run:
		for x+cnt <= w {
			for c := range nc {
				if abs(in[c][x+cnt]-cur[c][x-1]) > e.o.near {
					break run
				}
			}
			for c := range nc {
				cur[c][x+cnt] = cur[c][x-1]
			}
			cnt++
		}
		e.runLength(cnt, x+cnt > w, ri)
		x += cnt
		if x > w {
			break
		}
		for c := range nc {
			ra, rb := cur[c][x-1], prev[c][x]
			sign := 1
			if rb < ra {
				sign = -1
			}
			cur[c][x] = e.riSample(0, in[c][x], rb, sign, *ri)
		}
		if *ri > 0 {
			*ri--
		}
		x++
	}
}

func abs(x int) int { return max(x, -x) }

func be(b []byte, v, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

func segment(out []byte, marker byte, payload []byte) []byte {
	out = append(out, 0xFF, marker)
	out = binary.BigEndian.AppendUint16(out, uint16(len(payload)+2))
	return append(out, payload...)
}

// encodeJLS encodes pix ([rows][cols][nc], values in 0..MAXVAL) and returns
// the codestream and the reconstructed values.
func encodeJLS(pix []int, rows, cols, nc int, o encOpts) ([]byte, []int) {
	e := &encoder{o: o}
	full := 1<<o.bits - 1
	e.maxval = full
	if o.maxval != 0 {
		e.maxval = o.maxval
	}
	near := o.near
	e.rng = (e.maxval+2*near)/(2*near+1) + 1
	for 1<<e.qbpp < e.rng {
		e.qbpp++
	}
	bpp := 0
	for 1<<bpp < e.maxval+1 {
		bpp++
	}
	bpp = max(2, bpp)
	e.limit = 2 * (bpp + max(8, bpp))
	e.reset = 64
	if o.reset != 0 {
		e.reset = o.reset
	}
	def := defaults(e.maxval, near)
	e.t1, e.t2, e.t3 = def[0], def[1], def[2]
	if o.t1 != 0 {
		e.t1 = o.t1
	}
	if o.t2 != 0 {
		e.t2 = o.t2
	}
	if o.t3 != 0 {
		e.t3 = o.t3
	}

	out := []byte{0xFF, 0xD8}
	sof := []byte{byte(o.bits)}
	sof = be(sof, rows, 2)
	sof = be(sof, cols, 2)
	sof = append(sof, byte(nc))
	for c := range nc {
		sof = append(sof, byte(c+1), 0x11, 0)
	}
	out = segment(out, 0xF7, sof)
	if o.lse {
		p := []byte{1}
		for _, v := range []int{o.maxval, o.t1, o.t2, o.t3, o.reset} {
			p = be(p, v, 2)
		}
		out = segment(out, 0xF8, p)
	}
	if o.restart > 0 {
		n := o.driBytes
		if n == 0 {
			n = 2
		}
		out = segment(out, 0xDD, be(nil, o.restart, n))
	}
	recon := make([]int, len(pix))
	scans := [][]int{}
	if o.ilv == 0 {
		for c := range nc {
			scans = append(scans, []int{c})
		}
	} else {
		all := make([]int, nc)
		for c := range all {
			all[c] = c
		}
		scans = append(scans, all)
	}
	for _, comps := range scans {
		sos := []byte{byte(len(comps))}
		for _, c := range comps {
			sos = append(sos, byte(c+1), 0)
		}
		sos = append(sos, byte(near), byte(o.ilv), 0)
		out = segment(out, 0xDA, sos)
		e.w = bitWriter{out: out}
		e.resetCtx()
		ns := len(comps)
		alloc := func() [][]int {
			s := make([][]int, ns)
			for i := range s {
				s[i] = make([]int, cols+2)
			}
			return s
		}
		prev, cur, in := alloc(), alloc(), alloc()
		ri := make([]int, ns)
		for y := range rows {
			if o.restart > 0 && y > 0 && y%o.restart == 0 {
				e.w.flush()
				e.w.out = append(e.w.out, 0xFF, byte(0xD0+(y/o.restart-1)%8))
				for i := range ns {
					clear(prev[i])
					clear(cur[i])
				}
				clear(ri)
				e.resetCtx()
			}
			for i, c := range comps {
				for x := range cols {
					in[i][x+1] = pix[(y*cols+x)*nc+c]
				}
			}
			if o.ilv == 2 && ns > 1 {
				e.sampleLine(in, prev, cur, &ri[0])
			} else {
				for i := range ns {
					e.line(in[i], prev[i], cur[i], &ri[i])
				}
			}
			for i, c := range comps {
				for x := range cols {
					recon[(y*cols+x)*nc+c] = cur[i][x+1]
				}
				prev[i], cur[i] = cur[i], prev[i]
			}
		}
		e.w.flush()
		out = e.w.out
	}
	return append(out, 0xFF, 0xD9), recon
}

// defaults are T.87 C.2.4.1.1.1's default thresholds.
func defaults(maxval, near int) [3]int {
	clamp := func(i, j int) int {
		if i > maxval || i < j {
			return j
		}
		return i
	}
	var t [3]int
	if maxval >= 128 {
		f := (min(maxval, 4095) + 128) / 256
		t[0] = clamp(f*1+2+3*near, near+1)
		t[1] = clamp(f*4+3+5*near, t[0])
		t[2] = clamp(f*17+4+7*near, t[1])
	} else {
		f := 256 / (maxval + 1)
		t[0] = clamp(max(2, 3/f+3*near), near+1)
		t[1] = clamp(max(3, 7/f+5*near), t[0])
		t[2] = clamp(max(4, 21/f+7*near), t[1])
	}
	return t
}

// testImage returns a deterministic image with flat areas, ramps, edges and
// noise, values in 0..maxval, laid out [rows][cols][nc].
func testImage(rows, cols, nc, maxval int, seed uint64) []int {
	r := rand.New(rand.NewPCG(seed, 7))
	pix := make([]int, rows*cols*nc)
	for y := range rows {
		for x := range cols {
			for c := range nc {
				var v int
				switch (x*3/max(cols, 1) + 3*(y*3/max(rows, 1)) + c) % 6 {
				case 0:
					v = maxval / 3
				case 1:
					v = x * maxval / max(cols-1, 1)
				case 2:
					v = r.IntN(maxval + 1)
				case 3:
					v = maxval/2 + r.IntN(5) - 2
				case 4:
					if (x/2+y)&1 == 0 {
						v = maxval
					}
				default:
					if r.IntN(12) == 0 {
						v = r.IntN(maxval + 1)
					}
				}
				pix[(y*cols+x)*nc+c] = min(max(v, 0), maxval)
			}
		}
	}
	return pix
}
