package kernels

import (
	"os"
	"sync/atomic"
)

// Winograd convolution F(mxm,3x3), m = 2 or 4 (Lavin & Gray,
// arXiv:1509.09308), for 3x3 kernels with stride 1 and dilation 1 on NHWC:
// each m x m block of outputs (a tile) is
// AT [sum over c of (G g G^T)[k,c] .* (BT d BT^T)[c]] AT^T with d the
// tile's a x a input window (a = m+2), so the ne = a*a elements of the
// transformed tiles are ne independent products
//
//	M_e [tiles, K] = V_e [tiles, C] x U_e [C, K],   e < ne,
//
// 9*m*m/ne fewer multiplications than the direct convolution (2.25x for
// F(2x2), 4x for F(4x4)), at the price of three transforms (input,
// weights, output) and, for F(4x4), float32 error a few times the direct
// sum's (see TestWinogradError).
//
// Layout: the weights are transformed once per call into U
// [ne][panels][C][nr], the nr-wide k-major panels a micro-kernel reads.
// Tiles run in blocks of tb (a multiple of mr, V and M of a block in about
// half of L2): the input transform writes V [ne][tb][ldv], the
// micro-kernel runs k = C per (e, mr tiles, panel) into M [ne][tb][ldm],
// and the output transform writes y (or, for tiles that stick out of the
// output, an m x m buffer copied in part). Input windows that leave the
// image (padding, tails) are gathered into a zero-padded a x a buffer
// first. Threads take whole blocks; each output is reduced in the same
// order whatever the thread count. Scratch comes from the free lists
// (getGemmBuf): a steady state allocates only Parallel's closures.

// winogradOn and winogradTile are the settings of SetWinograd and
// SetWinogradTile, initialised from LUNGO_WINOGRAD.
var (
	winogradOn   atomic.Bool
	winogradTile atomic.Int32
)

func init() {
	winogradTile.Store(winoDefaultTile)
	winogradOn.Store(true)
	switch os.Getenv("LUNGO_WINOGRAD") {
	case "0":
		winogradOn.Store(false)
	case "2":
		winogradTile.Store(2)
	case "4":
		winogradTile.Store(4)
	}
}

// SetWinograd turns the Winograd path of the SIMD convolutions on or off
// and returns the previous setting. It is on by default; the environment
// variable LUNGO_WINOGRAD=0 starts it off. Off, every convolution runs the
// direct path.
func SetWinograd(on bool) bool { return winogradOn.Swap(on) }

// SetWinogradTile sets the output tile of the Winograd path and returns
// the previous setting: 0 (the default) chooses per shape, F(2x2,3x3) from
// 32 input and output channels and F(4x4,3x3) below; 2 forces F(2x2,3x3)
// (2.25x fewer multiplications, float32 error no larger than the direct
// path's); 4 forces F(4x4,3x3) (4x fewer, 4-8x the direct path's RMS
// error). LUNGO_WINOGRAD=2 or 4 sets it at start-up. Other values panic.
func SetWinogradTile(m int) int {
	if m != 0 && m != 2 && m != 4 {
		panic("kernels: SetWinogradTile: tile must be 0, 2 or 4")
	}
	return int(winogradTile.Swap(int32(m)))
}

// winoDefaultTile is the tile setting unless set: per shape.
const winoDefaultTile = 0

// winoTransforms are the three tile transforms of F(4x4,3x3) over n
// channels; see kernels/asm.WinoInput4x4, WinoOutput4x4 and WinoWeight4x4
// for their exact contracts (any n here).
type winoTransforms struct {
	m   int // output tile side: 4 for F(4x4,3x3), 2 for F(2x2,3x3)
	in  func(dst []float32, ds int, src []float32, sa, sb, n int)
	out func(dst []float32, da, db int, src []float32, ss int, bias []float32, n int)
	wt  func(dst []float32, ds int, src []float32, sa, sb, n int)
}

// winoGo is the pure-Go reference of the transforms.
var (
	winoGo  = winoTransforms{m: 4, in: winoInputGo, out: winoOutputGo, wt: winoWeightGo}
	winoGo2 = winoTransforms{m: 2, in: winoInput2Go, out: winoOutput2Go, wt: winoWeight2Go}
)

