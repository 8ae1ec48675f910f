package kernels

// SIMD convolution backward-weights on NHWC without im2col.
//
// dW[k, (r, s, c)] = sum over positions (n, oy, ox) of
// dy[n, oy, ox, k] * x[n, oy*StrideH-PadH+r, ox*StrideW-PadW+s, c].
// For one output row (n, oy) and one kernel row r, the patch rows of the
// positions ox = 0..OutW-1 are S*C-float windows of the input row iy, one
// every StrideW*C floats: with the input row copied once into a buffer
// padded with PadW zero pixels each side, they are a matrix read in place
// (the micro-kernel's B with ldb = StrideW*C). The A operand is the output
// row of dy transposed to [K, OutW]. So per output row, each
// (mr output channels) x (nr columns of one kernel row) tile of dW is one
// micro-kernel call with k = OutW, accumulated in a float32 partial of at
// most weightsFlush positions (a chunk); a thread's chunks are summed
// pairwise (pairSum), the threads' sums pairwise again, in a fixed order,
// and written into dw in its [K, C, R, S] order.
//
// With stride 1 the reduction of a call spans several output rows: the whole
// input is copied once, zero-padded, to [N, H+2*PadH, W+2*PadW, C], and
// position q = oy*Wp + ox (Wp = W+2*PadW, ox running over the padded width)
// reads its window at q*C: one stride for all rows of a block. The
// positions ox >= OutW are junk: their column of dy^T is zero. (So an
// infinite input value next to such a window turns into NaN in dW, where
// the reference would give an infinity.) Where those junk positions are
// an eighth or more of a row, S copies of the input, each shifted by s
// pixels and OutW wide, replace the padded copy and there are none.
// Short units (few positions) go in groups whose calls take turns on each
// tile of the partial. On several threads, when the partial is larger than
// the input copy (512@8), the threads split the partial's rows (output
// channels) over all positions instead of the positions.
//
// Strides above 1 with outputs narrower than minWeightsOutW positions (too
// short a reduction per call) take the stride-1 scheme over copies of the
// input made per tap (see weightsStride1) while those stay under
// maxTapPlaneFloats. Dilation along W, 1x1 stride-1 convolutions and
// larger narrow strided ones are declined: the generic im2col + Sgemm
// path takes them.

// minWeightsOutW is the narrowest output row the by-row backward-weights
// handles; per call the reduction is one output row long.
const minWeightsOutW = 24

// maxTapPlaneFloats bounds the per-tap input copies of strided
// backward-weights on narrower rows (64 MiB); larger ones go generic.
const maxTapPlaneFloats = 16 << 20

// weightsFlush is the most positions a float32 partial (chunk) sums before
// it goes into the pairwise sum: 4096 float32 additions of random-sign
// terms err by about sqrt(4096)*6e-8 of their magnitude, and the pairwise
// sum of m chunks adds about log2(m) more roundings.
const weightsFlush = 4 * convFlush

// pickRows returns the kernel that wastes least when m rows of C and n
// columns are cut into its tiles (the first on ties).
func (s *simdImpl) pickRows(m, n int) *microKernel {
	best, waste := s.kernels[0], -1
	for _, mk := range s.kernels {
		w := roundUp(m, mk.mr)*roundUp(n, mk.nr) - m*n
		if waste < 0 || w < waste {
			best, waste = mk, w
		}
	}
	return best
}

// weightsMK, when not negative, picks s.kernels[weightsMK] (the last if
// there are fewer) for the direct backward-weights (tuning).
var weightsMK = -1

