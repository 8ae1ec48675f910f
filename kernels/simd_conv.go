package kernels

// SIMD convolution on NHWC without im2col: an implicit GEMM whose A
// operand is read straight from the input.
//
// The output [N*OutH*OutW, K] is cut into tiles of mr consecutive output
// positions x nr output channels. For kernel row r, the patch row of output
// position (n, oy, ox) is x[n, iy, ix0 .. ix0+S-1, 0 .. C-1] with
// iy = oy*StrideH - PadH + r*DilH and ix0 = ox*StrideW - PadW: with
// DilW == 1 these S*C floats are contiguous in NHWC, and the patch rows of
// mr positions along one output row are StrideW*C floats apart. So one
// micro-kernel call per (tile, r) with k = S*C and lda = StrideW*C reads x in
// place, against the weights packed once per call as [R][S*C][nr] panels
// (reduction order r, s, c). Tiles whose patch rows leave the image
// (padding), or that straddle two output rows, gather their patch rows
// into a small buffer instead, with zeros for padding; when S*C is too
// short for a call to pay (below minDirectK), every tile gathers whole
// R*S*C patches for one call.
//
// When output positions are few and weights many (at most K/2 positions),
// conv2DFewPositions swaps the roles: the weights are the A operand, read
// in place, and only the small patch matrix is gathered.
//
// A 1x1 stride-1 forward is one threaded Sgemm. Backward-data with stride
// 1 is the same convolution over dy with the weights flipped and
// transposed ([C, K, R-1-r, S-1-s]) and padding DilH*(R-1)-PadH; other
// strides (and few positions against many weights) run one GEMM into a
// column matrix and gather it into dx. Backward-weights is in
// simd_conv_weights.go.

// directConv is one convolution for the direct path: x [n, h, w, c] in,
// y [n, oh, ow, k] out, weights already packed by packConvB.
type directConv struct {
	g    convGeom
	wp   []float32 // [panels][R][S*C][nr]
	bias []float32 // [k] or nil
	// w, flip: when w is set, run() packs each panel itself, as packConvB
	// would, into one panel of its buffer just before using it, and
	// treats its tiles as one block.
	w    []float32
	flip bool
}

// minDirectK is the shortest S*C worth a micro-kernel call per kernel row;
// shorter rows pack whole R*S*C patches per tile instead. Measured on the
// stem (7x7 s2 @512, one core): row calls were 13-21% faster than whole
// patches for C = 1 (S*C = 7) and C = 3 (21).
const minDirectK = 4

// maxTileBlock is the most tiles run() keeps packed at once: for each weight
// panel it sweeps a block of tiles, so a panel is read from memory once per
// block.
const maxTileBlock = 16

// maxLazyTiles is the most tiles of a call whose panels run() packs itself
// (d.w set): they form one block, whose kernel-row flags run() keeps in an
// array of this size.
const maxLazyTiles = 128

// packConvB packs the weights into nr-wide panels in the reduction order
// (r, s, c): wp[jp][(r*S+s)*C+c][jj] is the weight from input channel c to
// output channel jp*nr+jj of g (zero beyond g.k). Without flip, w is
// [g.k, g.c, R, S] (Conv2D). With flip, w is [g.c, g.k, R, S] and the taps
// are mirrored: the backward-data convolution's weight from c to kk at tap
// (r, s) is w[c, kk, R-1-r, S-1-s]. Threads pack disjoint panels.
func packConvB(wp []float32, nr int, g convGeom, w []float32, flip bool) {
	rsc := g.r * g.s * g.c
	panels := (g.k + nr - 1) / nr
	Parallel(panels, max(1, 8192/(rsc*nr)), func(lo, hi int) {
		for jp := lo; jp < hi; jp++ {
			packConvPanel(wp[jp*rsc*nr:(jp+1)*rsc*nr], nr, g, w, flip, jp)
		}
	})
}

