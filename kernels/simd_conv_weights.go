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
// micro-kernel call with k = OutW, accumulated in a float32 partial that is
// flushed into float64 every weightsFlush positions, per thread; the threads'
// float64 blocks are summed in order at the end, as in the generic kernel.
//
// With stride 1 the reduction of a call spans several output rows: the whole
// input is copied once, zero-padded, to [N, H+2*PadH, W+2*PadW, C], and
// position q = oy*Wp + ox (Wp = W+2*PadW, ox running over the padded width)
// reads its window at q*C: one stride for all rows of a block. The
// positions ox >= OutW are junk: their column of dy^T is zero. (So an
// infinite input value next to such a window turns into NaN in dW, where
// the reference would give an infinity.)
//
// Dilation along W, 1x1 stride-1 convolutions, and strides above 1 with
// outputs narrower than minWeightsOutW positions (too short a reduction per
// call), are declined: the generic im2col + Sgemm path takes them.

// minWeightsOutW is the narrowest output row the direct backward-weights
// handles; per call the reduction is one output row long.
const minWeightsOutW = 24

// weightsFlush is the most positions a float32 partial sums before it is
// added into the float64 accumulators: 4x the generic path's convFlush,
// because a flush costs K*R*S*C adds (7% of the time at 64@128 with 512);
// 2048 float32 additions of random-sign terms err by about
// sqrt(2048)*6e-8 of their magnitude.
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

// weightsJob is the state shared by the two backward-weights schemes.
type weightsJob struct {
	g  convGeom
	mk *microKernel
	// The float32 partial [kpad, ldp] holds nseg segments of segPad columns
	// (a multiple of nr), segLen of them valid: segment (r) holds (s, c)
	// for weightsByRow, segment (r, s) holds c for weightsStride1.
	nseg, segLen, segPad int
	rsc, kpad, ldp       int
	nblk                 int
	// With single, each block's positions fit one float32 partial: the
	// blocks keep theirs in parts ([nblk][kpad*ldp]) and reduce sums them
	// in float64, skipping the float64 block accumulators acc
	// ([nblk][K][R*S*C]) and their flushes (what dominates when positions
	// are few, 256@16).
	single bool
	acc    []float64
	accBuf *[]float64
	parts  *[]float32
}

func newWeightsJob(s *simdImpl, g convGeom, nblk int, single bool, nseg, segLen int) *weightsJob {
	j := &weightsJob{g: g, nblk: nblk, single: single, nseg: nseg, segLen: segLen}
	j.mk = s.pickRows(g.k, segLen)
	j.kpad = roundUp(g.k, j.mk.mr)
	j.segPad = roundUp(segLen, j.mk.nr)
	j.ldp = nseg * j.segPad
	j.rsc = g.r * g.s * g.c
	if single {
		j.parts = getGemmBuf(nblk * j.kpad * j.ldp)
	} else {
		j.accBuf = getScratch64(nblk * g.k * j.rsc) // zeroed
		j.acc = *j.accBuf
	}
	return j
}

