package kernels

// The generic convolution: im2col on NHWC + Sgemm, in tiles of output
// positions so that scratch memory stays bounded.
//
// Forward: output positions are the rows of an [N*OutH*OutW, K] matrix; a
// tile of them is gathered into a patch matrix [tile, R*S*C] (each row R*S
// contiguous C-long chunks of x, zeros for padding) and multiplied by the
// weights repacked once per call to [R*S*C, K].
//
// Backward-data with stride 1 is itself a convolution: of dy, padded by
// Dil*(R-1) - Pad, with the weights flipped in space and read as [C, K, R,
// S], so it runs the forward path (and its fast paths). Otherwise it gathers
// instead of scattering (no col2im, so no write conflicts between threads):
// for each input row and kernel tap (r, s), the input columns the tap
// reaches form an arithmetic progression with step StrideW, which read
// consecutive dy positions; one Sgemm per (row, tap) adds dy[.., K] x
// W_rs[K, C] into those dx cells (row stride StrideW*C).
//
// Backward-weights: per block of positions, dy^T x patch accumulated in
// float32 for at most convFlush positions, then added into a float64 partial
// per block; the blocks' partials are summed in order at the end.

// convGeom is a convolution with explicit output size (transposed
// convolutions reuse these kernels with the roles of x and y swapped, and
// their output padding can make OutH differ from ConvParams.OutH).
type convGeom struct {
	n, h, w, c, k, r, s    int
	sh, sw, ph, pw, dh, dw int
	oh, ow                 int
	sa                     ScratchArena // where big scratch may come from (ConvParams.Scratch)
}

// scratch returns n floats of scratch for a kernel working on g (see
// getScratchIn); give them back with putScratch.
func (g convGeom) scratch(n int) *[]float32 { return getScratchIn(g.sa, n) }

const (
	convTileFloats = 1 << 17 // target patch tile size: 512 KiB, half of L2
	convFlush      = 1024    // positions accumulated in float32 before a float64 flush
)

// convTile returns the number of output positions per im2col tile.
func convTile(rsc int) int { return min(2048, max(32, convTileFloats/rsc)) }

// packWeightsRSCK returns w [K, C, R, S] repacked as [R*S*C, K].
func packWeightsRSCK(w []float32, g convGeom) *[]float32 {
	rsc := g.r * g.s * g.c
	bp := g.scratch(rsc * g.k)
	wp := *bp
	Parallel(g.k, max(1, 4096/rsc), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			for c := 0; c < g.c; c++ {
				src := w[(k*g.c+c)*g.r*g.s:][:g.r*g.s]
				for rs, v := range src {
					wp[(rs*g.c+c)*g.k+k] = v
				}
			}
		}
	})
	return bp
}