// packConvPanel packs panel jp of packConvB into pan (R*S*C*nr floats),
// one panel row (nv floats, sequential stores) at a time, gathered from
// weights in L1. (At 3x3 256->256 this took a third or more less time than four
// output channels at a time in (tap, c) order, whose panel rows fell out
// of L1 between visits.)
func packConvPanel(pan []float32, nr int, g convGeom, w []float32, flip bool, jp int) {
	rs := g.r * g.s
	rsc := rs * g.c
	k0 := jp * nr
	nv := min(nr, g.k-k0)
	if flip {
		// w[c, kk, R-1-r, S-1-s] for kk = k0..k0+nv-1: nv*R*S floats in a row.
		for c := 0; c < g.c; c++ {
			src := w[(c*g.k+k0)*rs : (c*g.k+k0+nv)*rs]
			for t := 0; t < rs; t++ {
				gatherStrided(pan[(t*g.c+c)*nr:(t*g.c+c)*nr+nv], src, rs-1-t, rs)
			}
		}
	} else {
		// w[k0+jj, c, r, s] for jj < nv: R*S*C floats apart; the nv
		// lines of one c serve all R*S taps while in L1.
		touchLines(w[k0*rsc : (k0+nv)*rsc]) // into cache as one stream first
		for c := 0; c < g.c; c++ {
			for t := 0; t < rs; t++ {
				gatherStrided(pan[(t*g.c+c)*nr:(t*g.c+c)*nr+nv], w, k0*rsc+c*rs+t, rsc)
			}
		}
	}
	if nv < nr {
		for q := 0; q < rsc; q++ {
			clear(pan[q*nr+nv : (q+1)*nr])
		}
	}
}

// gatherStrided sets d[j] = src[i+j*stride] for j < len(d).
func gatherStrided(d, src []float32, i, stride int) {
	if len(d) == 0 {
		return
	}
	_ = src[i+(len(d)-1)*stride]
	j := 0
	for ; j+4 <= len(d); j += 4 {
		d4 := (*[4]float32)(d[j : j+4])
		d4[0] = src[i]
		d4[1] = src[i+stride]
		d4[2] = src[i+2*stride]
		d4[3] = src[i+3*stride]
		i += 4 * stride
	}
	for ; j < len(d); j++ {
		d[j] = src[i]
		i += stride
	}
}

// tileBlock returns how many of n tiles run() packs at once: up to
// maxTileBlock, within 512 KiB of packed patches, half of L2 (3x3 256->256
// @16 gathers every tile: 11 tiles, 1.2 MB, a thread's share on two
// threads, spilled from L2 while each weight panel swept them).
func tileBlock(mr, rsc, n int) int {
	return clampInt((1<<17)/(mr*rsc), 1, min(n, maxTileBlock))
}