// partial returns block b's float32 partial (cleared): its slot in parts
// when single, else buf.
func (j *weightsJob) partial(b int, buf []float32) []float32 {
	part := buf
	if j.single {
		part = (*j.parts)[b*j.kpad*j.ldp : (b+1)*j.kpad*j.ldp]
	}
	clear(part)
	return part
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

// flush adds the valid region of the partial into block a64 and clears it
// (nothing when single: the partial is the block's result).
func (j *weightsJob) flush(part []float32, a64 []float64) {
	if j.single {
		return
	}
	g := &j.g
	for k := 0; k < g.k; k++ {
		for q := 0; q < j.nseg; q++ {
			pr := part[k*j.ldp+q*j.segPad : k*j.ldp+q*j.segPad+j.segLen]
			ar := a64[k*j.rsc+q*j.segLen : k*j.rsc+(q+1)*j.segLen]
			for i, v := range pr {
				ar[i] += float64(v)
			}
		}
	}
	clear(part)
}

// calls runs the micro-kernel over every tile of segment q of the
// partial: k positions, A = dyT (row stride lda), B = windows at b (row
// stride ldb).
func (j *weightsJob) calls(q, k int, dyT []float32, lda int, b []float32, ldb int, part []float32) {
	mk := j.mk
	for j0 := 0; j0 < j.segPad; j0 += mk.nr {
		for k0 := 0; k0 < j.kpad; k0 += mk.mr {
			mk.fn(k, dyT[k0*lda:], lda, b[j0:], ldb, part[k0*j.ldp+q*j.segPad+j0:], j.ldp)
		}
	}
}

// transposeInto writes src [n, m] transposed into dst: dst[j*ldd+i] =
// src[i*m+j], four rows of src at a time (four loads in flight, one bounds
// check per four stores).
func transposeInto(dst []float32, ldd int, src []float32, n, m int) {
	i := 0
	for ; i+4 <= n; i += 4 {
		s0, s1 := src[i*m:(i+1)*m], src[(i+1)*m:(i+2)*m]
		s2, s3 := src[(i+2)*m:(i+3)*m], src[(i+3)*m:(i+4)*m]
		for j := range s0 {
			d := dst[j*ldd+i : j*ldd+i+4]
			d[0], d[1], d[2], d[3] = s0[j], s1[j], s2[j], s3[j]
		}
	}
	for ; i < n; i++ {
		for j, v := range src[i*m : (i+1)*m] {
			dst[j*ldd+i] = v
		}
	}
}

// reduce sums the blocks into dw [K, C, R, S] (writing each dw row in
// order) from the blocks' [K][(r, s, c)] accumulators or partials.
func (j *weightsJob) reduce(dw []float32) {
	g := &j.g
	rs := g.r * g.s
	if j.single {
		defer putGemmBuf(j.parts)
	} else {
		defer putScratch64(j.accBuf)
	}
	// colOf[t]: the partial's column of (tap t, channel 0).
	colOf := make([]int, rs)
	for t := range colOf {
		i := t * g.c
		colOf[t] = i/j.segLen*j.segPad + i%j.segLen
	}
	Parallel(g.k, max(1, 4096/(j.rsc*j.nblk)), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			for c := 0; c < g.c; c++ {
				out := dw[(k*g.c+c)*rs : (k*g.c+c+1)*rs]
				for t := range out {
					var v float64
					if j.single {
						for b := 0; b < j.nblk; b++ {
							v += float64((*j.parts)[(b*j.kpad+k)*j.ldp+colOf[t]+c])
						}
					} else {
						for b := 0; b < j.nblk; b++ {
							v += j.acc[(b*g.k+k)*j.rsc+t*g.c+c]
						}
					}
					out[t] = float32(v)
				}
			}
		}
	})
}

func (s *simdImpl) conv2DBackwardWeights(dw, db, x, dy []float32, p ConvParams) bool {
	g := p.geom()
	stride1 := g.sh == 1 && g.sw == 1
	if g.dw != 1 || (!stride1 && g.ow < minWeightsOutW) || g.is1x1() {
		// A 1x1 stride-1 convolution is x^T dy, a plain Sgemm in the
		// generic path (here the transposition of dy would cost as much as
		// the products: 45% of peak against about 50-60%).
		return false
	}
	if db != nil {
		sumRowsGeneric(db, dy, g.n*g.oh*g.ow, g.k)
	}
	if stride1 {
		s.weightsStride1(dw, x, dy, g)
	} else {
		s.weightsByRow(dw, x, dy, g)
	}
	return true
}