// weightsJob is the state shared by the two backward-weights schemes.
type weightsJob struct {
	g  convGeom
	mk *microKernel
	// A float32 partial [kpad, ldp] holds nseg segments of segPad columns
	// (a multiple of nr), segLen of them valid: segment (r) holds (s, c)
	// for weightsByRow, segment (r, s) holds c for weightsStride1.
	nseg, segLen, segPad int
	rsc, kpad, ldp       int
	nblk                 int
	// With ksplit, block b computes rows kLo[b] to kLo[b+1] of the
	// partial (whole tiles) over all positions; else every block computes
	// all kpad rows over its share of the positions.
	ksplit bool
	kLo    [maxWeightsBlocks + 1]int
	// res[b] is block b's sum (a partial of its rows); reduce gives them
	// back.
	res [maxWeightsBlocks]*[]float32
}

// rows returns block b's first row and row count.
func (j *weightsJob) rows(b int) (int, int) {
	if !j.ksplit {
		return 0, j.kpad
	}
	return j.kLo[b], j.kLo[b+1] - j.kLo[b]
}

// splitK makes the job's nblk blocks split the rows of the partial, in
// whole tiles, instead of the positions.
func (j *weightsJob) splitK() {
	tiles := j.kpad / j.mk.mr
	j.nblk = min(j.nblk, tiles)
	j.ksplit = true
	for b := 0; b <= j.nblk; b++ {
		j.kLo[b] = b * tiles / j.nblk * j.mk.mr
	}
}

// maxWeightsBlocks bounds the blocks (threads) of one backward-weights call.
const maxWeightsBlocks = 64

// weightsJobs recycles the jobs (reduce gives them back): a steady state
// allocates none.
var weightsJobs freeList[weightsJob]

func newWeightsJob(s *simdImpl, g convGeom, nblk int, nseg, segLen int) *weightsJob {
	j := weightsJobs.get()
	if j == nil {
		j = new(weightsJob)
	}
	*j = weightsJob{g: g, nblk: min(nblk, maxWeightsBlocks), nseg: nseg, segLen: segLen}
	j.mk = s.pickRows(g.k, segLen)
	if i := weightsMK; i >= 0 {
		j.mk = s.kernels[min(i, len(s.kernels)-1)]
	}
	j.kpad = roundUp(g.k, j.mk.mr)
	j.segPad = roundUp(segLen, j.mk.nr)
	j.ldp = nseg * j.segPad
	j.rsc = g.r * g.s * g.c
	return j
}

// pairSum sums a block's chunks, each a float32 partial of at most
// weightsFlush positions, pairwise: levels[i] holds the sum of 2^i chunks
// (a binary counter), so each value is a sum of about log2(chunks) float32
// chunk sums instead of a running sum over all of them, without float64.
type pairSum struct {
	n      int // floats per partial
	cur    *[]float32
	levels [40]*[]float32
}

func (j *weightsJob) newPairSum(rows int) pairSum {
	ps := pairSum{n: rows * j.ldp}
	ps.cur = getGemmBuf(ps.n)
	clear((*ps.cur)[:ps.n])
	return ps
}

// part returns the chunk partial being accumulated.
func (ps *pairSum) part() []float32 { return (*ps.cur)[:ps.n] }

// push ends the current chunk: it carries it up the levels and starts a
// cleared one.
func (ps *pairSum) push() {
	lvl := 0
	for ; ps.levels[lvl] != nil; lvl++ {
		addInto((*ps.cur)[:ps.n], (*ps.levels[lvl])[:ps.n])
		putGemmBuf(ps.levels[lvl])
		ps.levels[lvl] = nil
	}
	ps.levels[lvl] = ps.cur
	ps.cur = getGemmBuf(ps.n)
	clear((*ps.cur)[:ps.n])
}

// finish returns the sum of all pushed chunks (the current one, not pushed,
// must be empty), smaller levels first.
func (ps *pairSum) finish() *[]float32 {
	var sum *[]float32
	for i, l := range ps.levels {
		if l == nil {
			continue
		}
		ps.levels[i] = nil
		if sum == nil {
			sum = l
			continue
		}
		addInto((*l)[:ps.n], (*sum)[:ps.n])
		putGemmBuf(sum)
		sum = l
	}
	if sum == nil { // no chunk: the (cleared) current partial is the sum
		return ps.cur
	}
	putGemmBuf(ps.cur)
	return sum
}

