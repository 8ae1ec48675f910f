package kernels

// Winograd F(2x2,3x3) backward-weights for 3x3 stride-1 convolutions on
// NHWC (see winograd.go for the forward). The forward computes each 2x2
// output tile as Y = AT [(G g GT) .* (BT d B)] A from the tile's 4x4 input
// window d, so the gradient of the 3x3 kernel g of one (k, c) pair is
//
//	dg = GT [sum over tiles of dM .* V] G,  dM = A dY AT,  V = BT d B,
//
// with dY the tile's 2x2 block of dy (zero past the output). Per element e
// of the 16 of a 4x4 transformed tile, the sums over tiles of all (k, c)
// pairs are one matrix product
//
//	S_e [K, C] = dM_e^T [K, tiles] x V_e [tiles, C],
//
// 16 products of 4 positions' worth of reduction each: 64 multiplications
// per 4 positions and (k, c) against 36 for the direct sum, 2.25x fewer.
//
// Layout: tiles run in blocks of tb; per block the input transform (the
// forward's, winoTransforms.in) writes V [16][tb][ldv], the transform of dy
// (asm.WinoDy2x2AVX2, or winoDyN) writes dM [16][tb][ldm], and the
// micro-kernel's blocks variant runs k = block tiles per (e, mr rows of K,
// nr columns of C) into a float32 partial [16][kpad][ldc], reading
// dM_e^T in place as nt blocks of one column, ldm floats apart (a
// transposed dM would take one scattered store per value). A partial holds at most
// winoWeightsFlush tiles (a chunk); chunks are summed pairwise (pairSum),
// the weightsShares blocks' sums pairwise again, in a fixed order, and the
// final transform writes dw [K, C, 3, 3] = GT S G. Blocks take contiguous
// runs of tiles or, with fewer than winoKSplitTiles tiles per share, one
// block takes all tiles and the threads a share of the rows of S each
// (whole mr tiles of K; no sum across threads). Neither depends on the
// number of threads, nor does the result.
// Scratch comes from the free lists (getGemmBuf).
//
// The transform of dy stores A dY AT with its last row and column negated
// (no negation per tile); the final transform undoes it.

// winoWeightsFlush is the most tiles a float32 partial sums before it goes
// into the pairwise sum: each element sums one term per tile, as the
// direct path sums one per position (weightsFlush).
const winoWeightsFlush = weightsFlush / 2

// winoWeightsBlockBytes is what the V and dM of a block may take: about
// half of a 1 MiB L2 (the partial takes most of the rest).
const winoWeightsBlockBytes = 512 << 10

// winoWeights is one Winograd backward-weights call.
type winoWeights struct {
	g        convGeom
	mk       *microKernel
	tr       *winoTransforms
	th, tw   int // tiles per image column, row
	tiles    int
	kpad     int // rows of the partial: K rounded up to mr
	cpad     int // columns of C the micro-kernel covers: C rounded up to nr
	ldv, ldm int // row strides of V [tile][ldv] and dM [tile][ldm]
	ldc      int // row stride of the partial [kpad][ldc]
	tb       int // tiles per block
	ve, me   int // element strides of V and dM in a block buffer
	pe       int // element stride of the partial: kpad*ldc
	// tail, if not nil, computes the last K%mr rows of the partial in
	// fewer rows than mk would (6x16 after 12x32: K = 64 takes 66 rows
	// instead of 72); its nr divides mk's.
	tail *microKernel
	// dyAsm is the assembly dy transform (asm.WinoDy2x2AVX2's contract) or
	// nil: winoDyN then does all of it.
	dyAsm func(dst []float32, ds int, src []float32, sa, sb, n int)
}

// newWinoWeights lays out the backward-weights of g (3x3, stride 1) with
// micro-kernel mk and transforms tr (F(2x2,3x3): tr.m == 2) in blocks
// for at least shares blocks of tiles.
func newWinoWeights(mk *microKernel, tr *winoTransforms, g convGeom, shares int) *winoWeights {
	ww := &winoWeights{g: g, mk: mk, tr: tr, th: (g.oh + 1) / 2, tw: (g.ow + 1) / 2}
	ww.tiles = g.n * ww.th * ww.tw
	ww.kpad = roundUp(g.k, mk.mr)
	ww.cpad = roundUp(g.c, mk.nr)
	ww.ldv = packStride(ww.cpad)
	ww.ldc = ww.ldv
	ww.pe = ww.kpad * ww.ldc
	// Blocks whose V and dM stay in L2 where the partial fits there too;
	// else (128 channels and more) the partial's tiles come from L3 once
	// per call and longer calls pay more than L2 does.
	ww.ldm = packStride(ww.kpad)
	tb := winoWeightsBlockBytes / (16 * 4 * (ww.ldv + ww.ldm)) / 8 * 8
	if 16*4*ww.pe > winoWeightsBlockBytes {
		tb = 256
	}
	// At least one block per share.
	ww.tb = clampInt(tb, 32, roundUp((ww.tiles+shares-1)/shares, 8))
	if winoWeightsTB > 0 {
		ww.tb = winoWeightsTB
	}
	ww.ve, ww.me = elemStride(ww.tb*ww.ldv), elemStride(ww.tb*ww.ldm)
	return ww
}