// im2col writes the patch rows of output positions [p0, p1) into dst
// ([p1-p0, R*S*C]).
func im2col(dst, x []float32, g convGeom, p0, p1 int) {
	rsc, sc := g.r*g.s*g.c, g.s*g.c
	for p := p0; p < p1; p++ {
		ox := p % g.ow
		oy := (p / g.ow) % g.oh
		n := p / (g.ow * g.oh)
		row := dst[(p-p0)*rsc : (p-p0+1)*rsc]
		ix0 := ox*g.sw - g.pw
		inside := ix0 >= 0 && ix0+g.dw*(g.s-1) < g.w
		for r := 0; r < g.r; r++ {
			seg := row[r*sc : (r+1)*sc]
			iy := oy*g.sh - g.ph + r*g.dh
			if iy < 0 || iy >= g.h {
				clear(seg)
				continue
			}
			xrow := x[(n*g.h+iy)*g.w*g.c : (n*g.h+iy+1)*g.w*g.c]
			if inside && g.dw == 1 {
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
}

// is1x1 reports whether the convolution is a plain matrix product: each
// output position reads exactly the input position of the same index.
func (g convGeom) is1x1() bool {
	return g.r == 1 && g.s == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 && g.oh == g.h && g.ow == g.w
}

func conv2DGeneric(y, x, w, bias []float32, g convGeom) {
	rsc := g.r * g.s * g.c
	m := g.n * g.oh * g.ow
	bp := packWeightsRSCK(w, g)
	defer putScratch(bp)
	wp := *bp
	tile := convTile(rsc)
	Parallel(m, tile, func(lo, hi int) {
		var patch *[]float32
		if !g.is1x1() {
			patch = g.scratch(tile * rsc)
			defer putScratch(patch)
		}
		for t0 := lo; t0 < hi; t0 += tile {
			t1 := min(t0+tile, hi)
			a := x[t0*g.c:]
			if patch != nil {
				a = *patch
				im2col(a, x, g, t0, t1)
			}
			yt := y[t0*g.k : t1*g.k]
			Sgemm(false, false, t1-t0, g.k, rsc, 1, a, rsc, wp, g.k, 0, yt, g.k)
			if bias != nil {
				for i := 0; i < t1-t0; i++ {
					row := yt[i*g.k : (i+1)*g.k]
					for j, b := range bias {
						row[j] += b
					}
				}
			}
		}
	})
}

// floorDiv and ceilDiv divide rounding toward -inf and +inf (b > 0).
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int) int { return -floorDiv(-a, b) }

// params returns g as ConvParams and whether they describe the same
// convolution (ConvParams derive the output size; g states it).
func (g convGeom) params() (ConvParams, bool) {
	p := ConvParams{N: g.n, H: g.h, W: g.w, C: g.c, K: g.k, R: g.r, S: g.s,
		StrideH: g.sh, StrideW: g.sw, PadH: g.ph, PadW: g.pw, DilH: g.dh, DilW: g.dw, Scratch: g.sa}
	return p, p.OutH() == g.oh && p.OutW() == g.ow
}

// convForward runs the active implementation's Conv2D if it accepts g,
// else the generic one.
func convForward(y, x, w, bias []float32, g convGeom) {
	if f := Active().Conv2D; f != nil {
		if p, ok := g.params(); ok && f(y, x, w, bias, p) {
			return
		}
	}
	conv2DGeneric(y, x, w, bias, g)
}

// flipsToConv reports whether backward-data of g is a stride-1 convolution
// with non-negative padding.
func (g convGeom) flipsToConv() bool {
	return g.sh == 1 && g.sw == 1 && g.ph <= g.dh*(g.r-1) && g.pw <= g.dw*(g.s-1)
}

func conv2DBackwardDataGeneric(dx, dy, w []float32, g convGeom) {
	if g.flipsToConv() {
		// dx[iy, ix, c] = sum dy[iy+ph-r*dh, ix+pw-s*dw, k] w[k, c, r, s]:
		// with r' = R-1-r a correlation of dy padded by dh*(R-1)-ph.
		rs := g.r * g.s
		bp := g.scratch(len(w))
		defer putScratch(bp)
		wf := *bp // [C, K, R, S], flipped in space
		Parallel(g.k, max(1, 4096/(rs*g.c)), func(lo, hi int) {
			for k := lo; k < hi; k++ {
				for c := 0; c < g.c; c++ {
					src := w[(k*g.c+c)*rs : (k*g.c+c+1)*rs]
					dst := wf[(c*g.k+k)*rs : (c*g.k+k+1)*rs]
					for t, v := range src {
						dst[rs-1-t] = v
					}
				}
			}
		})
		convForward(dx, dy, wf, nil, convGeom{n: g.n, h: g.oh, w: g.ow, c: g.k, k: g.c, r: g.r, s: g.s,
			sh: 1, sw: 1, ph: g.dh*(g.r-1) - g.ph, pw: g.dw*(g.s-1) - g.pw, dh: g.dh, dw: g.dw, oh: g.h, ow: g.w})
		return
	}
	if g.c < 16 {
		conv2DBackwardDataRows(dx, dy, w, g)
		return
	}
	// w2 is w [K, C, R, S] repacked as [R*S][K][C].
	rs := g.r * g.s
	bp := g.scratch(rs * g.k * g.c)
	defer putScratch(bp)
	w2 := *bp
	Parallel(g.k, max(1, 4096/(rs*g.c)), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			for c := 0; c < g.c; c++ {
				for t, v := range w[(k*g.c+c)*rs : (k*g.c+c+1)*rs] {
					w2[(t*g.k+k)*g.c+c] = v
				}
			}
		}
	})
	rowLen := g.w * g.c
	Parallel(g.n*g.h, max(1, 8192/(rowLen*rs*g.k)), func(lo, hi int) {
		for row := lo; row < hi; row++ {
			n, iy := row/g.h, row%g.h
			dxrow := dx[row*rowLen : (row+1)*rowLen]
			clear(dxrow)
			for r := 0; r < g.r; r++ {
				oy, ok := g.tapRow(iy, r)
				if !ok {
					continue
				}
				dyrow := dy[(n*g.oh+oy)*g.ow*g.k : (n*g.oh+oy+1)*g.ow*g.k]
				for s := 0; s < g.s; s++ {
					// ix = ox*sw - pw + s*dw must lie in [0, W).
					off := s*g.dw - g.pw
					ox0 := max(0, ceilDiv(-off, g.sw))
					ox1 := min(g.ow-1, floorDiv(g.w-1-off, g.sw))
					if ox1 < ox0 {
						continue
					}
					ix0 := ox0*g.sw + off
					Sgemm(false, false, ox1-ox0+1, g.c, g.k, 1,
						dyrow[ox0*g.k:], g.k,
						w2[(r*g.s+s)*g.k*g.c:(r*g.s+s+1)*g.k*g.c], g.c,
						1, dxrow[ix0*g.c:], g.sw*g.c)
				}
			}
		}
	})
}