// addInto does dst[i] += src[i], four at a time.
func addInto(dst, src []float32) {
	src = src[:len(dst)]
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		d, s := dst[i:i+4:i+4], src[i:i+4:i+4]
		d[0] += s[0]
		d[1] += s[1]
		d[2] += s[2]
		d[3] += s[3]
	}
	for ; i < len(dst); i++ {
		dst[i] += src[i]
	}
}

// ldA returns a row stride for n floats that keeps the mr rows of A out of
// the same L1 sets.
func ldA(n int) int {
	ld := roundUp(n, 16)
	if ld%256 == 0 {
		ld += 16
	}
	return ld
}

// calls runs the micro-kernel over every tile of segment q of the
// partial: k positions, A = dyT (row stride lda), B = windows at b (row
// stride ldb). (Cutting k into L1-sized blocks measured no faster.)
func (j *weightsJob) calls(q, k int, dyT []float32, lda int, b []float32, ldb int, part []float32) {
	mk := j.mk
	for j0 := 0; j0 < j.segPad; j0 += mk.nr {
		for k0 := 0; k0 < j.kpad; k0 += mk.mr {
			mk.fn(k, dyT[k0*lda:], lda, b[j0:], ldb, part[k0*j.ldp+q*j.segPad+j0:], j.ldp)
		}
	}
}

// reduce sums the blocks' partials pairwise (or, with ksplit, takes each
// row from its block) and writes the sum into dw
// [K, C, R, S], one output channel per step: per tap, the C values are
// contiguous in the partial and rs floats apart in dw (both rows of one
// output channel stay in L1; the taps are gathered into one [R*S][C]
// block and transposed). It gives the partials and the job back.
func (j *weightsJob) reduce(dw []float32) {
	g := &j.g
	rs := g.r * g.s
	Parallel(g.k, max(1, 8192/(j.rsc*j.nblk)), func(lo, hi int) {
		// The taps' sums, [R*S][C], transposed into dw 8 channels at a
		// time (transposeInto; storing them rs apart one by one was 5% of a
		// U-Net training step at 2x128x128).
		var tb *[]float32
		if rs > 1 {
			tb = g.scratch(rs * g.c)
			defer putGemmBuf(tb)
		}
		for k := lo; k < hi; k++ {
			out := dw[k*j.rsc : (k+1)*j.rsc]
			b0, row := 0, k // the block holding row k, and its row there
			if j.ksplit {
				for k >= j.kLo[b0+1] {
					b0++
				}
				row = k - j.kLo[b0]
			}
			for t := 0; t < rs; t++ {
				i := t * g.c // tap t, channel 0: segment i/segLen, column i%segLen
				off := row*j.ldp + i/j.segLen*j.segPad + i%j.segLen
				for step := 1; step < j.nblk && !j.ksplit; step *= 2 {
					for b := 0; b+step < j.nblk; b += 2 * step {
						addInto((*j.res[b])[off:off+g.c], (*j.res[b+step])[off:off+g.c])
					}
				}
				src := (*j.res[b0])[off : off+g.c]
				if rs == 1 {
					copy(out, src)
					continue
				}
				copy((*tb)[t*g.c:(t+1)*g.c], src)
			}
			if rs > 1 {
				transposeInto(out, rs, *tb, g.c, rs, g.c)
			}
		}
	})
	for b := 0; b < j.nblk; b++ {
		putGemmBuf(j.res[b])
		j.res[b] = nil
	}
	weightsJobs.put(j)
}