// winoWeightsTB, when positive, overrides the tiles per block (tuning).
var winoWeightsTB int

// winoKSplitTiles is the fewest tiles per share for which blocks of tiles
// are summed; below, the threads split the rows of S (K).
const winoKSplitTiles = 512

// winoWeightsKSplit forces the split: 1 by rows of S (K),
// -1 by tiles, 0 by the rule (tests, tuning).
var winoWeightsKSplit int

// bufLen returns the scratch floats one worker needs: V, dM, a gathered
// input window and a zero dy pixel.
func (ww *winoWeights) bufLen() int {
	return 16*(ww.ve+ww.me) + 16*ww.g.c + ww.g.k
}

// run accumulates the tiles [t0, t1) into ps, partials of the rows
// [klo, khi) of S (whole mr tiles; 16 elements of (khi-klo)*ldc floats),
// pushing a chunk every winoWeightsFlush tiles; buf holds bufLen() floats.
func (ww *winoWeights) run(ps *pairSum, x, dy []float32, t0, t1, klo, khi int, buf []float32) {
	g := &ww.g
	mk := ww.mk
	mr, nr := mk.mr, mk.nr
	pe := (khi - klo) * ww.ldc
	kn := max(0, min(khi, g.k)-klo) // channels of dy this range transforms
	v, rest := buf[:16*ww.ve], buf[16*ww.ve:]
	dm, rest := rest[:16*ww.me], rest[16*ww.me:]
	win, zero := rest[:16*g.c], rest[16*g.c:16*g.c+g.k]
	// The micro-kernel reads columns C..cpad of V and K..kpad of dM,
	// which the transforms never write: zero them so that they hold no
	// NaNs or denormals (they only feed the partial's padding).
	for e := 0; e < 16; e++ {
		for t := 0; t < ww.tb; t++ {
			clear(v[e*ww.ve+t*ww.ldv+g.c : e*ww.ve+t*ww.ldv+ww.cpad])
			clear(dm[e*ww.me+t*ww.ldm+g.k : e*ww.me+t*ww.ldm+ww.kpad])
		}
	}
	clear(zero)
	perImg := ww.th * ww.tw
	kMain, tl := khi, ww.tail // rows for mk; the tail kernel takes the rest
	if tl != nil && khi > g.k {
		kMain = g.k / mr * mr
	} else {
		tl = nil
	}
	since := 0
	for b0 := t0; b0 < t1; b0 += ww.tb {
		nt := min(ww.tb, t1-b0)
		for t := b0; t < b0+nt; t++ {
			img, ty, tx := t/perImg, t%perImg/ww.tw, t%ww.tw
			iy0, ix0 := 2*ty-g.ph, 2*tx-g.pw
			src, sa, sb := x, g.w*g.c, g.c
			if iy0 >= 0 && ix0 >= 0 && iy0+4 <= g.h && ix0+4 <= g.w {
				src = x[((img*g.h+iy0)*g.w+ix0)*g.c:]
			} else {
				// Gather the window, zeros outside the image.
				clear(win)
				for a := max(0, -iy0); a < 4 && iy0+a < g.h; a++ {
					b, e := max(0, -ix0), min(4, g.w-ix0)
					if b >= e {
						continue
					}
					off := ((img*g.h+iy0+a)*g.w + ix0) * g.c
					copy(win[(a*4+b)*g.c:(a*4+e)*g.c], x[off+b*g.c:off+e*g.c])
				}
				src, sa = win, 4*g.c
			}
			ww.tr.in(v[(t-b0)*ww.ldv:], ww.ve, src, sa, sb, g.c)
		}
		for t := b0; t < b0+nt; t++ {
			d00, d01, d10, d11 := ww.dyTile(dy, t, zero)
			dst := dm[(t-b0)*ww.ldm:]
			n8 := 0
			if ww.dyAsm != nil && &d11[0] != &zero[0] {
				// A whole 2x2 block: its rows g.ow*g.k floats apart.
				n8 = kn / 8 * 8
				ww.dyAsm(dst[klo:], ww.me, d00[klo:(g.ow+2)*g.k], g.ow*g.k, g.k, n8)
			}
			if n8 < kn {
				k0, k1 := klo+n8, klo+kn
				winoDyN(dst[k0:], ww.me, d00[k0:k1], d01[k0:k1], d10[k0:k1], d11[k0:k1])
			}
		}
		part := ps.part()
		for e := 0; e < 16; e++ {
			a, bv, pt := dm[e*ww.me:], v[e*ww.ve:], part[e*pe:(e+1)*pe]
			for j0 := 0; j0 < ww.cpad; j0 += nr {
				for k0 := klo; k0 < kMain; k0 += mr {
					// A[i, p] = dM[p, k0+i]: nt blocks of one column,
					// ldm apart.
					mk.fnBlocks(nt, 1, ww.ldm, a[k0:], 1, bv[j0:], ww.ldv, pt[(k0-klo)*ww.ldc+j0:], ww.ldc)
				}
				for k0 := kMain; tl != nil && k0 < g.k; k0 += tl.mr {
					for j := j0; j < j0+nr; j += tl.nr {
						tl.fnBlocks(nt, 1, ww.ldm, a[k0:], 1, bv[j:], ww.ldv, pt[(k0-klo)*ww.ldc+j:], ww.ldc)
					}
				}
			}
		}
		since += nt
		if since+ww.tb > winoWeightsFlush || b0+nt >= t1 {
			ps.push()
			since = 0
		}
	}
}

