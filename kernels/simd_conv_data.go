package kernels

// SIMD convolution backward-data (the input gradient) on NHWC.

// conv2DBackwardData handles stride 1 as dx = conv(dy, flipped w^T) with
// padding Dil*(R-1) - Pad on each side; strides above 1, and few input
// positions against many weights, go to conv2DBackwardDataGemm.
func (s *simdImpl) conv2DBackwardData(dx, dy, w []float32, p ConvParams) bool {
	npos := p.N * p.OutH() * p.OutW()
	stride1 := p.StrideH == 1 && p.StrideW == 1 && p.DilH*(p.R-1) >= p.PadH && p.DilW*(p.S-1) >= p.PadW
	if !stride1 || 2*p.N*p.H*p.W <= p.C {
		return s.conv2DBackwardDataGemm(dx, dy, w, p, npos)
	}
	if s.conv2DWinograd(dx, dy, w, nil, winoBackwardGeom(p), true) {
		return true
	}
	if p.R > 64 {
		return false
	}
	g := convGeom{n: p.N, h: p.OutH(), w: p.OutW(), c: p.K, k: p.C, r: p.R, s: p.S,
		sh: 1, sw: 1, ph: p.DilH*(p.R-1) - p.PadH, pw: p.DilW*(p.S-1) - p.PadW, dh: p.DilH, dw: p.DilW,
		oh: p.H, ow: p.W}
	mk := s.pick(g.k)
	rsc := g.r * g.s * g.c
	panels := (g.k + mk.nr - 1) / mk.nr
	wb := g.scratch(panels * rsc * mk.nr)
	defer putGemmBuf(wb)
	packConvB(*wb, mk.nr, g, w, true)
	d := directConv{g: g, wp: *wb}
	d.convolve(mk, dx, dy)
	return true
}

// maxColsFloats bounds the column matrix of conv2DBackwardDataGemm (64 MiB).
const maxColsFloats = 16 << 20

// conv2DBackwardDataGemm is backward-data as one GEMM and a gather:
// cols [P, R*S*C] = dy [P, K] x w' [K, R*S*C] (both read in place by the
// SIMD Sgemm; w' is w reordered tap-major, [K, R, S, C], so that each
// tap's C columns are contiguous), then every dx cell sums the columns of
// the output positions whose windows hold it (dx[n, iy, ix, c] = sum of
// cols[(n, oy, ox), (r, s, c)] over iy = oy*StrideH - PadH + r*DilH, ix
// likewise): runs of C contiguous floats. Threads gather disjoint rows of
// dx. It declines (false) when cols would exceed maxColsFloats, or for
// fewer than 16 input channels.
func (s *simdImpl) conv2DBackwardDataGemm(dx, dy, w []float32, p ConvParams, npos int) bool {
	rs := p.R * p.S
	rsc := rs * p.C
	if npos*rsc > maxColsFloats || p.C < 16 {
		// Few input channels (the stem): the gather dominates and the
		// generic per-tap products do better (24% of peak against 19%).
		return false
	}
	cb := getScratchIn(p.Scratch, npos*rsc+p.K*rsc)
	defer putGemmBuf(cb)
	cols, wt := (*cb)[:npos*rsc], w
	if rs > 1 {
		// With the weights' own order (c, r, s) the gather read every
		// float R*S apart (2x2 s2 256->128 @16: 0.24 of 0.85 ms). Each
		// output channel's [C][R*S] block is transposed 8 channels at a
		// time (transposeInto; the scalar loop was 6% of a U-Net training
		// step at 2x128x128).
		wt = (*cb)[npos*rsc : npos*rsc+p.K*rsc]
		Parallel(p.K, max(1, 16384/rsc), func(lo, hi int) {
			for k := lo; k < hi; k++ {
				transposeInto(wt[k*rsc:(k+1)*rsc], p.C, w[k*rsc:(k+1)*rsc], rs, p.C, rs)
			}
		})
	}
	sgemmSIMD(s.pick(rsc), false, false, npos, rsc, p.K, 1, dy, p.K, wt, rsc, 0, cols, rsc)
	oh, ow := p.OutH(), p.OutW()
	rowLen := p.W * p.C
	Parallel(p.N*p.H, max(1, 8192/(rowLen*rs)), func(lo, hi int) {
		for row := lo; row < hi; row++ {
			img, iy := row/p.H, row%p.H
			dxrow := dx[row*rowLen : (row+1)*rowLen]
			clear(dxrow)
			for r := 0; r < p.R; r++ {
				t := iy + p.PadH - r*p.DilH
				if t < 0 || t%p.StrideH != 0 || t/p.StrideH >= oh {
					continue
				}
				oy := t / p.StrideH
				for q := 0; q < p.S; q++ {
					off := q*p.DilW - p.PadW // ix = ox*StrideW + off
					ox0 := max(0, ceilDiv(-off, p.StrideW))
					ox1 := min(ow-1, floorDiv(p.W-1-off, p.StrideW))
					tap := r*p.S + q
					for ox := ox0; ox <= ox1; ox++ {
						ix := ox*p.StrideW + off
						src := cols[((img*oh+oy)*ow+ox)*rsc+tap*p.C:][:p.C]
						dst := dxrow[ix*p.C : (ix+1)*p.C]
						for c, v := range src {
							dst[c] += v
						}
					}
				}
			}
		}
	})
	return true
}
