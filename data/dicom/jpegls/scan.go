package jpegls

import (
	"fmt"
	"math/bits"
)

// jtab is the run-length order table J of T.87 A.7.1.1: a run segment of
// RUNindex i codes 2^J[i] samples with one bit.
var jtab = [32]int{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15}

// Context indices: 0..364 are the regular-mode contexts (A.3.4), 365 and
// 366 the run interruption contexts for RItype 0 and 1 (A.7.2).
const (
	nRegular = 365
	ctxRI0   = 365
)

// scan decodes one scan (T.87 Annex A; Annex B for interleaving). Line
// buffers hold one line of a component with one guard sample on each side:
// index x+1 holds column x, index 0 is Ra of column 0 and index cols+1 is Rd
// of the last column (A.2.1's edge rules).
type scan struct {
	params
	d     *decoder
	br    bitReader
	off   int   // offset of the SOS marker
	ilv   int   // interleave mode: 0 none, 1 line, 2 sample
	comps []int // frame component index of each scan component
	step  int   // 2*NEAR+1

	ctx [nRegular + 2]contextVars

	// qlut[d+maxval] is quantize(d) for d in -MAXVAL..MAXVAL, when built
	// (see buildLUT); nil means quantize computes it.
	qlut []int8

	err error // first error of the current line
}

// contextVars are the variables of one context (A.2.2), kept together
// for locality: A, B, C and N of a regular context; A, N and Nn (in nn) of
// a run interruption context.
type contextVars struct {
	a, b, c, n, nn int
}

func newScan(d *decoder, p params, comps []int, ilv, off int) *scan {
	return &scan{params: p, d: d, off: off, ilv: ilv, comps: comps, step: 2*p.near + 1}
}

// resetContexts initialises the context variables (A.2.2) at the start of
// the scan and after each restart marker.
func (s *scan) resetContexts() {
	a0 := max(2, (s.rng+32)/64)
	for i := range s.ctx {
		s.ctx[i] = contextVars{a: a0, n: 1}
	}
}

func (s *scan) fail(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf(format, args...)
	}
}

// decode decodes the scan's lines into d.pix, starting at d.pos.
func (s *scan) decode() error {
	d := s.d
	ns, w, nc := len(s.comps), d.cols, len(d.comps)
	buf := make([]int32, 2*ns*(w+2))
	prev, cur := make([][]int32, ns), make([][]int32, ns)
	for c := range ns {
		prev[c] = buf[2*c*(w+2) : (2*c+1)*(w+2)]
		cur[c] = buf[(2*c+1)*(w+2) : (2*c+2)*(w+2)]
	}
	runIndex := make([]int, ns) // RUNindex per component (A.7.1; Annex B for ILV 1)
	qs := make([]int, ns)
	s.buildLUT(d.rows * w * ns)
	s.resetContexts()
	s.br.reset(d.data, d.pos)
	for y := range d.rows {
		// Restart intervals count lines of all the scan's components (an
		// MCU is a line, T.87 Annex C); after each one the coder restarts as
		// at the top of the image.
		if d.restart > 0 && y > 0 && y%d.restart == 0 {
			if err := s.restartMarker(y/d.restart - 1); err != nil {
				return err
			}
			clear(buf)
			clear(runIndex)
			s.resetContexts()
		}
		if s.ilv == 2 && ns > 1 {
			s.sampleLine(prev, cur, &runIndex[0], qs)
		} else {
			for c := range ns {
				s.line(prev[c], cur[c], &runIndex[c])
			}
		}
		// Running out of data shows first as bad codes in the zero bits
		// past the end: report it as what it is.
		if s.br.overrun() {
			return &FormatError{Marker: "SOS", Offset: s.off, Msg: fmt.Sprintf("entropy-coded data end at offset %d, in line %d of %d (truncated)", s.br.pos, y, d.rows)}
		}
		if s.err != nil {
			return &FormatError{Marker: "SOS", Offset: s.off, Msg: fmt.Sprintf("line %d: %v", y, s.err)}
		}
		d.growPix((y + 1) * w * nc)
		for c, fi := range s.comps {
			out := d.pix[y*w*nc+fi:]
			for x, v := range cur[c][1 : w+1] {
				out[x*nc] = v
			}
			prev[c], cur[c] = cur[c], prev[c]
		}
	}
	return nil
}