func (s *simdImpl) conv2DBackwardWeights(dw, db, x, dy []float32, p ConvParams) bool {
	g := p.geom()
	stride1 := g.sh == 1 && g.sw == 1
	// Strided outputs too narrow for one call per row go through a copy of
	// the input per tap when it stays within maxTapPlaneFloats.
	taps := !stride1 && g.dw == 1 && g.ow < minWeightsOutW &&
		g.r*g.s*g.n*g.oh*g.ow*roundUp(g.c+16, 16) <= maxTapPlaneFloats
	if !taps && (g.dw != 1 || (!stride1 && g.ow < minWeightsOutW)) || g.is1x1() {
		// A 1x1 stride-1 convolution is x^T dy, a plain Sgemm in the
		// generic path (here the transposition of dy would cost as much as
		// the products: 45% of peak against about 50-60%).
		return false
	}
	if db != nil {
		s.sumRows(db, dy, g.n*g.oh*g.ow, g.k)
	}
	if stride1 && s.weightsWinograd(dw, x, dy, g) {
		return true
	}
	if stride1 || taps {
		s.weightsStride1(dw, x, dy, g)
	} else {
		s.weightsByRow(dw, x, dy, g)
	}
	return true
}

// weightsStride1 is backward-weights for stride 1 over the padded input
// (and for narrow strided outputs over per-tap copies, below).
// The padded copy also pads each pixel's C channels to cp floats (a
// multiple of nr, and an odd number of 64-byte lines when that is 16 or
// more floats): a call reads one tap (r, s) of every position, one pixel of
// cp floats apart, and an odd line stride spreads those rows over all L1
// sets (a 1 KiB stride at C = 256 would use 4 of 64).
//
// The work is cut into units of about convFlush/Wp output rows of one
// image (each image's rows split evenly), at least one unit per thread;
// block b (one per thread) takes units [b*units/nblk, (b+1)*units/nblk),
// or, split by K, all units for rows kLo[b] to kLo[b+1].
//
// With a stride above 1 (taps), it copies the input once per tap (r, s)
// instead, planes [N, OutH, OutW, cp] where position (n, oy, ox) holds
// x[n, oy*StrideH-PadH+r*DilH, ox*StrideW-PadW+s, :] (an im2col split by
// tap): the same calls then read every tap in place.
func (s *simdImpl) weightsStride1(dw, x, dy []float32, g convGeom) {
	wp, hp := g.w+2*g.pw, g.h+2*g.ph
	taps := g.sh != 1 || g.sw != 1
	// With narrow outputs the S-1 junk positions of each padded row cost
	// too much (25% at 8 wide): the input is then copied once per kernel
	// column s, shifted by s pixels and cut to OutW, so that positions
	// run over the output width only (planes of [N, Hp, OutW, cp]).
	shifted := !taps && (wp-g.ow)*8 >= g.ow
	rowW, planes, imgRows := wp, 1, hp // positions per row, copies of the input, rows per image
	switch {
	case taps:
		rowW, planes, imgRows = g.ow, g.r*g.s, g.oh
	case shifted:
		rowW, planes = g.ow, g.s
	}
	perImg := (g.oh + max(1, convFlush/rowW) - 1) / max(1, convFlush/rowW)
	// Units and blocks follow from the shape and weightsShares, never from
	// the number of threads, so that the sums do not depend on it.
	const t = weightsShares
	if g.n*perImg < t {
		perImg = min(g.oh, (t+g.n-1)/g.n) // one unit per block at least
	}
	for p := perImg; p <= min(g.oh, perImg+t-1); p++ {
		if g.n*p%t == 0 { // the same number of units in every block
			perImg = p
			break
		}
	}
	rbMax := (g.oh + perImg - 1) / perImg // output rows per unit at most
	units := g.n * perImg
	flushUnits := max(1, weightsFlush/(rbMax*rowW))
	j := newWeightsJob(s, g, min(t, units), g.r*g.s, g.c)
	cp := j.segPad
	if cp >= 16 && cp%16 == 0 && (cp/16)%2 == 0 {
		cp += 16
	}
	if j.kpad/j.mk.mr >= t && j.kpad*j.ldp > g.n*g.oh*rowW*cp {
		// The partial outweighs the input copy (512@8): one block of
		// positions, whose rows the threads split, sharing one partial's
		// worth of memory and no sum (each row's sum is the same for any
		// split).
		j.nblk = Threads()
		j.splitK()
	}
	plane := g.n * imgRows * rowW * cp
	xb := g.scratch(planes*plane + (g.s+1)*cp)
	defer putGemmBuf(xb)
	xpad := *xb
	rowLen := rowW * cp
	// Row (q, img, yp) of the copy: pixel px holds x[img, iy, ix] (zero
	// outside x) with iy = yp-PadH, ix = px+shift-PadW (shift = q in
	// shifted planes), or, for taps, (r, s) = q and iy, ix the tap's input
	// pixel of output pixel (yp, px).
	Parallel(planes*g.n*imgRows, max(1, 16384/rowLen), func(lo, hi int) {
		for row := lo; row < hi; row++ {
			dst := xpad[row*rowLen : (row+1)*rowLen]
			q, img, yp := row/(g.n*imgRows), row%(g.n*imgRows)/imgRows, row%imgRows
			iy, ix0, sx := yp-g.ph, -g.pw, 1 // ix = ix0 + px*sx
			switch {
			case taps:
				iy = yp*g.sh - g.ph + q/g.s*g.dh
				ix0, sx = q%g.s-g.pw, g.sw
			case shifted:
				ix0 += q
			}
			if iy < 0 || iy >= g.h {
				clear(dst)
				continue
			}
			src := x[(img*g.h+iy)*g.w*g.c : (img*g.h+iy+1)*g.w*g.c]
			for px := 0; px < rowW; px++ {
				d := dst[px*cp : (px+1)*cp]
				ix := ix0 + px*sx
				if ix < 0 || ix >= g.w {
					clear(d)
					continue
				}
				copy(d, src[ix*g.c:(ix+1)*g.c])
				clear(d[g.c:])
			}
		}
	})
	clear(xpad[planes*plane:])
	// tapOff(r, s) is where tap (r, s) of position 0 reads.
	tapOff := func(r, s int) int {
		switch {
		case taps:
			return (r*g.s + s) * plane
		case shifted:
			return s*plane + r*g.dh*rowLen
		}
		return r*g.dh*rowLen + s*cp
	}
	// Short units go in groups: every tile of the partial takes the
	// group's units in turn, so it stays in L1 between their calls (with
	// one unit per pass over the partial, at 512@8 each call's 80 steps
	// waited on its tile coming from memory).
	slot := rbMax * rowW
	group := max(1, min(flushUnits, weightsGroupK/slot))
	lda := ldA(group * slot)
	Parallel(j.nblk, 1, func(blo, bhi int) {
		_, maxRows := j.rows(blo)
		for b := blo + 1; b < bhi; b++ {
			maxRows = max(maxRows, j.kLo[b+1]-j.kLo[b])
		}
		bb := g.scratch(maxRows * lda)
		defer putGemmBuf(bb)
		var kq, base [maxWeightsGroup]int
		for b := blo; b < bhi; b++ {
			klo, nrows := j.rows(b)
			kn := max(0, min(nrows, g.k-klo)) // rows of dy^T from dy
			dyT := (*bb)[:nrows*lda]
			clear(dyT) // junk columns and rows beyond K stay zero
			ps := j.newPairSum(nrows)
			u0, u1 := b*units/j.nblk, (b+1)*units/j.nblk
			if j.ksplit {
				u0, u1 = 0, units
			}
			since := 0
			for ug := u0; ug < u1; ug += group {
				nu := min(group, u1-ug)
				for i := range nu {
					img, iu := (ug+i)/perImg, (ug+i)%perImg
					oy0, oy1 := iu*g.oh/perImg, (iu+1)*g.oh/perImg
					// dyT[k-klo, i*slot + (oy-oy0)*rowW + ox] = dy[img, oy, ox, k].
					for oy := oy0; oy < oy1; oy++ {
						src := dy[(img*g.oh+oy)*g.ow*g.k+klo : (img*g.oh+oy+1)*g.ow*g.k]
						transposeInto(dyT[i*slot+(oy-oy0)*rowW:], lda, src, g.k, g.ow, kn)
					}
					kq[i] = (oy1 - oy0) * rowW
					base[i] = (img*imgRows + oy0) * rowLen
				}
				part := ps.part()
				for r := 0; r < g.r; r++ {
					for s := 0; s < g.s; s++ {
						tap := tapOff(r, s)
						j.groupCalls(r*g.s+s, nu, slot, kq[:nu], base[:nu], tap, dyT, lda, xpad, cp, part, nrows)
					}
				}
				since += nu
				if since+group > flushUnits || ug+nu >= u1 {
					ps.push()
					since = 0
				}
			}
			j.res[b] = ps.finish()
		}
	})
	j.reduce(dw)
}