// run computes y for the tiles [t0, t1) and the weight panels [jp0, jp1)
// (output channels jp0*nr .. min(jp1*nr, K)-1) with micro-kernel mk; buf
// holds at least tileBlock(mr, R*S*C, t1-t0)*mr*R*S*C + mr*nr floats, or,
// when d.w is set (t1-t0 <= maxLazyTiles), (t1-t0)*mr*R*S*C + mr*nr +
// R*S*C*nr: the tiles' patches, a tile and one weight panel.
func (d *directConv) run(mk *microKernel, y, x []float32, t0, t1, jp0, jp1 int, buf []float32) {
	g := &d.g
	mr, nr := mk.mr, mk.nr
	sc := g.s * g.c
	rsc := g.r * sc
	k0, k1 := jp0*nr, min(jp1*nr, g.k)
	npos := g.n * g.oh * g.ow
	whole := sc < minDirectK // pack whole patches, one call per tile
	tb := tileBlock(mr, rsc, t1-t0)
	if d.w != nil {
		tb = t1 - t0
	}
	tmp := buf[tb*mr*rsc : tb*mr*rsc+mr*nr]
	var packed [maxLazyTiles]uint64 // bit r: kernel row r of the tile is in its buffer
	for b0 := t0; b0 < t1; b0 += tb {
		b1 := min(b0+tb, t1)
		clear(packed[:])
		// Full tiles start from the bias (or zero) over all their output
		// channels at once (with all K channels, mr rows of y are contiguous),
		// except those the kernel sets from the bias itself (fnBiasBlocks:
		// every kernel row read in place; partial panels go through tmp).
		for t := b0; t < b1; t++ {
			p0 := t * mr
			if npos-p0 < mr {
				continue
			}
			if _, ok := d.inPlace(x, p0, mr); ok && !whole && mk.fnBiasBlocks != nil {
				continue
			}
			if k0 == 0 && k1 == g.k {
				rows := y[p0*g.k : (p0+mr)*g.k]
				if d.bias == nil {
					clear(rows)
				} else {
					for i := 0; i < mr; i++ {
						copy(rows[i*g.k:(i+1)*g.k], d.bias)
					}
				}
				continue
			}
			for i := 0; i < mr; i++ {
				row := y[(p0+i)*g.k+k0 : (p0+i)*g.k+k1]
				if d.bias == nil {
					clear(row)
				} else {
					copy(row, d.bias[k0:k1])
				}
			}
		}
		for jp := jp0; jp < jp1; jp++ {
			j0 := jp * nr
			nv := min(nr, g.k-j0)
			var bp []float32
			if d.w != nil {
				bp = buf[tb*mr*rsc+mr*nr : tb*mr*rsc+mr*nr+rsc*nr]
				packConvPanel(bp, nr, *g, d.w, d.flip, jp)
			} else {
				bp = d.wp[jp*rsc*nr : (jp+1)*rsc*nr]
			}
			for t := b0; t < b1; t++ {
				pa := buf[(t-b0)*mr*rsc : (t-b0+1)*mr*rsc]
				p0 := t * mr
				mv := min(mr, npos-p0)
				ox0 := p0 % g.ow
				oy := (p0 / g.ow) % g.oh
				img := p0 / (g.ow * g.oh)
				oneRow := ox0+mv <= g.ow
				ix0 := ox0*g.sw - g.pw
				// Do the tile's columns stay inside the image for every r?
				colsIn := oneRow && mv == mr && g.dw == 1 && ix0 >= 0 && (ox0+mr-1)*g.sw-g.pw+g.s <= g.w
				full := mv == mr && nv == nr
				ct, ldc := y[p0*g.k+j0:], g.k
				if !full {
					// The temporary tile starts from the bias (or zero).
					ct, ldc = tmp, nr
					for i := 0; i < mr; i++ {
						row := ct[i*ldc : i*ldc+nr]
						if i >= mv {
							clear(row)
							continue
						}
						if d.bias != nil {
							copy(row[:nv], d.bias[j0:j0+nv])
						} else {
							clear(row[:nv])
						}
						clear(row[nv:])
					}
				}
				if whole {
					if packed[t-b0] == 0 {
						for i := 0; i < mv; i++ {
							d.packRows(pa[i*rsc:(i+1)*rsc], x, p0+i, 0, g.r)
						}
						clear(pa[mv*rsc:])
						packed[t-b0] = 1
					}
					mk.fn(rsc, pa, rsc, bp, nr, ct, ldc)
				} else if a, ok := d.inPlace(x, p0, mr); ok && mv == mr {
					// Every kernel row reads x in place: one call, which
					// sets a full tile from the bias where mk can.
					if full && mk.fnBiasBlocks != nil {
						var bias []float32
						if d.bias != nil {
							bias = d.bias[j0 : j0+nr]
						}
						mk.fnBiasBlocks(g.r, sc, g.dh*g.w*g.c, a, g.sw*g.c, bp, nr, bias, ct, ldc)
					} else {
						mk.fnBlocks(g.r, sc, g.dh*g.w*g.c, a, g.sw*g.c, bp, nr, ct, ldc)
					}
				} else {
					for r := 0; r < g.r; r++ {
						iy := oy*g.sh - g.ph + r*g.dh
						brow := bp[r*sc*nr : (r+1)*sc*nr]
						if colsIn && iy >= 0 && iy < g.h {
							a := x[((img*g.h+iy)*g.w+ix0)*g.c:]
							mk.fn(sc, a, g.sw*g.c, brow, nr, ct, ldc)
							continue
						}
						if oneRow && (iy < 0 || iy >= g.h) {
							continue // the whole tile reads padding in this row
						}
						pr := pa[r*mr*sc : (r+1)*mr*sc]
						if packed[t-b0]&(1<<r) == 0 {
							for i := 0; i < mv; i++ {
								d.packRows(pr[i*sc:(i+1)*sc], x, p0+i, r, r+1)
							}
							clear(pr[mv*sc:])
							packed[t-b0] |= 1 << r
						}
						mk.fn(sc, pr, sc, brow, nr, ct, ldc)
					}
				}
				if !full {
					for i := 0; i < mv; i++ {
						copy(y[(p0+i)*g.k+j0:(p0+i)*g.k+j0+nv], tmp[i*nr:i*nr+nv])
					}
				}
			}
		}
	}
}