// winoIn1D returns BT d.
func winoIn1D(d0, d1, d2, d3, d4, d5 float32) (t0, t1, t2, t3, t4, t5 float32) {
	t0 = d4 + 4*d0 - 5*d2
	t5 = d5 + 4*d1 - 5*d3
	t1 = (d4 + d3) - 4*(d1+d2)
	t2 = (d4 - d3) + 4*(d1-d2)
	t3 = (d4 - d2) + 2*(d3-d1)
	t4 = (d4 - d2) - 2*(d3-d1)
	return
}

// winoOut1D returns AT m.
func winoOut1D(m0, m1, m2, m3, m4, m5 float32) (o0, o1, o2, o3 float32) {
	s12, d12, s34, d34 := m1+m2, m1-m2, m3+m4, m3-m4
	return m0 + s12 + s34, d12 + 2*d34, s12 + 4*s34, m5 + d12 + 8*d34
}

// The float32 constants of G, as the assembly has them.
const (
	winoC4  float32 = 1.0 / 4
	winoC6  float32 = 1.0 / 6
	winoC24 float32 = 1.0 / 24
	winoC12 float32 = 1.0 / 12
	winoCm6 float32 = -1.0 / 6
)

// winoWt1D returns G g.
func winoWt1D(g0, g1, g2 float32) (u0, u1, u2, u3, u4, u5 float32) {
	s := g0 + g2
	p := g0*winoC24 + g2*winoC6
	return g0 * winoC4, (s + g1) * winoCm6, (g1 - s) * winoC6, p + g1*winoC12, p - g1*winoC12, g2
}

func winoInputGo(dst []float32, ds int, src []float32, sa, sb, n int) {
	var t [6][6]float32
	for c := 0; c < n; c++ {
		for b := 0; b < 6; b++ {
			e := src[b*sb+c:]
			t[0][b], t[1][b], t[2][b], t[3][b], t[4][b], t[5][b] = winoIn1D(e[0], e[sa], e[2*sa], e[3*sa], e[4*sa], e[5*sa])
		}
		for i := 0; i < 6; i++ {
			r := &t[i]
			v0, v1, v2, v3, v4, v5 := winoIn1D(r[0], r[1], r[2], r[3], r[4], r[5])
			o := dst[i*6*ds+c:]
			o[0], o[ds], o[2*ds], o[3*ds], o[4*ds], o[5*ds] = v0, v1, v2, v3, v4, v5
		}
	}
}

func winoOutputGo(dst []float32, da, db int, src []float32, ss int, bias []float32, n int) {
	var t [4][6]float32
	for c := 0; c < n; c++ {
		for b := 0; b < 6; b++ {
			e := src[b*ss+c:]
			t[0][b], t[1][b], t[2][b], t[3][b] = winoOut1D(e[0], e[6*ss], e[12*ss], e[18*ss], e[24*ss], e[30*ss])
		}
		for i := 0; i < 4; i++ {
			r := &t[i]
			o0, o1, o2, o3 := winoOut1D(r[0], r[1], r[2], r[3], r[4], r[5])
			o := dst[i*da+c:]
			bc := bias[c]
			o[0], o[db], o[2*db], o[3*db] = o0+bc, o1+bc, o2+bc, o3+bc
		}
	}
}

func winoWeightGo(dst []float32, ds int, src []float32, sa, sb, n int) {
	var t [6][3]float32
	for c := 0; c < n; c++ {
		for b := 0; b < 3; b++ {
			e := src[b*sb+c:]
			t[0][b], t[1][b], t[2][b], t[3][b], t[4][b], t[5][b] = winoWt1D(e[0], e[sa], e[2*sa])
		}
		for i := 0; i < 6; i++ {
			r := &t[i]
			u0, u1, u2, u3, u4, u5 := winoWt1D(r[0], r[1], r[2])
			o := dst[i*6*ds+c:]
			o[0], o[ds], o[2*ds], o[3*ds], o[4*ds], o[5*ds] = u0, u1, u2, u3, u4, u5
		}
	}
}

// F(2x2,3x3): BT = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
// G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1], AT = [1 1 1 0; 0 1 -1 -1].