// weightsStride1 is backward-weights for stride 1 over the padded input.
// The padded copy also pads each pixel's C channels to cp floats (a
// multiple of nr, and an odd number of 64-byte lines when that is 16 or
// more floats): a call reads one tap (r, s) of every position, one pixel of
// cp floats apart, and an odd line stride spreads those rows over all L1
// sets (a 1 KiB stride at C = 256 would use 4 of 64).
func (s *simdImpl) weightsStride1(dw, x, dy []float32, g convGeom) {
	wp, hp := g.w+2*g.pw, g.h+2*g.ph
	rb := max(1, convFlush/wp) // output rows per unit (one call's reduction)
	perImg := (g.oh + rb - 1) / rb
	units := g.n * perImg
	nblk := min(Threads(), units)
	flushUnits := max(1, weightsFlush/(rb*wp))
	j := newWeightsJob(s, g, nblk, (units+nblk-1)/nblk <= flushUnits, g.r*g.s, g.c)
	cp := j.segPad
	if cp >= 16 && cp%16 == 0 && (cp/16)%2 == 0 {
		cp += 16
	}
	xb := getGemmBuf((g.n*hp*wp + g.s + 1) * cp)
	defer putGemmBuf(xb)
	xpad := *xb
	rowLen := wp * cp
	Parallel(g.n*hp, max(1, 16384/rowLen), func(lo, hi int) {
		for row := lo; row < hi; row++ {
			dst := xpad[row*rowLen : (row+1)*rowLen]
			img, yp := row/hp, row%hp
			if yp < g.ph || yp >= g.ph+g.h {
				clear(dst)
				continue
			}
			clear(dst[:g.pw*cp])
			src := x[(img*g.h+yp-g.ph)*g.w*g.c : (img*g.h+yp-g.ph+1)*g.w*g.c]
			for ix := 0; ix < g.w; ix++ {
				px := dst[(g.pw+ix)*cp : (g.pw+ix+1)*cp]
				copy(px, src[ix*g.c:(ix+1)*g.c])
				clear(px[g.c:])
			}
			clear(dst[(g.pw+g.w)*cp:])
		}
	})
	clear(xpad[g.n*hp*rowLen:])
	lda := ldA(rb * wp)
	Parallel(j.nblk, 1, func(blo, bhi int) {
		bb := getGemmBuf(j.kpad*j.ldp + j.kpad*lda)
		defer putGemmBuf(bb)
		dyT := (*bb)[j.kpad*j.ldp:]
		clear(dyT) // junk columns and rows beyond K stay zero
		for b := blo; b < bhi; b++ {
			part := j.partial(b, (*bb)[:j.kpad*j.ldp])
			var a64 []float64
			if !j.single {
				a64 = j.acc[b*g.k*j.rsc : (b+1)*g.k*j.rsc]
			}
			u0, u1 := b*units/j.nblk, (b+1)*units/j.nblk
			for u := u0; u < u1; u++ {
				img, oy0 := u/perImg, u%perImg*rb
				oy1 := min(oy0+rb, g.oh)
				// dyT[k, (oy-oy0)*wp + ox] = dy[img, oy, ox, k].
				for oy := oy0; oy < oy1; oy++ {
					src := dy[(img*g.oh+oy)*g.ow*g.k : (img*g.oh+oy+1)*g.ow*g.k]
					transposeInto(dyT[(oy-oy0)*wp:], lda, src, g.ow, g.k)
				}
				kq := (oy1 - oy0) * wp
				for r := 0; r < g.r; r++ {
					for s := 0; s < g.s; s++ {
						base := ((img*hp+oy0+r*g.dh)*wp + s) * cp
						j.calls(r*g.s+s, kq, dyT, lda, xpad[base:], cp, part)
					}
				}
				if (u-u0+1)%flushUnits == 0 || u == u1-1 {
					j.flush(part, a64)
				}
			}
		}
	})
	j.reduce(dw)
}

// weightsByRow is backward-weights for any stride, one output row per call.
func (s *simdImpl) weightsByRow(dw, x, dy []float32, g convGeom) {
	rows := g.n * g.oh
	nblk := min(Threads(), rows)
	flushRows := max(1, weightsFlush/g.ow)
	j := newWeightsJob(s, g, nblk, (rows+nblk-1)/nblk <= flushRows, g.r, g.s*g.c)
	xpLen := (g.w+2*g.pw)*g.c + j.segPad // padded input row + slack for the last window's tile
	lda := ldA(g.ow)
	Parallel(j.nblk, 1, func(blo, bhi int) {
		bb := getGemmBuf(j.kpad*j.ldp + j.kpad*lda + xpLen)
		defer putGemmBuf(bb)
		buf := *bb
		dyT := buf[j.kpad*j.ldp : j.kpad*j.ldp+j.kpad*lda]
		xp := buf[j.kpad*j.ldp+j.kpad*lda:]
		clear(dyT[g.k*lda:]) // rows of A beyond K stay zero
		for b := blo; b < bhi; b++ {
			part := j.partial(b, buf[:j.kpad*j.ldp])
			var a64 []float64
			if !j.single {
				a64 = j.acc[b*g.k*j.rsc : (b+1)*g.k*j.rsc]
			}
			r0, r1 := b*rows/j.nblk, (b+1)*rows/j.nblk
			since := 0
			for row := r0; row < r1; row++ {
				img, oy := row/g.oh, row%g.oh
				// dyT[k, ox] = dy[n, oy, ox, k].
				transposeInto(dyT, lda, dy[row*g.ow*g.k:(row+1)*g.ow*g.k], g.ow, g.k)
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
					j.flush(part, a64)
					since = 0
				}
			}
		}
	})
	j.reduce(dw)
}