// inPlace reports whether the tile of mr output positions from p0 can read
// every kernel row of its patches from x in place (one output row, all
// columns and rows of the window inside the image, no column dilation),
// and where its A starts in x.
func (d *directConv) inPlace(x []float32, p0, mr int) ([]float32, bool) {
	g := &d.g
	ox0 := p0 % g.ow
	oy := (p0 / g.ow) % g.oh
	img := p0 / (g.ow * g.oh)
	ix0, iy0 := ox0*g.sw-g.pw, oy*g.sh-g.ph
	if ox0+mr > g.ow || g.dw != 1 || ix0 < 0 || (ox0+mr-1)*g.sw-g.pw+g.s > g.w || iy0 < 0 || iy0+(g.r-1)*g.dh >= g.h {
		return nil, false
	}
	return x[((img*g.h+iy0)*g.w+ix0)*g.c:], true
}

// packRows writes the patch of output position p for kernel rows
// [r0, r1) into dst ((r1-r0)*S*C floats, order r, s, c; zeros for padding).
func (d *directConv) packRows(dst, x []float32, p, r0, r1 int) {
	g := &d.g
	sc := g.s * g.c
	ox := p % g.ow
	oy := (p / g.ow) % g.oh
	img := p / (g.ow * g.oh)
	ix0 := ox*g.sw - g.pw
	inside := g.dw == 1 && ix0 >= 0 && ix0+g.s <= g.w
	for r := r0; r < r1; r++ {
		seg := dst[(r-r0)*sc : (r-r0+1)*sc]
		iy := oy*g.sh - g.ph + r*g.dh
		if iy < 0 || iy >= g.h {
			clear(seg)
			continue
		}
		xrow := x[(img*g.h+iy)*g.w*g.c : (img*g.h+iy+1)*g.w*g.c]
		if inside {
			copy(seg, xrow[ix0*g.c:(ix0+g.s)*g.c])
			continue
		}
		for s := 0; s < g.s; s++ {
			ix := ix0 + s*g.dw
			if ix < 0 || ix >= g.w {
				clear(seg[s*g.c : (s+1)*g.c])
			} else {
				copy(seg[s*g.c:(s+1)*g.c], xrow[ix*g.c:(ix+1)*g.c])
			}
		}
	}
}

// convolve runs d over all tiles with the worker pool, in ranges of
// tiles that differ by at most one tile: one per thread when tiles are
// few (3x3 256->256 @16 has 22 tiles of 12 positions; chunks of
// ceil(22/8) = 3 gave one thread 12 tiles and the other 10), four per
// thread, claimed in turn, when there are many. If d.w is set, the weights
// are packed first, by all threads; or, on one thread when the weights
// outweigh the patches (K >= positions), panel by panel as run() uses
// them.
func (d *directConv) convolve(mk *microKernel, y, x []float32) {
	g := &d.g
	tiles := (g.n*g.oh*g.ow + mk.mr - 1) / mk.mr
	rsc := g.r * g.s * g.c
	panels := (g.k + mk.nr - 1) / mk.nr
	// A tile costs 2*mr*K*RSC flops; aim for >= ~1 Mflop per chunk.
	grain := max(1, (1<<20)/(2*mk.mr*g.k*rsc+1))
	t := Threads()
	if d.w != nil {
		if t == 1 && tiles <= maxLazyTiles && tiles*mk.mr*rsc <= 1<<21 && g.n*g.oh*g.ow <= g.k {
			// One thread, few tiles: each panel packed into L2 just
			// before use, for all tiles (256@16 on one core: 4-5% less
			// CPU time than packing all panels first). On two threads,
			// splitting the panels this way cost more (5% at 256@16,
			// 22% at 128@32): each thread gathers every tile.
			bb := g.scratch(tiles*mk.mr*rsc + mk.mr*mk.nr + rsc*mk.nr)
			defer putGemmBuf(bb)
			d.run(mk, y, x, 0, tiles, 0, panels, *bb)
			return
		}
		wb := g.scratch(panels * rsc * mk.nr)
		defer putGemmBuf(wb)
		packConvB(*wb, mk.nr, *g, d.w, d.flip)
		d = &directConv{g: d.g, wp: *wb, bias: d.bias}
	}
	chunks := min(tiles/grain, 4*t)
	if tiles < 32*t {
		chunks = min(tiles, t)
	}
	if t == 1 || chunks <= 1 {
		bb := g.scratch(tileBlock(mk.mr, rsc, tiles)*mk.mr*rsc + mk.mr*mk.nr)
		defer putGemmBuf(bb)
		d.run(mk, y, x, 0, tiles, 0, panels, *bb)
		return
	}
	Parallel(chunks, 1, func(lo, hi int) {
		bb := g.scratch(tileBlock(mk.mr, rsc, tiles/chunks+1)*mk.mr*rsc + mk.mr*mk.nr)
		defer putGemmBuf(bb)
		for i := lo; i < hi; i++ {
			d.run(mk, y, x, i*tiles/chunks, (i+1)*tiles/chunks, 0, panels, *bb)
		}
	})
}