func winoInput2Go(dst []float32, ds int, src []float32, sa, sb, n int) {
	var t [4][4]float32
	for c := 0; c < n; c++ {
		for b := 0; b < 4; b++ {
			e := src[b*sb+c:]
			d0, d1, d2, d3 := e[0], e[sa], e[2*sa], e[3*sa]
			t[0][b], t[1][b], t[2][b], t[3][b] = d0-d2, d1+d2, d2-d1, d1-d3
		}
		for i := 0; i < 4; i++ {
			r := &t[i]
			o := dst[i*4*ds+c:]
			o[0], o[ds], o[2*ds], o[3*ds] = r[0]-r[2], r[1]+r[2], r[2]-r[1], r[1]-r[3]
		}
	}
}

func winoOutput2Go(dst []float32, da, db int, src []float32, ss int, bias []float32, n int) {
	var t [2][4]float32
	for c := 0; c < n; c++ {
		for b := 0; b < 4; b++ {
			e := src[b*ss+c:]
			m0, m1, m2, m3 := e[0], e[4*ss], e[8*ss], e[12*ss]
			t[0][b], t[1][b] = m0+m1+m2, m1-m2-m3
		}
		for i := 0; i < 2; i++ {
			r := &t[i]
			o := dst[i*da+c:]
			o[0], o[db] = r[0]+r[1]+r[2]+bias[c], r[1]-r[2]-r[3]+bias[c]
		}
	}
}

func winoWeight2Go(dst []float32, ds int, src []float32, sa, sb, n int) {
	var t [4][3]float32
	wt := func(g0, g1, g2 float32) (u0, u1, u2, u3 float32) {
		s := g0 + g2
		return g0, (s + g1) * 0.5, (s - g1) * 0.5, g2
	}
	for c := 0; c < n; c++ {
		for b := 0; b < 3; b++ {
			e := src[b*sb+c:]
			t[0][b], t[1][b], t[2][b], t[3][b] = wt(e[0], e[sa], e[2*sa])
		}
		for i := 0; i < 4; i++ {
			r := &t[i]
			o := dst[i*4*ds+c:]
			o[0], o[ds], o[2*ds], o[3*ds] = wt(r[0], r[1], r[2])
		}
	}
}

// winoApplies reports whether g is a convolution F(4x4,3x3) computes:
// 3x3, stride 1, dilation 1, padding at most 2.
func winoApplies(g convGeom) bool {
	return g.r == 3 && g.s == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 &&
		g.ph <= 2 && g.pw <= 2
}

// winoConv is one Winograd convolution: x [n, h, w, c] in, y [n, oh, ow, k]
// out (g's view: for backward-data, c and k are the output and input
// channels of the forward convolution).
type winoConv struct {
	g        convGeom
	mk       *microKernel
	tr       *winoTransforms
	m, a, ne int       // output tile side, input tile side, a*a transformed elements
	u        []float32 // [ne][panels][c][nr]
	bias     []float32 // [k], zeros for none
	th, tw   int       // tiles per image column, row
	ldv, ldm int       // row strides of V and M
	tb       int       // tiles per block, a multiple of mr
	ve, me   int       // element strides of V and M (see elemStride)
}

// winoBlockBytes is what the V and M of a tile block may take: half of a
// 1 MiB L2.
const winoBlockBytes = 512 << 10

func newWinoConv(mk *microKernel, tr *winoTransforms, g convGeom) *winoConv {
	m := tr.m
	wc := &winoConv{g: g, mk: mk, tr: tr, m: m, a: m + 2, ne: (m + 2) * (m + 2),
		th: (g.oh + m - 1) / m, tw: (g.ow + m - 1) / m}
	panels := (g.k + mk.nr - 1) / mk.nr
	wc.ldv = packStride(g.c)
	wc.ldm = packStride(panels * mk.nr)
	tiles := g.n * wc.th * wc.tw
	wc.tb = clampInt(winoBlockBytes/(wc.ne*4*(wc.ldv+wc.ldm))/mk.mr*mk.mr, mk.mr, roundUp(tiles, mk.mr))
	wc.ve, wc.me = elemStride(wc.tb*wc.ldv), elemStride(wc.tb*wc.ldm)
	return wc
}

// elemStride returns the stride of the ne elements of a tile in a block
// buffer of n floats per element: n rounded up to 4 KiB plus one cache
// line, so that the ne vectors a transform reads or writes fall into ne
// different sets of L1 (a multiple of 4 KiB would put them all in one).
func elemStride(n int) int { return roundUp(n, 1024) + 16 }