// restartMarker moves past the end of restart interval k: the remaining
// bits of its last byte are padding, and RSTm with m = k mod 8 follows
// (T.87 Annex C, T.81 B.2.1).
func (s *scan) restartMarker(k int) error {
	data := s.d.data
	p := s.br.nextMarker()
	for p+1 < len(data) && data[p+1] == 0xFF {
		p++ // fill bytes
	}
	want := byte(mRST0 + k%8)
	if p+1 >= len(data) {
		return &FormatError{Marker: markerName(want), Offset: p, Msg: fmt.Sprintf("data end where restart interval %d should end (truncated)", k)}
	}
	if data[p+1] != want {
		return &FormatError{Marker: markerName(want), Offset: p, Msg: fmt.Sprintf("expected %s after restart interval %d, found %s", markerName(want), k, markerName(data[p+1]))}
	}
	s.br.reset(data, p+2)
	return nil
}

// quantize maps a local gradient to one of 9 regions (T.87 A.3.3).
func (s *scan) quantize(d int) int {
	switch {
	case d <= -s.t3:
		return -4
	case d <= -s.t2:
		return -3
	case d <= -s.t1:
		return -2
	case d < -s.near:
		return -1
	case d <= s.near:
		return 0
	case d < s.t1:
		return 1
	case d < s.t2:
		return 2
	case d < s.t3:
		return 3
	}
	return 4
}

// buildLUT tabulates quantize for a scan of n samples: 2*MAXVAL+1 bytes,
// always for up to 12 bits, for more only when the scan has at least as
// many samples as the table has entries.
func (s *scan) buildLUT(n int) {
	size := 2*s.maxval + 1
	if s.maxval > 4095 && n < size {
		return
	}
	s.qlut = make([]int8, size)
	for i := range s.qlut {
		s.qlut[i] = int8(s.quantize(i - s.maxval))
	}
}

// context returns 81*Q1+9*Q2+Q3 for the gradients D1 = Rd-Rb, D2 = Rb-Rc,
// D3 = Rc-Ra (A.3.1-A.3.3): zero selects run mode (A.3.2), a negative
// value is the context -Q with SIGN = -1 (A.3.4), since the sign of the
// first non-zero Qi is the sign of the whole sum.
func (s *scan) context(ra, rb, rc, rd int) int {
	if l := s.qlut; l != nil {
		// Samples are in 0..MAXVAL, so each difference indexes the table.
		m := s.maxval
		return 81*int(l[rd-rb+m]) + 9*int(l[rb-rc+m]) + int(l[rc-ra+m])
	}
	return 81*s.quantize(rd-rb) + 9*s.quantize(rb-rc) + s.quantize(rc-ra)
}

// predict is the median edge detector (T.87 A.4.1).
func predict(ra, rb, rc int) int {
	mn, mx := min(ra, rb), max(ra, rb)
	switch {
	case rc >= mx:
		return mn
	case rc <= mn:
		return mx
	}
	return ra + rb - rc
}

// line decodes one line of one component (ILV 0 and 1): regular mode
// samples and runs (A.3.2).
func (s *scan) line(prev, cur []int32, runIndex *int) {
	w := len(cur) - 2
	cur[0] = prev[1]    // Ra of column 0 is Rb; Rc is the previous line's Ra (prev[0])
	prev[w+1] = prev[w] // Rd of the last column is Rb
	for x := 1; x <= w; {
		ra, rb, rc, rd := int(cur[x-1]), int(prev[x]), int(prev[x-1]), int(prev[x+1])
		if q := s.context(ra, rb, rc, rd); q != 0 {
			cur[x] = s.regular(q, ra, rb, rc)
			x++
			continue
		}
		x += s.runMode(prev, cur, x, w, runIndex)
	}
}