func (s *simdImpl) conv2D(y, x, w, bias []float32, p ConvParams) bool {
	g := p.geom()
	if g.is1x1() {
		// A plain product: y [P, K] = x [P, C] x w^T + bias, one threaded
		// GEMM (the direct path's calls would have k = C only) that sets
		// each tile of y and adds the bias to it while it is in registers
		// or L1, instead of in passes over y before and after (a third
		// less time for 1x1 64->128 @64 with bias on one thread).
		gemmSIMD(s.pick(g.k), false, true, g.n*g.oh*g.ow, g.k, g.c, 1, x, g.c, w, g.c, 0, bias, y, g.k)
		return true
	}
	if s.conv2DWinograd(y, x, w, bias, g, false) {
		return true // 3x3 stride 1 where winoWorth picks Winograd
	}
	if p.R > 64 {
		return false // run() keeps a 64-bit mask of packed kernel rows
	}
	if 2*g.n*g.oh*g.ow <= g.k {
		s.conv2DFewPositions(y, x, w, bias, g)
		return true
	}
	mk := s.pick(g.k)
	d := directConv{g: g, bias: bias, w: w}
	d.convolve(mk, y, x)
	return true
}

// conv2DFewPositions is the forward convolution when output positions are
// few and weights many (at most K/2 positions: 3x3 512->512 @8x8 has 64
// positions and 2.4M weights). Repacking the weights into panels, a gather
// costing about as much as the products there, is avoided by making them
// the A operand of y^T [K, P] = w [K, C*R*S] x patches^T: w is read in
// place row-major (reduction order c, r, s), and the patches, P*C*R*S
// floats, K/P times fewer, are gathered straight into packed B panels
// (packedBIndex), one kc block at a time into L2 just before its product.
//
// Each thread computes a contiguous share of the output channels (its own
// rows of w, the bulk of the data) from patches it gathers itself, and
// writes those channels of y: nothing one thread wrote is read by another.
// When the patches were gathered once, a panel per thread, and read by
// all, 512->512 @8x8 on two threads was 15% slower when the host had put
// the vCPUs on different L3s (the same on one L3; in-process alternation,
// medians).
func (s *simdImpl) conv2DFewPositions(y, x, w, bias []float32, g convGeom) {
	npos := g.n * g.oh * g.ow
	rsc := g.r * g.s * g.c
	mk := s.pick(npos)
	nr, kc := mk.nr, min(blockingFor(mk).kc, rsc)
	np := roundUp(npos, nr)
	yb := g.scratch(g.k * npos)
	defer putGemmBuf(yb)
	f := fewPositions{g: g, mk: mk, x: x, w: w, bias: bias, y: y, yT: (*yb)[:g.k*npos],
		npos: npos, np: np, kc: kc}
	// With stride and dilation 1 and whole rows of 8 positions, a padded
	// copy of x lets every 8 positions of a tap be one 8x8-block transpose
	// (fewPad); otherwise the gather reads x at offsets computed here once,
	// and padding from zeros.
	f.pad = winoTranspose8 != nil && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.ow%8 == 0 && nr%8 == 0 && !fewPadOff
	if !f.pad {
		zb := g.scratch(g.c)
		defer putGemmBuf(zb)
		f.zeros = (*zb)[:g.c]
		clear(f.zeros)
		// Where each (tap, position) pixel starts in x, -1 for padding and
		// positions past the last (float64 scratch: exact, allocation-free).
		ob := getScratch64(g.r * g.s * np)
		defer putScratch64(ob)
		f.offs = (*ob)[:g.r*g.s*np]
		for t := 0; t < g.r*g.s; t++ {
			for p := 0; p < np; p++ {
				off := -1
				if p < npos {
					ox, oy, img := p%g.ow, (p/g.ow)%g.oh, p/(g.ow*g.oh)
					iy := oy*g.sh - g.ph + t/g.s*g.dh
					ix := ox*g.sw - g.pw + t%g.s*g.dw
					if iy >= 0 && iy < g.h && ix >= 0 && ix < g.w {
						off = ((img*g.h+iy)*g.w + ix) * g.c
					}
				}
				f.offs[t*np+p] = float64(off)
			}
		}
	}
	f.parts = min(Threads(), (g.k+mk.mr-1)/mk.mr)
	f.claims = newClaims(f.parts, f.parts)
	defer f.claims.release()
	parallelW(f.parts, 1, f.runW)
}