// weightsGroupK is the fewest positions a group of stride-1 units holds
// (when flushes allow); maxWeightsGroup bounds the units of a group.
const (
	weightsGroupK   = 1024
	maxWeightsGroup = 64
)

// groupCalls is calls over nu units: unit i's positions are kq[i] columns
// of dyT (nrows rows) from i*slot and windows of xpad from base[i]+tap;
// each tile of the partial takes the units in turn.
func (j *weightsJob) groupCalls(q, nu, slot int, kq, base []int, tap int, dyT []float32, lda int, xpad []float32, ldb int, part []float32, nrows int) {
	mk := j.mk
	for j0 := 0; j0 < j.segPad; j0 += mk.nr {
		for k0 := 0; k0 < nrows; k0 += mk.mr {
			c := part[k0*j.ldp+q*j.segPad+j0:]
			for i := range nu {
				mk.fn(kq[i], dyT[k0*lda+i*slot:], lda, xpad[base[i]+tap+j0:], ldb, c, j.ldp)
			}
		}
	}
}

// weightsByRow is backward-weights for any stride, one output row per call.
func (s *simdImpl) weightsByRow(dw, x, dy []float32, g convGeom) {
	rows := g.n * g.oh
	nblk := min(weightsShares, rows) // not Threads(): the sums do not depend on it
	flushRows := max(1, weightsFlush/g.ow)
	j := newWeightsJob(s, g, nblk, g.r, g.s*g.c)
	xpLen := (g.w+2*g.pw)*g.c + j.segPad // padded input row + slack for the last window's tile
	lda := ldA(g.ow)
	Parallel(j.nblk, 1, func(blo, bhi int) {
		bb := g.scratch(j.kpad*lda + xpLen)
		defer putGemmBuf(bb)
		buf := *bb
		dyT := buf[:j.kpad*lda]
		xp := buf[j.kpad*lda : j.kpad*lda+xpLen]
		clear(dyT[g.k*lda:]) // rows of A beyond K stay zero
		for b := blo; b < bhi; b++ {
			ps := j.newPairSum(j.kpad)
			r0, r1 := b*rows/j.nblk, (b+1)*rows/j.nblk
			since := 0
			for row := r0; row < r1; row++ {
				img, oy := row/g.oh, row%g.oh
				// dyT[k, ox] = dy[n, oy, ox, k].
				transposeInto(dyT, lda, dy[row*g.ow*g.k:(row+1)*g.ow*g.k], g.k, g.ow, g.k)
				part := ps.part()
				for r := 0; r < g.r; r++ {
					iy := oy*g.sh - g.ph + r*g.dh
					if iy < 0 || iy >= g.h {
						continue
					}
					clear(xp[:g.pw*g.c])
					copy(xp[g.pw*g.c:], x[(img*g.h+iy)*g.w*g.c:(img*g.h+iy+1)*g.w*g.c])
					clear(xp[(g.pw+g.w)*g.c:])
					j.calls(r, g.ow, dyT, lda, xp, g.sw*g.c, part)
				}
				since++
				if since >= flushRows || row == r1-1 {
					ps.push()
					since = 0
				}
			}
			j.res[b] = ps.finish()
		}
	})
	j.reduce(dw)
}