// dyTile returns the 2x2 block of dy of tile t, rows along H (zero, K
// zeros, past the output).
func (ww *winoWeights) dyTile(dy []float32, t int, zero []float32) (d00, d01, d10, d11 []float32) {
	g := &ww.g
	perImg := ww.th * ww.tw
	img, ty, tx := t/perImg, t%perImg/ww.tw, t%ww.tw
	oy, ox := 2*ty, 2*tx
	row := dy[((img*g.oh+oy)*g.ow+ox)*g.k:]
	d00, d01, d10, d11 = row[:g.k], zero, zero, zero
	if ox+1 < g.ow {
		d01 = row[g.k : 2*g.k]
	}
	if oy+1 < g.oh {
		d10 = row[g.ow*g.k : (g.ow+1)*g.k]
		if ox+1 < g.ow {
			d11 = row[(g.ow+1)*g.k : (g.ow+2)*g.k]
		}
	}
	return
}

// winoDyN writes one tile's dM = A dY AT, its last row and column
// negated: dst[e*se + k] is element e of channel k < len(d00). dY is
// [[d00, d01], [d10, d11]] (rows along H). One pass per row of dM keeps
// the pointers in registers.
func winoDyN(dst []float32, se int, d00, d01, d10, d11 []float32) {
	n := len(d00)
	d01, d10, d11 = d01[:n], d10[:n], d11[:n]
	// Row 0 of A dY: (y00, y01); row 3: (y10, y11).
	for a, src := range [2][2][]float32{{d00, d01}, {d10, d11}} {
		s0, s1 := src[0][:n], src[1][:n]
		o := dst[a*12*se:]
		o0, o1, o2, o3 := o[:n], o[se:][:n], o[2*se:][:n], o[3*se:][:n]
		for k := range n {
			c0, c1 := s0[k], s1[k]
			o0[k], o1[k], o2[k], o3[k] = c0, c0+c1, c0-c1, c1
		}
	}
	// Rows 1 and 2: (y00+y10, y01+y11) and (y00-y10, y01-y11).
	o := dst[4*se:]
	o0, o1, o2, o3 := o[:n], o[se:][:n], o[2*se:][:n], o[3*se:][:n]
	o = dst[8*se:]
	o4, o5, o6, o7 := o[:n], o[se:][:n], o[2*se:][:n], o[3*se:][:n]
	for k := range n {
		y00, y01, y10, y11 := d00[k], d01[k], d10[k], d11[k]
		c0, c1 := y00+y10, y01+y11
		o0[k], o1[k], o2[k], o3[k] = c0, c0+c1, c0-c1, c1
		c0, c1 = y00-y10, y01-y11
		o4[k], o5[k], o6[k], o7[k] = c0, c0+c1, c0-c1, c1
	}
}