// regular decodes one sample in regular mode: prediction and its
// correction (A.4), the Golomb-coded error (A.5), the context update
// (A.6) and the reconstruction.
func (s *scan) regular(q, ra, rb, rc int) int32 {
	sign := 1
	if q < 0 {
		q, sign = -q, -1
	}
	cx := &s.ctx[q]
	// A.4.2: prediction correction with the context's bias C[Q].
	px := predict(ra, rb, rc) + sign*cx.c
	if px > s.maxval {
		px = s.maxval
	} else if px < 0 {
		px = 0
	}
	// A.5.1: the Golomb parameter k, smallest with N[Q]*2^k >= A[Q].
	k := golombK(cx.n, cx.a)
	// A.5.2-A.5.3: MErrval and its inverse mapping; with k == 0 in lossless
	// coding and 2B[Q] <= -N[Q] the mapping of A.5.2's special case applies.
	m := s.golomb(k, s.limit)
	e := m >> 1
	if m&1 != 0 {
		e = -e - 1
	}
	if k == 0 && s.near == 0 && 2*cx.b <= -cx.n {
		e = -e - 1
	}
	s.update(cx, e)
	return s.reconstruct(px + sign*e*s.step)
}

// golombK returns the Golomb parameter k for a context: the smallest k
// with N*2^k >= A (T.87 A.5.1, A.7.2 with A+N/2 for RItype 1). N >= 1.
func golombK(n, a int) int {
	if a <= n {
		return 0
	}
	// n<<k has as many bits as a, so it is >= a or n<<(k+1) is.
	k := bits.Len(uint(a)) - bits.Len(uint(n))
	if n<<k < a {
		k++
	}
	return k
}

// golomb reads a length-limited Golomb code with parameter k (T.87 A.5.3):
// a unary prefix q; q < LIMIT-qbpp-1 is followed by k low bits, q ==
// LIMIT-qbpp-1 escapes to MErrval-1 in qbpp bits. limit is LIMIT in
// regular mode and LIMIT-J[RUNindex]-1 for run interruption samples.
func (s *scan) golomb(k, limit int) int {
	esc := limit - s.qbpp - 1
	q := s.br.zeros(esc)
	var m int
	switch {
	case q < esc:
		m = q<<k | s.br.bits(uint(k))
	case q == esc:
		m = s.br.bits(uint(s.qbpp)) + 1
	default:
		s.fail("invalid Golomb code: more than %d leading zeros", esc)
		return 0
	}
	// A valid mapped error is at most RANGE (A.4.5, A.5.2); bounding it
	// keeps the context variables bounded on corrupt data.
	if m > 2*s.rng {
		s.fail("mapped prediction error %d out of range (RANGE %d)", m, s.rng)
		return 0
	}
	return m
}

// update updates the context variables after a regular-mode sample
// (A.6.1) and the bias correction C[Q] (A.6.2).
func (s *scan) update(cx *contextVars, e int) {
	a, b, n := cx.a+abs(e), cx.b+e*s.step, cx.n
	if n == s.reset {
		a >>= 1
		b >>= 1
		n >>= 1
	}
	n++
	if b <= -n {
		b += n
		if cx.c > -128 {
			cx.c--
		}
		if b <= -n {
			b = -n + 1
		}
	} else if b > 0 {
		b -= n
		if cx.c < 127 {
			cx.c++
		}
		if b > 0 {
			b = 0
		}
	}
	cx.a, cx.b, cx.n = a, b, n
}