// tapRow returns the output row that kernel row r of input row iy belongs
// to, if any.
func (g convGeom) tapRow(iy, r int) (int, bool) {
	t := iy + g.ph - r*g.dh
	if t < 0 || t%g.sh != 0 || t/g.sh >= g.oh {
		return 0, false
	}
	return t / g.sh, true
}

// conv2DBackwardDataRows is backward-data for few input channels, where
// one Sgemm per tap would be C columns wide: per input row and kernel row
// r, one Sgemm computes dy_row [OutW, K] x W_r [K, S*C] into a scratch row
// (S*C columns), which is then added into the dx row (col2im of one row:
// the thread owns the row, so no conflicts).
func conv2DBackwardDataRows(dx, dy, w []float32, g convGeom) {
	rs, sc := g.r*g.s, g.s*g.c
	bp := g.scratch(g.r * g.k * sc)
	defer putScratch(bp)
	w3 := *bp // [R][K][S*C]
	for k := 0; k < g.k; k++ {
		for c := 0; c < g.c; c++ {
			for t, v := range w[(k*g.c+c)*rs : (k*g.c+c+1)*rs] {
				r, s := t/g.s, t%g.s
				w3[(r*g.k+k)*sc+s*g.c+c] = v
			}
		}
	}
	rowLen := g.w * g.c
	Parallel(g.n*g.h, max(1, 8192/(g.ow*g.r*g.k*sc)), func(lo, hi int) {
		tp := g.scratch(g.ow * sc)
		defer putScratch(tp)
		tmp := *tp
		for row := lo; row < hi; row++ {
			n, iy := row/g.h, row%g.h
			dxrow := dx[row*rowLen : (row+1)*rowLen]
			clear(dxrow)
			for r := 0; r < g.r; r++ {
				oy, ok := g.tapRow(iy, r)
				if !ok {
					continue
				}
				dyrow := dy[(n*g.oh+oy)*g.ow*g.k : (n*g.oh+oy+1)*g.ow*g.k]
				Sgemm(false, false, g.ow, sc, g.k, 1, dyrow, g.k, w3[r*g.k*sc:(r+1)*g.k*sc], sc, 0, tmp, sc)
				for ox := 0; ox < g.ow; ox++ {
					for s := 0; s < g.s; s++ {
						ix := ox*g.sw - g.pw + s*g.dw
						if ix < 0 || ix >= g.w {
							continue
						}
						d := dxrow[ix*g.c : (ix+1)*g.c]
						for c, v := range tmp[ox*sc+s*g.c : ox*sc+(s+1)*g.c] {
							d[c] += v
						}
					}
				}
			}
		}
	})
}