// final writes the rows [klo, khi) of dw [K, C, 3, 3] = GT S G from the
// summed partial s of those rows (16 elements of (khi-klo)*ldc floats). With the dy transform's signs, S's last row
// and column are negated, so each side applies GT with its last column
// negated, (u0 + h, (u1-u2)/2, h - u3) with h = (u1+u2)/2: first down the
// columns of S into t [3][4][C] (rows of C channels, contiguous), then
// along the rows of t into dw.
func (ww *winoWeights) final(dw, s []float32, klo, khi int) {
	g := &ww.g
	n := g.c
	pe := (khi - klo) * ww.ldc
	Parallel(max(0, min(khi, g.k)-klo), max(1, 4096/(16*n)), func(lo, hi int) {
		tb := g.scratch(12 * n)
		defer putGemmBuf(tb)
		t := (*tb)[:12*n]
		for k := klo + lo; k < klo+hi; k++ {
			off := (k - klo) * ww.ldc
			for b := 0; b < 4; b++ {
				u0 := s[b*pe+off:][:n]
				u1 := s[(4+b)*pe+off:][:n]
				u2 := s[(8+b)*pe+off:][:n]
				u3 := s[(12+b)*pe+off:][:n]
				t0, t1, t2 := t[b*n:][:n], t[(4+b)*n:][:n], t[(8+b)*n:][:n]
				for c := range n {
					h := (u1[c] + u2[c]) * 0.5
					t0[c], t1[c], t2[c] = u0[c]+h, (u1[c]-u2[c])*0.5, h-u3[c]
				}
			}
			o := dw[k*n*9 : (k+1)*n*9]
			for r := 0; r < 3; r++ {
				t0, t1, t2, t3 := t[4*r*n:][:n], t[(4*r+1)*n:][:n], t[(4*r+2)*n:][:n], t[(4*r+3)*n:][:n]
				for c := range n {
					h := (t1[c] + t2[c]) * 0.5
					w := o[c*9+r*3 : c*9+r*3+3]
					w[0], w[1], w[2] = t0[c]+h, (t1[c]-t2[c])*0.5, h-t3[c]
				}
			}
		}
	})
}

// winogradWeights computes dw [K, C, 3, 3] of the 3x3 stride-1 convolution
// g from x [N, H, W, C] and dy [N, OutH, OutW, K] with micro-kernel mk
// (and tail for the last rows, see winoWeights.tail), F(2x2,3x3)
// transforms tr and the dy transform dyAsm (nil: winoDyN), over the
// worker pool.
func winogradWeights(mk, tail *microKernel, tr *winoTransforms, dyAsm func(dst []float32, ds int, src []float32, sa, sb, n int), dw, x, dy []float32, g convGeom) {
	// The blocks of tiles follow from the shape and weightsShares, never
	// from the number of threads, so that the sums do not depend on it.
	const shares = weightsShares
	ww := newWinoWeights(mk, tr, g, shares)
	rowTiles := ww.kpad / mk.mr
	// With few tiles per share, one block takes all tiles and the threads
	// split the rows of S (whole tiles of K) instead: each transforms all
	// input tiles but computes only its rows, in a partial of its own, with
	// no sum (each row's sum is the same for any split).
	ksplit := rowTiles >= shares && ww.tiles < winoKSplitTiles*shares
	if winoWeightsKSplit != 0 {
		ksplit = winoWeightsKSplit > 0 && rowTiles >= 2
	}
	if ksplit {
		ww = newWinoWeights(mk, tr, g, 1) // blocks for all tiles
	}
	ww.tail, ww.dyAsm = tail, dyAsm
	blocks := (ww.tiles + ww.tb - 1) / ww.tb
	nblk := min(shares, blocks, maxWeightsBlocks)
	if ksplit {
		nblk = min(Threads(), rowTiles, maxWeightsBlocks)
	}
	var res [maxWeightsBlocks]*[]float32
	var kLo [maxWeightsBlocks + 1]int // block b computes rows kLo[b] to kLo[b+1]
	for b := 0; b <= nblk; b++ {
		kLo[b] = ww.kpad
		if ksplit {
			kLo[b] = b * rowTiles / nblk * mk.mr
		}
	}
	Parallel(nblk, 1, func(lo, hi int) {
		bb := g.scratch(ww.bufLen())
		defer putGemmBuf(bb)
		for b := lo; b < hi; b++ {
			t0, t1 := b*blocks/nblk*ww.tb, min((b+1)*blocks/nblk*ww.tb, ww.tiles)
			klo, khi := 0, ww.kpad
			if ksplit {
				t0, t1, klo, khi = 0, ww.tiles, kLo[b], kLo[b+1]
			}
			n := 16 * (khi - klo) * ww.ldc
			ps := pairSum{n: n}
			ps.cur = g.scratch(n)
			clear((*ps.cur)[:n])
			ww.run(&ps, x, dy, t0, t1, klo, khi, *bb)
			res[b] = ps.finish()
		}
	})
	if ksplit {
		for b := 0; b < nblk; b++ {
			ww.final(dw, (*res[b])[:16*(kLo[b+1]-kLo[b])*ww.ldc], kLo[b], kLo[b+1])
			putGemmBuf(res[b])
		}
		return
	}
	// The blocks' sums, pairwise in a fixed order, split by ranges of the
	// partial.
	n := 16 * ww.pe
	if nblk > 1 {
		Parallel(n, 16384, func(lo, hi int) {
			for step := 1; step < nblk; step *= 2 {
				for b := 0; b+step < nblk; b += 2 * step {
					addInto((*res[b])[lo:hi], (*res[b+step])[lo:hi])
				}
			}
		})
	}
	ww.final(dw, (*res[0])[:n], 0, ww.kpad)
	for b := 0; b < nblk; b++ {
		putGemmBuf(res[b])
	}
}