// reconstruct undoes the modulo reduction of the error (A.4.5) and clamps
// to 0..MAXVAL.
func (s *scan) reconstruct(rx int) int32 {
	if rx < -s.near {
		rx += s.rng * s.step
	} else if rx > s.maxval+s.near {
		rx -= s.rng * s.step
	}
	if rx < 0 {
		rx = 0
	} else if rx > s.maxval {
		rx = s.maxval
	}
	return int32(rx)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// runLength decodes a run starting at column x (A.7.1.2): each 1 bit is a
// segment of 2^J[RUNindex] samples (fewer at the end of the line), a 0 bit
// is followed by the J[RUNindex] low bits of the rest. It returns the
// column after the run and whether a run interruption sample follows.
func (s *scan) runLength(x, w int, runIndex *int) (end int, interrupted bool) {
	for s.br.bit() == 1 {
		seg := 1 << jtab[*runIndex]
		if rem := w + 1 - x; seg > rem {
			return w + 1, false // the line ends inside the segment
		}
		x += seg
		if *runIndex < 31 {
			*runIndex++
		}
		if x > w {
			return x, false
		}
	}
	if j := jtab[*runIndex]; j > 0 {
		r := s.br.bits(uint(j))
		if r > w+1-x {
			s.fail("run of %d samples at column %d passes the end of the line", r, x-1)
			return w + 1, false
		}
		x += r
	}
	return x, x <= w
}

// runMode decodes a run of Ra and the sample that interrupts it (A.7) in
// one component; it returns the number of samples decoded (at least 1).
func (s *scan) runMode(prev, cur []int32, x, w int, runIndex *int) int {
	ra := cur[x-1]
	end, interrupted := s.runLength(x, w, runIndex)
	for i := x; i < end; i++ {
		cur[i] = ra
	}
	if !interrupted {
		return end - x
	}
	// A.7.2: the run interruption sample, predicted by Ra when
	// |Ra-Rb| <= NEAR (RItype 1), else by Rb with the sign of Rb-Ra.
	a, rb := int(ra), int(prev[end])
	var rx int
	if abs(a-rb) <= s.near {
		rx = a + s.riError(1, *runIndex)*s.step
	} else {
		e := s.riError(0, *runIndex)
		if a > rb {
			e = -e
		}
		rx = rb + e*s.step
	}
	cur[end] = s.reconstruct(rx)
	if *runIndex > 0 {
		*runIndex--
	}
	return end + 1 - x
}

// riError decodes the error of a run interruption sample and updates its
// context (A.7.2): k from A[Q] (+N[Q]/2 for RItype 1), EMErrval with limit
// LIMIT-J[RUNindex]-1, the inverse of the map bit rule, and the update of
// A, N and Nn.
func (s *scan) riError(ritype, runIndex int) int {
	cx := &s.ctx[ctxRI0+ritype]
	a, n := cx.a, cx.n
	k := golombK(n, a+ritype*(n>>1))
	m := s.golomb(k, s.limit-jtab[runIndex]-1)
	t := m + ritype // 2|Errval| - map
	mp := t & 1
	e := (t + mp) >> 1
	if (k != 0 || 2*cx.nn >= n) == (mp == 1) {
		e = -e
	}
	if e < 0 {
		cx.nn++
	}
	a += (m + 1 - ritype) >> 1
	if n == s.reset {
		a >>= 1
		n >>= 1
		cx.nn >>= 1
	}
	cx.a, cx.n = a, n+1
	return e
}

// sampleLine decodes one line of a sample-interleaved scan (ILV 2, T.87
// Annex B): each sample position holds one sample of every component; run
// mode is used when every component's context is 0, a run covers whole
// positions, and its interruption position codes each component with
// RItype 0 (as CharLS does). Contexts are shared by the components.
func (s *scan) sampleLine(prev, cur [][]int32, runIndex *int, qs []int) {
	w := len(cur[0]) - 2
	for c := range prev {
		cur[c][0] = prev[c][1]
		prev[c][w+1] = prev[c][w]
	}
	for x := 1; x <= w; {
		run := true
		for c := range prev {
			p, l := prev[c], cur[c]
			qs[c] = s.context(int(l[x-1]), int(p[x]), int(p[x-1]), int(p[x+1]))
			if qs[c] != 0 {
				run = false
			}
		}
		if !run {
			for c := range prev {
				p, l := prev[c], cur[c]
				l[x] = s.regular(qs[c], int(l[x-1]), int(p[x]), int(p[x-1]))
			}
			x++
			continue
		}
		end, interrupted := s.runLength(x, w, runIndex)
		for c := range prev {
			l := cur[c]
			for i := x; i < end; i++ {
				l[i] = l[x-1]
			}
		}
		if interrupted {
			for c := range prev {
				ra, rb := int(cur[c][end-1]), int(prev[c][end])
				e := s.riError(0, *runIndex)
				if rb < ra {
					e = -e
				}
				cur[c][end] = s.reconstruct(rb + e*s.step)
			}
			if *runIndex > 0 {
				*runIndex--
			}
			end++
		}
		x = end
	}
}