// fewPositions is the state of one conv2DFewPositions call shared by its
// threads.
type fewPositions struct {
	g            convGeom
	mk           *microKernel
	x, w, bias   []float32
	y, yT, zeros []float32 // zeros: C of them (no pad)
	offs         []float64 // pixel offsets (no pad)
	pad          bool      // gather from a padded copy of x (fewPad)
	npos, np, kc int
	parts        int // row shares, one per thread
	claims       *claims
}

// runW computes the shares worker wk claims.
func (f *fewPositions) runW(wk, _, _ int) {
	mt := (f.g.k + f.mk.mr - 1) / f.mk.mr
	for q := f.claims.claim(wk); q >= 0; q = f.claims.claim(wk) {
		f.rows(wk, q*mt/f.parts*f.mk.mr, min((q+1)*mt/f.parts*f.mk.mr, f.g.k))
	}
}

// rows computes output channels [i0, i1) on the calling thread (worker
// wk), in its own scratch: the patches a kc block at a time (and the
// padded copy of x), the product into rows [i0, i1) of yT, then those
// channels of every position of y.
func (f *fewPositions) rows(wk, i0, i1 int) {
	g, nr, kc, np, npos := f.g, f.mk.nr, f.kc, f.np, f.npos
	rsc := g.r * g.s * g.c
	pl, need := np*kc, np*kc
	if f.pad {
		need += fewPadLen(g)
	}
	wb := getWorkerBuf(wk, need)
	defer wb.put()
	var fp *fewPad
	if f.pad {
		v := fillFewPad(wb.f[pl:need], f.x, g)
		if nr%16 == 0 && !fewT16Off {
			v.t16 = f.mk.transpose16
		}
		fp = &v
	}
	for q0 := 0; q0 < rsc; q0 += kc {
		kcb := min(kc, rsc-q0)
		blk := wb.f[:np*kcb]
		for jp := 0; jp < np/nr; jp++ {
			fewPositionsPanel(blk, f.x, g, q0, kcb, nr, jp, f.offs, f.zeros, fp)
		}
		// Later blocks add onto the first: the order gemm's own kc loop
		// adds in.
		beta := float32(1)
		if q0 == 0 {
			beta = 0
		}
		gemmPackedBRows(f.mk, g.k, npos, kcb, i0, i1, f.w[q0:], rsc, blk, beta, f.yT, npos)
	}
	f.transposeOut(i0, i1)
	if f.bias != nil {
		b := f.bias[i0:i1]
		for p := 0; p < npos; p++ {
			out := f.y[p*g.k+i0 : p*g.k+i1]
			for k := range out {
				out[k] += b[k]
			}
		}
	}
}