// transformWeights fills u (ne*panels*C*nr floats) from w: [K, C, 3, 3]
// (Conv2D), or with flip, [C, K, 3, 3] mirrored (backward-data: the weight
// from c to kk at tap t is w[c, kk, 8-t]); g.c and g.k are this
// convolution's input and output channels.
func (wc *winoConv) transformWeights(u, w []float32, flip bool) {
	g := &wc.g
	nr := wc.mk.nr
	panels := (g.k + nr - 1) / nr
	kp := panels * nr
	se := panels * g.c * nr // stride of the ne elements in u
	wc.u = u[:wc.ne*se]
	// Groups of winoWtGroup input channels: their taps are gathered into
	// tmp [c][tap][kp] (channels past K zero), reading w sequentially, then
	// transformed nr output channels at a time.
	groups := (g.c + winoWtGroup - 1) / winoWtGroup
	ldt := kp + 16 // tmp's row stride: its rows one cache line apart in L1's sets
	Parallel(groups, max(1, 16384/(winoWtGroup*45*kp)), func(lo, hi int) {
		tb := getGemmBuf(winoWtGroup*9*ldt + wc.ne*(nr+16))
		defer putGemmBuf(tb)
		tmp, ut := (*tb)[:winoWtGroup*9*ldt], (*tb)[winoWtGroup*9*ldt:]
		clear(tmp)
		for gi := lo; gi < hi; gi++ {
			c0, c1 := gi*winoWtGroup, min((gi+1)*winoWtGroup, g.c)
			if flip {
				// w[c, kk, 8-t]: one run of K*9 floats per c.
				for c := c0; c < c1; c++ {
					src := w[c*g.k*9 : (c+1)*g.k*9]
					dst := tmp[(c-c0)*9*ldt:]
					for k := 0; k < g.k; k++ {
						sk := src[k*9 : k*9+9]
						for t := 0; t < 9; t++ {
							dst[t*ldt+k] = sk[8-t]
						}
					}
				}
			} else {
				// w[k, c0:c1, :]: one run of (c1-c0)*9 floats per k.
				q := (c1 - c0) * 9
				for k := 0; k < g.k; k++ {
					src := w[(k*g.c+c0)*9 : (k*g.c+c0)*9+q]
					for i, v := range src {
						tmp[i*ldt+k] = v
					}
				}
			}
			// Each panel row goes through ut (ne rows, one cache line
			// apart in L1's sets): transformed straight into u, whose
			// elements lie se floats (often a multiple of 4 KiB) apart,
			// the transform's read-back of its first pass would miss L1.
			// For each element, the group's rows of a panel are adjacent.
			for jp := 0; jp < panels; jp++ {
				for c := c0; c < c1; c++ {
					wc.tr.wt(ut, nr+16, tmp[(c-c0)*9*ldt+jp*nr:], 3*ldt, ldt, nr)
					for e := 0; e < wc.ne; e++ {
						copy(wc.u[e*se+(jp*g.c+c)*nr:e*se+(jp*g.c+c+1)*nr], ut[e*(nr+16):e*(nr+16)+nr])
					}
				}
			}
		}
	})
}

// winoWtGroup is how many input channels transformWeights gathers at once.
const winoWtGroup = 8

// bufLen returns the scratch floats one worker of run needs.
func (wc *winoConv) bufLen() int {
	return wc.ne*(wc.ve+wc.me) + wc.ne*wc.g.c + wc.m*wc.m*wc.g.k
}