// weightsWinograd runs backward-weights as F(2x2,3x3) Winograd when
// Winograd is on (SetWinograd), g is a 3x3 stride-1 convolution with
// padding at most 2, the impl has assembly transforms and
// winoWeightsWorth chooses it; it reports whether it did.
func (s *simdImpl) weightsWinograd(dw, x, dy []float32, g convGeom) bool {
	tr := winoFor(s, 2)
	if tr == nil || !winogradOn.Load() || !winoApplies(g) || !(winoForce || winoWeightsWorth(g, weightsShares)) {
		return false
	}
	mk := s.winoWeightsKernel(g)
	winogradWeights(mk, winoTailKernel(s.kernels, mk, g.k), tr, winoDyFor(s), dw, x, dy, g)
	return true
}

// winoTailKernel returns the kernel of kernels (nil if none) that computes
// the last k%mk.mr rows of a product in fewer rows than mk, with an nr
// that divides mk's.
func winoTailKernel(kernels []*microKernel, mk *microKernel, k int) *microKernel {
	r := k % mk.mr
	if r == 0 {
		return nil
	}
	var best *microKernel
	for _, t := range kernels {
		if t.mr < mk.mr && mk.nr%t.nr == 0 && roundUp(r, t.mr) < mk.mr && (best == nil || roundUp(r, t.mr) < roundUp(r, best.mr)) {
			best = t
		}
	}
	return best
}

// winoWeightsKernel returns the micro-kernel of the products
// S_e [K, C] = dM_e^T x V_e: the preferred one unless C fits a narrower
// tile (pick). (On 64 and 256 channels, 12x32 measured as fast as 6x16
// or faster, though 6x16 wastes fewer rows.)
func (s *simdImpl) winoWeightsKernel(g convGeom) *microKernel {
	if i := winoWeightsMK; i >= 0 {
		return s.kernels[min(i, len(s.kernels)-1)]
	}
	return s.pick(g.c)
}

// winoWeightsMK, when not negative, picks s.kernels[winoWeightsMK] (the
// last if there are fewer) for the products (tuning).
var winoWeightsMK = -1

// winoWeightsWorth is the rule that picks Winograd backward-weights over
// the direct path: 16 input and output channels or more, C*K >= 512, and
// 128 tiles or more per share (weightsShares, not threads: the choice
// must not depend on the thread count, as the two paths round
// differently). With C = K = 16 the transforms (16 floats of V and dM per
// tile and channel) cost what the products save; with fewer tiles the
// partial (16 elements of K x C per thread, 1.8x the weights) costs more
// to clear, sum and transform than the products save (512->512 @8x8 n4,
// 64 tiles, stays direct). Decided by the CPU time per call of
// BenchmarkWinogradWeights (avx512, direct against Winograd, one and two
// threads); the figures are in the message of the commit that took them
// out of this comment.
func winoWeightsWorth(g convGeom, shares int) bool {
	tiles := g.n * ((g.oh + 1) / 2) * ((g.ow + 1) / 2)
	return g.c >= 16 && g.k >= 16 && g.c*g.k >= 512 && tiles >= 128*shares
}