// transposeOut writes output channels [i0, i1) of yT into y: 16 channels
// at a time with the micro-kernel's transpose16 (one store a position and
// 16 channels), the rest with transposeInto.
func (f *fewPositions) transposeOut(i0, i1 int) {
	k, npos := f.g.k, f.npos
	y, yT := f.y[i0:], f.yT[i0*npos:]
	n, m8 := i1-i0, npos&^7
	i := 0
	if t16 := f.mk.transpose16; t16 != nil && !fewT16Off && m8 > 0 {
		for ; i+16 <= n; i += 16 {
			t16(y[i:], k, yT[i*npos:], yT[(i+8)*npos:], npos, m8)
		}
		if m8 < npos && i > 0 {
			transposeInto(y[m8*k:], k, yT[m8:], npos, i, npos-m8)
		}
	}
	transposeInto(y[i:], k, yT[i*npos:], npos, n-i, npos)
}

// fewPositionsPanel gathers rows [q0, q0+kcb) of the patches of output
// positions jp*nr .. jp*nr+nr-1 (zeros beyond the last) into panel jp of
// pan, one kc block of the packed B of conv2DFewPositions (packedBIndex):
// element (q, j) is x at tap q%(R*S) of channel q/(R*S) for position
// jp*nr+j, 0 for padding. Per tap, four positions at a time: channel c of
// the four pixels fills four columns of panel row c*R*S+tap (nr is a
// multiple of 4). (Whole panel rows, from nr pixels C floats apart, were
// slower for C = 512: those pixels share L1 sets, which four do not
// overfill.) offs holds where each pixel starts in x ([R*S][positions
// rounded up to nr], -1: zeros), zeros C zeros. With fp (not nil), the
// pixels come from its padded copy of x instead, 8 positions at a time,
// and offs and zeros are not used.
func fewPositionsPanel(pan, x []float32, g convGeom, q0, kcb, nr, jp int, offs []float64, zeros []float32, fp *fewPad) {
	pan = pan[jp*kcb*nr : (jp+1)*kcb*nr]
	if fp != nil {
		fp.panel(pan, g, q0, kcb, nr, jp)
		return
	}
	rs := g.r * g.s
	np := len(offs) / rs
	zeros = zeros[:g.c]
	var src [4][]float32
	for t := 0; t < rs; t++ {
		// Channels c with q = c*rs + t in [q0, q0+kcb).
		c0 := max(0, (q0-t+rs-1)/rs)
		c1 := min(g.c, (q0+kcb-t+rs-1)/rs)
		if c0 >= c1 {
			continue
		}
		to := offs[t*np+jp*nr : t*np+jp*nr+nr]
		for j0 := 0; j0 < nr; j0 += 4 {
			for jj := range src {
				src[jj] = zeros[c0:c1]
				if off := int(to[j0+jj]); off >= 0 {
					src[jj] = x[off+c0 : off+c1]
				}
			}
			s0, s1, s2, s3 := src[0], src[1][:len(src[0])], src[2][:len(src[0])], src[3][:len(src[0])]
			d := (c0*rs+t-q0)*nr + j0
			step := rs * nr
			_ = pan[d+(len(s0)-1)*step+3]
			for c := range s0 {
				*(*[4]float32)(pan[d:]) = [4]float32{s0[c], s1[c], s2[c], s3[c]}
				d += step
			}
		}
	}
}

// fewPad is a copy of a convolution's input with its zero padding
// written out ([n][h+2ph][w+2pw][c]), from which fewPositionsPanel
// gathers 8 positions of one output row at a time as an 8x8-block
// transpose (winoTranspose8): with stride 1 their pixels lie c floats
// apart, padding included. The scalar gather, four positions at a time,
// was a tenth of 3x3 512->512 @8x8's time.
type fewPad struct {
	xp     []float32
	hp, wp int
	// t16, when not nil, gathers 16 positions at a time (the micro-kernel's
	// transpose16): each panel row's 16 floats one store.
	t16 func(dst []float32, ldd int, src0, src1 []float32, lds, q int)
}

// fewPadLen is the length of fewPad's copy of x.
func fewPadLen(g convGeom) int { return g.n * (g.h + 2*g.ph) * (g.w + 2*g.pw) * g.c }

