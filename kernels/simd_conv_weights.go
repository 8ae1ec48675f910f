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
// flushed into float64 every convFlush positions, per thread; the threads'
// float64 blocks are summed in order at the end, as in the generic kernel.
//
// Dilation along W and outputs narrower than minWeightsOutW positions (too
// short a reduction per call) are declined: the generic im2col + Sgemm
// path takes them.

// minWeightsOutW is the narrowest output row the direct backward-weights
// handles; per call the reduction is one output row long.
const minWeightsOutW = 24

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

func (s *simdImpl) conv2DBackwardWeights(dw, db, x, dy []float32, p ConvParams) bool {
	g := p.geom()
	if g.dw != 1 || g.ow < minWeightsOutW {
		return false
	}
	if db != nil {
		sumRowsGeneric(db, dy, g.n*g.oh*g.ow, g.k)
	}
	sc := g.s * g.c
	mk := s.pickRows(g.k, sc)
	mr, nr := mk.mr, mk.nr
	kpad := roundUp(g.k, mr)
	scp := roundUp(sc, nr)
	ldp := g.r * scp // row stride of the float32 partial [kpad, R*scp]
	rsc := g.r * sc
	rows := g.n * g.oh
	nblk := min(Threads(), rows)
	acc := make([]float64, nblk*g.k*rsc)
	xpLen := (g.w+2*g.pw)*g.c + scp // padded input row + slack for the last window's tile
	lda := g.ow
	if lda%256 == 0 { // keep the mr rows of A out of the same L1 sets
		lda += 16
	}
	flushRows := max(1, convFlush/g.ow)
	Parallel(nblk, 1, func(blo, bhi int) {
		bb := getGemmBuf(kpad*ldp + kpad*lda + xpLen)
		defer putGemmBuf(bb)
		buf := *bb
		part := buf[:kpad*ldp]
		dyT := buf[kpad*ldp : kpad*ldp+kpad*lda]
		xp := buf[kpad*ldp+kpad*lda:]
		for b := blo; b < bhi; b++ {
			a64 := acc[b*g.k*rsc : (b+1)*g.k*rsc]
			r0, r1 := b*rows/nblk, (b+1)*rows/nblk
			clear(part)
			clear(dyT[g.k*lda:]) // rows of A beyond K stay zero
			since := 0
			for row := r0; row < r1; row++ {
				img, oy := row/g.oh, row%g.oh
				// dyT[k, ox] = dy[n, oy, ox, k].
				src := dy[row*g.ow*g.k : (row+1)*g.ow*g.k]
				for ox := 0; ox < g.ow; ox++ {
					for k, v := range src[ox*g.k : (ox+1)*g.k] {
						dyT[k*lda+ox] = v
					}
				}
				for r := 0; r < g.r; r++ {
					iy := oy*g.sh - g.ph + r*g.dh
					if iy < 0 || iy >= g.h {
						continue
					}
					clear(xp[:g.pw*g.c])
					copy(xp[g.pw*g.c:], x[(img*g.h+iy)*g.w*g.c:(img*g.h+iy+1)*g.w*g.c])
					clear(xp[(g.pw+g.w)*g.c:])
					for k0 := 0; k0 < kpad; k0 += mr {
						for j0 := 0; j0 < scp; j0 += nr {
							mk.fn(g.ow, dyT[k0*lda:], lda, xp[j0:], g.sw*g.c, part[k0*ldp+r*scp+j0:], ldp)
						}
					}
				}
				since++
				if since >= flushRows || row == r1-1 {
					for k := 0; k < g.k; k++ {
						for r := 0; r < g.r; r++ {
							pr := part[k*ldp+r*scp : k*ldp+r*scp+sc]
							ar := a64[k*rsc+r*sc : k*rsc+(r+1)*sc]
							for j, v := range pr {
								ar[j] += float64(v)
							}
						}
					}
					clear(part)
					since = 0
				}
			}
		}
	})
	// Sum the blocks into dw [K, C, R, S] from [K][r][s][c].
	rs := g.r * g.s
	Parallel(g.k, max(1, 4096/(rsc*nblk)), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			for t := 0; t < rs; t++ {
				for c := 0; c < g.c; c++ {
					var v float64
					for b := 0; b < nblk; b++ {
						v += acc[(b*g.k+k)*rsc+t*g.c+c]
					}
					dw[(k*g.c+c)*rs+t] = float32(v)
				}
			}
		}
	})
	return true
}