// run computes the tiles [t0, t1) of y; buf holds bufLen() floats.
func (wc *winoConv) run(y, x []float32, t0, t1 int, buf []float32) {
	g := &wc.g
	mk := wc.mk
	mr, nr := mk.mr, mk.nr
	panels := (g.k + nr - 1) / nr
	tb, ldv, ldm := wc.tb, wc.ldv, wc.ldm
	ve, me := wc.ve, wc.me
	v, rest := buf[:wc.ne*ve], buf[wc.ne*ve:]
	m, rest := rest[:wc.ne*me], rest[wc.ne*me:]
	win, ot := rest[:wc.ne*g.c], rest[wc.ne*g.c:wc.ne*g.c+wc.m*wc.m*g.k]
	se := panels * g.c * nr
	perImg := wc.th * wc.tw
	for b0 := t0; b0 < t1; b0 += tb {
		nt := min(tb, t1-b0)
		ntr := roundUp(nt, mr)
		for t := b0; t < b0+nt; t++ {
			img, ty, tx := t/perImg, t%perImg/wc.tw, t%wc.tw
			iy0, ix0 := ty*wc.m-g.ph, tx*wc.m-g.pw
			src, sa, sb := x, g.w*g.c, g.c
			if iy0 >= 0 && ix0 >= 0 && iy0+wc.a <= g.h && ix0+wc.a <= g.w {
				src = x[((img*g.h+iy0)*g.w+ix0)*g.c:]
			} else {
				// Gather the window, zeros outside the image.
				clear(win)
				for a := max(0, -iy0); a < wc.a && iy0+a < g.h; a++ {
					b := max(0, -ix0)
					e := min(wc.a, g.w-ix0)
					if b >= e {
						continue
					}
					off := ((img*g.h+iy0+a)*g.w + ix0) * g.c
					copy(win[(a*wc.a+b)*g.c:(a*wc.a+e)*g.c], x[off+b*g.c:off+e*g.c])
				}
				src, sa, sb = win, wc.a*g.c, g.c
			}
			wc.tr.in(v[(t-b0)*ldv:], ve, src, sa, sb, g.c)
		}
		// Rows past the block's last tile feed only rows of M nobody reads;
		// zero them so they hold no NaNs or denormals.
		for e := 0; e < wc.ne && nt < ntr; e++ {
			clear(v[e*ve+nt*ldv : e*ve+ntr*ldv])
		}
		for e := 0; e < wc.ne; e++ {
			me0 := m[e*me : e*me+ntr*ldm]
			clear(me0)
			ue := wc.u[e*se : (e+1)*se]
			ve0 := v[e*ve:]
			for i0 := 0; i0 < ntr; i0 += mr {
				a := ve0[i0*ldv:]
				for jp := 0; jp < panels; jp++ {
					mk.fn(g.c, a, ldv, ue[jp*g.c*nr:(jp+1)*g.c*nr], nr, me0[i0*ldm+jp*nr:], ldm)
				}
			}
		}
		for t := b0; t < b0+nt; t++ {
			img, ty, tx := t/perImg, t%perImg/wc.tw, t%wc.tw
			oy0, ox0 := ty*wc.m, tx*wc.m
			off := ((img*g.oh+oy0)*g.ow + ox0) * g.k
			if oy0+wc.m <= g.oh && ox0+wc.m <= g.ow {
				wc.tr.out(y[off:], g.ow*g.k, g.k, m[(t-b0)*ldm:], me, wc.bias, g.k)
				continue
			}
			wc.tr.out(ot, wc.m*g.k, g.k, m[(t-b0)*ldm:], me, wc.bias, g.k)
			rows, cols := min(wc.m, g.oh-oy0), min(wc.m, g.ow-ox0)
			for i := 0; i < rows; i++ {
				copy(y[off+i*g.ow*g.k:off+(i*g.ow+cols)*g.k], ot[i*wc.m*g.k:(i*wc.m+cols)*g.k])
			}
		}
	}
}

// winogradConv computes y from x and w (see transformWeights for w and
// flip) with micro-kernel mk and transforms tr, over the worker pool.
// bias [g.k] may be nil.
func winogradConv(mk *microKernel, tr *winoTransforms, y, x, w, bias []float32, g convGeom, flip bool) {
	wc := newWinoConv(mk, tr, g)
	panels := (g.k + mk.nr - 1) / mk.nr
	ub := getGemmBuf(wc.ne*panels*g.c*mk.nr + g.k)
	defer putGemmBuf(ub)
	u, zb := (*ub)[:wc.ne*panels*g.c*mk.nr], (*ub)[wc.ne*panels*g.c*mk.nr:][:g.k]
	wc.transformWeights(u, w, flip)
	wc.bias = bias
	if bias == nil {
		clear(zb)
		wc.bias = zb
	}
	tiles := g.n * wc.th * wc.tw
	blocks := (tiles + wc.tb - 1) / wc.tb
	Parallel(blocks, 1, func(lo, hi int) {
		bb := getGemmBuf(wc.bufLen())
		defer putGemmBuf(bb)
		wc.run(y, x, lo*wc.tb, min(hi*wc.tb, tiles), *bb)
	})
}