// fillFewPad copies x into xp (fewPadLen floats) and returns the fewPad
// that reads it.
func fillFewPad(xp, x []float32, g convGeom) fewPad {
	hp, wp := g.h+2*g.ph, g.w+2*g.pw
	for img := 0; img < g.n; img++ {
		for iy := 0; iy < hp; iy++ {
			row := xp[(img*hp+iy)*wp*g.c : (img*hp+iy+1)*wp*g.c]
			y := iy - g.ph
			if y < 0 || y >= g.h {
				clear(row)
				continue
			}
			clear(row[:g.pw*g.c])
			copy(row[g.pw*g.c:(g.pw+g.w)*g.c], x[(img*g.h+y)*g.w*g.c:(img*g.h+y+1)*g.w*g.c])
			clear(row[(g.pw+g.w)*g.c:])
		}
	}
	return fewPad{xp: xp, hp: hp, wp: wp}
}

// panel fills panel jp of one kc block (pan, kcb*nr floats) as
// fewPositionsPanel does, from the padded copy.
func (fp *fewPad) panel(pan []float32, g convGeom, q0, kcb, nr, jp int) {
	rs := g.r * g.s
	npos := g.n * g.oh * g.ow
	step := rs * nr
	for t := 0; t < rs; t++ {
		c0 := max(0, (q0-t+rs-1)/rs)
		c1 := min(g.c, (q0+kcb-t+rs-1)/rs)
		if c0 >= c1 {
			continue
		}
		ty, tx := t/g.s, t%g.s
		q8 := (c1 - c0) &^ 7
		for j0 := 0; j0 < nr; j0 += 8 {
			d := (c0*rs+t-q0)*nr + j0
			p := jp*nr + j0
			if fp.t16 != nil && j0%16 == 0 && p+16 <= npos {
				// Positions p..p+7 and p+8..p+15: each a run of the padded
				// input, g.c floats apart.
				src0, src1 := fp.pixels(g, p, ty, tx, c0), fp.pixels(g, p+8, ty, tx, c0)
				if q8 > 0 {
					fp.t16(pan[d:], step, src0, src1, g.c, q8)
				}
				for c := q8; c < c1-c0; c++ {
					o := pan[d+c*step : d+c*step+16]
					for r := range 8 {
						o[r], o[8+r] = src0[r*g.c+c], src1[r*g.c+c]
					}
				}
				j0 += 8
				continue
			}
			if p >= npos { // positions past the last: zeros
				for c := c0; c < c1; c++ {
					clear(pan[d+(c-c0)*step : d+(c-c0)*step+8])
				}
				continue
			}
			src := fp.pixels(g, p, ty, tx, c0)
			if q8 > 0 {
				winoTranspose8(pan[d:], step, src, g.c, q8)
			}
			for c := q8; c < c1-c0; c++ {
				o := pan[d+c*step : d+c*step+8]
				for r := range o {
					o[r] = src[r*g.c+c]
				}
			}
		}
	}
}

// pixels returns the padded input from channel c0 of the pixel that tap
// (ty, tx) of output position p reads.
func (fp *fewPad) pixels(g convGeom, p, ty, tx, c0 int) []float32 {
	img, oy, ox := p/(g.oh*g.ow), p/g.ow%g.oh, p%g.ow
	return fp.xp[((img*fp.hp+oy+ty)*fp.wp+ox+tx)*g.c+c0:]
}

// fewT16Off turns the 16-position gather off (tests compare the two).
var fewT16Off bool

// fewPadOff turns the padded-copy gather off (tests compare the two).
var fewPadOff bool

// touchLines reads one float of every 64-byte line of v, in order, and
// returns their sum: it brings a panel's weights into cache as one
// sequential stream, which the prefetchers follow, before packConvPanel
// gathers from nv streams R*S*C floats apart at once (3x3 256->256 @16:
// 5-9% less CPU time on one and two threads).
// Not inlined, so that its loads are not dropped as unused.
//
//go:noinline
func touchLines(v []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+64 <= len(v); i += 64 {
		s0 += v[i]
		s1 += v[i+16]
		s2 += v[i+32]
		s3 += v[i+48]
	}
	return s0 + s1 + s2 + s3
}