// weightsShares is the number of blocks of positions that backward-weights
// reductions (generic, direct SIMD and Winograd) split into, chosen without
// regard to Threads(): each block sums its share into a partial of its own
// and the partials are added in a fixed order, so dW is the same bit for bit
// on any number of threads (TestThreadCountIndependence; the deterministic
// training mode of package train rests on it). Shapes whose partial outweighs
// their input split the partial's rows between the threads instead, which
// changes no sum. 2 is what two threads used before: on two threads nothing
// changed, on one the second partial and its sum cost little (a partial is
// smaller than the input there); on more threads, position-split shapes keep
// two of them busy.
const weightsShares = 2

// convTileBW returns the positions per tile of backward-weights, where
// they are the Sgemm's reduction depth: longer than the forward tiles.
func convTileBW(rsc int) int { return min(2048, max(64, 4*convTileFloats/rsc)) }

func conv2DBackwardWeightsGeneric(dw, db, x, dy []float32, g convGeom) {
	rsc := g.r * g.s * g.c
	m := g.n * g.oh * g.ow
	if db != nil {
		sumRowsGeneric(db, dy, m, g.k)
	}
	if m == 0 {
		clear(dw)
		return
	}
	tile := convTileBW(rsc)
	// weightsShares blocks (float64 partials) of at least 256 positions (a
	// block's Sgemm depth), whatever the number of threads, so that dw does
	// not depend on it; a single block's im2col and Sgemm use all threads
	// instead.
	nblk := max(1, min(m/256, weightsShares))
	size := rsc * g.k
	accp := getScratch64(nblk * size)
	defer putScratch64(accp)
	acc := *accp
	Parallel(nblk, 1, func(blo, bhi int) {
		var patch *[]float32
		if !g.is1x1() {
			patch = g.scratch(tile * rsc)
			defer putScratch(patch)
		}
		pp := g.scratch(size)
		defer putScratch(pp)
		part := *pp
		for b := blo; b < bhi; b++ {
			a64 := acc[b*size : (b+1)*size]
			p0, p1 := b*m/nblk, (b+1)*m/nblk
			since := 0
			for t0 := p0; t0 < p1; t0 += tile {
				t1 := min(t0+tile, p1)
				a := x[t0*g.c:]
				if patch != nil {
					a = *patch
					if nblk == 1 {
						Parallel(t1-t0, 16, func(lo, hi int) {
							im2col(a[lo*rsc:hi*rsc], x, g, t0+lo, t0+hi)
						})
					} else {
						im2col(a, x, g, t0, t1)
					}
				}
				beta := float32(1)
				if since == 0 {
					beta = 0
				}
				// part [K, R*S*C] += dy_tile^T x patch: the transposed operand is
				// the narrow dy tile, the patch is read in its natural layout.
				Sgemm(true, false, g.k, rsc, t1-t0, 1, dy[t0*g.k:], g.k, a, rsc, beta, part, rsc)
				since += t1 - t0
				if since >= convFlush || t1 == p1 {
					for i, v := range part {
						a64[i] += float64(v)
					}
					since = 0
				}
			}
		}
	})
	// Sum the blocks and transpose [K, R*S, C] to [K, C, R, S].
	rs := g.r * g.s
	Parallel(g.k, max(1, 4096/(rsc*nblk)), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			for c := 0; c < g.c; c++ {
				for t := 0; t < rs; t++ {
					i := (k*rs+t)*g.c + c
					var s float64
					for b := 0; b < nblk; b++ {
						s += acc[b*size+i]
					}
					dw[(k*g.c+c)*rs+t] = float32(s)
				}
			}
		}
	})
}
