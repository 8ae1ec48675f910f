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
// [ne][panels][C][nr] (elements su floats apart), the nr-wide k-major
// panels a micro-kernel reads.
// Tiles run in blocks of at most tb (whole micro-panels of mr tiles, V
// and M of a block in about half of L2; their number a multiple of the
// threads, the larger first): the input transform writes V [ne][tb][ldv],
// the micro-kernel runs k = C per (e, mr tiles, panel) into M [ne][tb][ldm]
// (setting it where the micro-kernel has fnSet, else added to zeros),
// and the output transform writes y (or, for tiles that stick out of the
// output, an m x m buffer copied in part). Input windows that leave the
// image (padding, tails) are gathered into a zero-padded a x a buffer
// first. Threads claim one block at a time; each output is reduced in the
// same order whatever the thread count or schedule (convFew is the other).
// Scratch comes from the free lists (getGemmBuf): a steady state allocates
// only Parallel's closures and the block counter.

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

// winoTransforms are the three tile transforms of F(mxm,3x3) over n
// channels; see internal/asm.WinoInput4x4AVX2, WinoOutput4x4AVX2 and
// WinoWeight4x4AVX2 for their exact contracts (any n here).
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
	su       int       // element stride of U: elemStride(panels*c*nr)
}

// winoBlockBytes is what the V and M of a tile block may take: a quarter
// of a 1 MiB L2. Half of L2 measured the same on one thread and slower on
// two, all of it slower still (in-process A/B of four 3x3 shapes of the
// kernels suite, medians; figures in the commit message).
const winoBlockBytes = 256 << 10

func newWinoConv(mk *microKernel, tr *winoTransforms, g convGeom) *winoConv {
	m := tr.m
	wc := &winoConv{g: g, mk: mk, tr: tr, m: m, a: m + 2, ne: (m + 2) * (m + 2),
		th: (g.oh + m - 1) / m, tw: (g.ow + m - 1) / m}
	panels := (g.k + mk.nr - 1) / mk.nr
	wc.ldv = packStride(g.c)
	wc.ldm = packStride(panels * mk.nr)
	wc.tb = wc.blockTiles(wc.ldm)
	wc.su = elemStride(panels * g.c * mk.nr)
	return wc
}

// blockTiles returns how many tiles a block holds, a multiple of mr, for M
// rows ldm floats apart: V and M of a block within winoBlockBytes.
func (wc *winoConv) blockTiles(ldm int) int {
	mr := wc.mk.mr
	tiles := wc.g.n * wc.th * wc.tw
	return clampInt(winoBlockBytes/(wc.ne*4*(wc.ldv+ldm))/mr*mr, mr, roundUp(tiles, mr))
}

// elemStride returns the stride of the ne elements of a tile in a block
// buffer of n floats per element: n rounded up to 4 KiB plus one cache
// line, so that the ne vectors a transform reads or writes fall into ne
// different sets of L1 (a multiple of 4 KiB would put them all in one).
func elemStride(n int) int { return roundUp(n, 1024) + 16 }

// uLen returns the floats of U: ne elements of panels*C*nr, su apart.
func (wc *winoConv) uLen() int { return wc.ne * wc.su }

// transformWeights fills u (uLen floats) from w: [K, C, 3, 3] (Conv2D),
// or with flip, [C, K, 3, 3] mirrored (backward-data: the weight from c to
// kk at tap t is w[c, kk, 8-t]); g.c and g.k are this convolution's input
// and output channels.
func (wc *winoConv) transformWeights(u, w []float32, flip bool) {
	g := &wc.g
	nr := wc.mk.nr
	panels := (g.k + nr - 1) / nr
	wc.u = u[:wc.uLen()]
	// Items of one panel of nr output channels and up to winoWtGroup
	// input channels: their taps are gathered into tmp [c][tap][nr]
	// (channels past K zero) from nr runs of w (sequential reads), 8
	// output channels at a time (a transpose of 8 rows), then transformed
	// straight into u: its elements lie su floats apart, not a multiple of
	// 4 KiB, so the transform's read-back of its first pass hits L1.
	// Below about 64K weights a chunk, waking a helper costs more than it
	// saves (64->64 has 37K weights).
	groups := (g.c + winoWtGroup - 1) / winoWtGroup
	perItem := nr * min(g.c, winoWtGroup) * 9
	Parallel(panels*groups, (65536+perItem-1)/perItem, func(lo, hi int) {
		tb := g.scratch(winoWtGroup * 9 * nr)
		defer putGemmBuf(tb)
		tmp := (*tb)[:winoWtGroup*9*nr]
		for it := lo; it < hi; it++ {
			jp, c0 := it/groups, it%groups*winoWtGroup
			if it == lo || (jp+1)*nr > g.k {
				clear(tmp) // columns past K stay zero
			}
			wc.transformGroup(wc.u[jp*g.c*nr:], wc.su, w, flip, c0, min(c0+winoWtGroup, g.c), jp, jp+1, tmp, nr)
		}
	})
}

// transformGroup transforms the weights from input channels [c0, c1) to
// the output channels of panels [jp0, jp1) into
// u[e*su+((jp-jp0)*C+c)*nr : ...+nr]. tmp holds (c1-c0)*9*ldt floats,
// ldt >= (jp1-jp0)*nr; its columns from K-jp0*nr on must be zero.
func (wc *winoConv) transformGroup(u []float32, su int, w []float32, flip bool, c0, c1, jp0, jp1 int, tmp []float32, ldt int) {
	g := &wc.g
	nr := wc.mk.nr
	k0, k1 := jp0*nr, min(jp1*nr, g.k)
	if flip {
		// w[c, kk, 8-t]: one run of 9 floats per kk.
		for c := c0; c < c1; c++ {
			winoGatherFlip(tmp[(c-c0)*9*ldt:], ldt, w[(c*g.k+k0)*9:(c*g.k+k1)*9], k1-k0)
		}
	} else {
		// w[kk, c0:c1, :]: one run of (c1-c0)*9 floats per kk.
		transposeInto(tmp, ldt, w[k0*g.c*9+c0*9:], g.c*9, k1-k0, (c1-c0)*9)
	}
	for jp := jp0; jp < jp1; jp++ {
		for c := c0; c < c1; c++ {
			wc.tr.wt(u[((jp-jp0)*g.c+c)*nr:], su, tmp[(c-c0)*9*ldt+(jp-jp0)*nr:], 3*ldt, ldt, nr)
		}
	}
}

// transposeInto writes the first m columns of src [n rows, lds apart]
// transposed into dst: dst[j*ldd+i] = src[i*lds+j] for i < n, j < m. Rows
// go 8 at a time where ldd >= 8, as 8x8 blocks in assembly where there is
// winoTranspose8 (the Winograd weight gather of 3x3 128->128 @32x32 on two
// threads spent a visible share of its CPU time in the scalar loop), then
// 4 at a time (four loads in flight, one bounds check per four stores). It
// lays out the Winograd weight panels, the few-positions output, and the
// weights and row blocks of the backward convolutions.
func transposeInto(dst []float32, ldd int, src []float32, lds, n, m int) {
	i := 0
	for ; i+8 <= n && ldd >= 8; i += 8 {
		b := i * lds
		m8 := 0
		if winoTranspose8 != nil {
			m8 = m &^ 7
		}
		if m8 > 0 {
			winoTranspose8(dst[i:], ldd, src[b:], lds, m8)
		}
		s0 := src[b+m8 : b+m]
		s1 := src[b+lds+m8:][:len(s0)]
		s2 := src[b+2*lds+m8:][:len(s0)]
		s3 := src[b+3*lds+m8:][:len(s0)]
		s4 := src[b+4*lds+m8:][:len(s0)]
		s5 := src[b+5*lds+m8:][:len(s0)]
		s6 := src[b+6*lds+m8:][:len(s0)]
		s7 := src[b+7*lds+m8:][:len(s0)]
		for j := range s0 {
			d := (*[8]float32)(dst[(m8+j)*ldd+i:])
			d[0], d[1], d[2], d[3] = s0[j], s1[j], s2[j], s3[j]
			d[4], d[5], d[6], d[7] = s4[j], s5[j], s6[j], s7[j]
		}
	}
	for ; i+4 <= n && ldd >= 4; i += 4 {
		s0, s1 := src[i*lds:i*lds+m], src[(i+1)*lds:(i+1)*lds+m]
		s2, s3 := src[(i+2)*lds:(i+2)*lds+m], src[(i+3)*lds:(i+3)*lds+m]
		for j := range s0 {
			d := dst[j*ldd+i : j*ldd+i+4]
			d[0], d[1], d[2], d[3] = s0[j], s1[j], s2[j], s3[j]
		}
	}
	for ; i < n; i++ {
		for j, v := range src[i*lds : i*lds+m] {
			dst[j*ldd+i] = v
		}
	}
}

// winoTranspose8, where not nil, is asm.Transpose8AVX: q (a multiple of 8)
// columns of 8 rows, lds apart, into q rows, ldd >= 8 apart.
var winoTranspose8 func(dst []float32, ldd int, src []float32, lds, q int)

// winoGatherFlip sets dst[t*ldd+k] = src[k*9+8-t] for t < 9, k < kn.
func winoGatherFlip(dst []float32, ldd int, src []float32, kn int) {
	k := 0
	for ; k+8 <= kn; k += 8 {
		s := (*[72]float32)(src[k*9:])
		for t := 0; t < 9; t++ {
			d := (*[8]float32)(dst[t*ldd+k:])
			d[0], d[1], d[2], d[3] = s[8-t], s[17-t], s[26-t], s[35-t]
			d[4], d[5], d[6], d[7] = s[44-t], s[53-t], s[62-t], s[71-t]
		}
	}
	for ; k < kn; k++ {
		sk := src[k*9 : k*9+9]
		for t := 0; t < 9; t++ {
			dst[t*ldd+k] = sk[8-t]
		}
	}
}

// winoWtGroup is how many input channels transformWeights gathers at
// once: 128 with nr = 32 keep the gathered taps (tmp, 144 KiB) in L2.
const winoWtGroup = 128

// bufLen returns the scratch floats of tileBlocks over all K for one
// worker of winogradConv's tile blocks.
func (wc *winoConv) bufLen() int { return wc.tileBlocksLen(wc.tb, wc.ldm, wc.g.k) }

// inputTile writes the transformed input of tile t to dst (elements ds
// apart); win holds ne*C floats for windows that leave the image.
func (wc *winoConv) inputTile(dst []float32, ds int, x []float32, t int, win []float32) {
	g := &wc.g
	perImg := wc.th * wc.tw
	img, ty, tx := t/perImg, t%perImg/wc.tw, t%wc.tw
	iy0, ix0 := ty*wc.m-g.ph, tx*wc.m-g.pw
	if iy0 >= 0 && ix0 >= 0 && iy0+wc.a <= g.h && ix0+wc.a <= g.w {
		wc.tr.in(dst, ds, x[((img*g.h+iy0)*g.w+ix0)*g.c:], g.w*g.c, g.c, g.c)
		return
	}
	// Gather the window, zeros outside the image, cleared where outside
	// only (a quarter of 128->128 @32x32's tiles are on its border;
	// clearing only there measured faster in an in-process A/B).
	b, e := max(0, -ix0), min(wc.a, g.w-ix0)
	for a := range wc.a {
		row := win[a*wc.a*g.c : (a+1)*wc.a*g.c]
		if iy0+a < 0 || iy0+a >= g.h || b >= e {
			clear(row)
			continue
		}
		off := ((img*g.h+iy0+a)*g.w + ix0) * g.c
		clear(row[:b*g.c])
		copy(row[b*g.c:e*g.c], x[off+b*g.c:off+e*g.c])
		clear(row[e*g.c:])
	}
	wc.tr.in(dst, ds, win, wc.a*g.c, g.c, g.c)
}

// outputTile writes tile t of y from its products src (elements ss
// apart) plus the bias; ot holds m*m*K floats for tiles that stick out of
// the output.
func (wc *winoConv) outputTile(y, src []float32, ss, t int, ot []float32) {
	wc.outputTileRange(y, src, ss, t, ot, 0, wc.g.k)
}

// outputTileRange is outputTile for output channels [k0, k0+kn) only, src
// holding just those; ot holds m*m*kn floats.
func (wc *winoConv) outputTileRange(y, src []float32, ss, t int, ot []float32, k0, kn int) {
	g := &wc.g
	perImg := wc.th * wc.tw
	img, ty, tx := t/perImg, t%perImg/wc.tw, t%wc.tw
	oy0, ox0 := ty*wc.m, tx*wc.m
	off := ((img*g.oh+oy0)*g.ow+ox0)*g.k + k0
	if oy0+wc.m <= g.oh && ox0+wc.m <= g.ow {
		wc.tr.out(y[off:], g.ow*g.k, g.k, src, ss, wc.bias[k0:], kn)
		return
	}
	wc.tr.out(ot, wc.m*kn, kn, src, ss, wc.bias[k0:], kn)
	rows, cols := min(wc.m, g.oh-oy0), min(wc.m, g.ow-ox0)
	for i := 0; i < rows; i++ {
		if kn == g.k {
			copy(y[off+i*g.ow*g.k:off+(i*g.ow+cols)*g.k], ot[i*wc.m*g.k:(i*wc.m+cols)*g.k])
			continue
		}
		for j := 0; j < cols; j++ {
			copy(y[off+(i*g.ow+j)*g.k:off+(i*g.ow+j)*g.k+kn], ot[(i*wc.m+j)*kn:(i*wc.m+j+1)*kn])
		}
	}
}

// tileBlocks computes output channels [k0, k0+kn) of the tiles [t0, t1)
// of y, in blocks of at most tb tiles: their input transforms into V
// (rows ldv apart), the products of V with the np panels of transformed
// weights u (elements su apart) into M (rows ldm apart, ldm >= np*nr),
// and the output transforms. buf holds tileBlocksLen(tb, ldm, kn) floats.
func (wc *winoConv) tileBlocks(y, x []float32, t0, t1 int, u []float32, su, np, k0, kn, tb, ldm int, buf []float32) {
	g := &wc.g
	mk := wc.mk
	mr, nr := mk.mr, mk.nr
	ldv := wc.ldv
	ve, me := elemStride(tb*ldv), elemStride(tb*ldm)
	v, rest := buf[:wc.ne*ve], buf[wc.ne*ve:]
	m, rest := rest[:wc.ne*me], rest[wc.ne*me:]
	win, ot := rest[:wc.ne*g.c], rest[wc.ne*g.c:wc.ne*g.c+wc.m*wc.m*kn]
	se := np * g.c * nr
	for b0 := t0; b0 < t1; b0 += tb {
		nt := min(tb, t1-b0)
		ntr := roundUp(nt, mr)
		for t := b0; t < b0+nt; t++ {
			wc.inputTile(v[(t-b0)*ldv:], ve, x, t, win)
		}
		// Rows past the block's last tile feed only rows of M nobody reads;
		// zero them so they hold no NaNs or denormals.
		for e := 0; e < wc.ne && nt < ntr; e++ {
			clear(v[e*ve+nt*ldv : e*ve+ntr*ldv])
		}
		for e := 0; e < wc.ne; e++ {
			me0 := m[e*me : e*me+ntr*ldm]
			if mk.fnSet == nil && mk.fnSetTiles == nil {
				clear(me0)
			}
			winoProducts(mk, g.c, v[e*ve:], ldv, nt, u[e*su:e*su+se], np, me0, ldm)
		}
		for t := b0; t < b0+nt; t++ {
			wc.outputTileRange(y, m[(t-b0)*ldm:], me, t, ot, k0, kn)
		}
	}
}

// tileBlocksLen returns the scratch floats of tileBlocks.
func (wc *winoConv) tileBlocksLen(tb, ldm, kn int) int {
	return wc.ne*(elemStride(tb*wc.ldv)+elemStride(tb*ldm)) + wc.ne*wc.g.c + wc.m*wc.m*kn
}

// winoProducts computes rows [0, n) of c (ldc apart) as winoRows does,
// mr rows at a time, for np panels of b: the full row tiles in one
// fnSetTiles call where mk has one (3x3 16->16 @256x256 spent a fifth of
// its time in Go around per-tile calls with k = 16), the last rows by
// winoRows. a has n rows rounded up to mr (lda apart), those past n zero,
// and c as many.
func winoProducts(mk *microKernel, k int, a []float32, lda, n int, b []float32, np int, c []float32, ldc int) {
	i0 := 0
	if mk.fnSetTiles != nil {
		if rt := n / mk.mr; rt > 0 {
			mk.fnSetTiles(k, a, lda, rt, b, mk.nr, k*mk.nr, np, nil, c, ldc)
			i0 = rt * mk.mr
		}
	}
	for ; i0 < n; i0 += mk.mr {
		winoRows(mk, k, a[i0*lda:], lda, min(mk.mr, n-i0), b, np, c[i0*ldc:], ldc)
	}
}

// winoRows computes rows [0, rows) of c (rows <= mr, ldc apart) as
// winoProduct does for np panels of b (k*nr floats apart, each k x nr) into
// columns jp*nr of c: all mr rows, or, where mk has a tail kernel and rows
// < mr, only rows rounded up to mk.mrTail (a 3x3 256->256 @16x16 Winograd
// product has 64 tiles: 5 tiles of 12 rows and 4 rows, rather than 72).
// a has mr rows (lda apart), those past rows zero. The rows computed round
// alike either way, and as by mk.fnSetTiles (one call for all the panels
// where mk has it; it sets C, so callers clear c only where mk has neither
// fnSet nor fnSetTiles).
func winoRows(mk *microKernel, k int, a []float32, lda, rows int, b []float32, np int, c []float32, ldc int) {
	nr := mk.nr
	if rows < mk.mr && mk.fnSetTail != nil {
		for r := 0; r < rows; r += mk.mrTail {
			for jp := 0; jp < np; jp++ {
				mk.fnSetTail(k, a[r*lda:], lda, b[jp*k*nr:(jp+1)*k*nr], nr, nil, c[r*ldc+jp*nr:], ldc)
			}
		}
		return
	}
	if mk.fnSetTiles != nil {
		mk.fnSetTiles(k, a, lda, 1, b, nr, k*nr, np, nil, c, ldc) // as fnSet panel by panel
		return
	}
	for jp := 0; jp < np; jp++ {
		winoProduct(mk, k, a, lda, b[jp*k*nr:(jp+1)*k*nr], c[jp*nr:], ldc)
	}
}

// winoProduct sets (mk.fnSet) or, where mk has none, adds to c (mr rows,
// ldc apart) the product of mr rows of a (lda apart) and the k x nr panel
// b: callers clear c first when mk.fnSet is nil. Both round alike.
func winoProduct(mk *microKernel, k int, a []float32, lda int, b, c []float32, ldc int) {
	if mk.fnSet != nil {
		mk.fnSet(k, a, lda, b, mk.nr, nil, c, ldc)
		return
	}
	mk.fn(k, a, lda, b, mk.nr, c, ldc)
}

// runPanels computes the output channels of panels [jp0, jp1) of every
// tile on the calling thread, from weights it transforms itself into a U of
// its own: threads that split a convolution this way (winogradConv's
// panel split) write no data another reads, each transforming all input
// tiles itself, where tile blocks have every thread read the whole of a U
// that all threads wrote (see winoPanelSplit for when it pays: with few
// tiles, faster on two threads whether or not the vCPUs shared an L3).
// Each output sums in the same order as in the tile blocks. wk is the worker that runs it (parallelW).
func (wc *winoConv) runPanels(y, x, w []float32, flip bool, jp0, jp1, wk int) {
	g := &wc.g
	nr := wc.mk.nr
	np := jp1 - jp0
	k0 := jp0 * nr
	kn := min(jp1*nr, g.k) - k0
	tiles := g.n * wc.th * wc.tw
	ldm := packStride(np * nr)
	tb := wc.blockTiles(ldm)
	b := getWorkerBuf(wk, wc.panelWeightsLen(np)+wc.tileBlocksLen(tb, ldm, kn))
	defer b.put()
	up, sup, rest := wc.panelWeights(w, flip, jp0, jp1, b.f)
	wc.tileBlocks(y, x, 0, tiles, up, sup, np, k0, kn, tb, ldm, rest)
}

// panelWeightsLen returns the scratch floats of panelWeights for np panels.
func (wc *winoConv) panelWeightsLen(np int) int {
	nr := wc.mk.nr
	return wc.ne*elemStride(wc.g.c*np*nr) + winoWtGroup*9*nr
}

// panelWeights transforms the weights of panels [jp0, jp1) alone into a U
// at the front of buf ([ne][jp1-jp0][C][nr], elements sup apart) and
// returns it, sup, and the rest of buf (panelWeightsLen(jp1-jp0) floats
// are used). Panel by panel and winoWtGroup input channels at a time, as
// transformWeights: the gather then reads 8 rows of w at a time over
// winoWtGroup*9 floats each, where 8 channels of all the panels' rows at
// once (128 rows, 288 bytes each) left the prefetchers behind (slower at
// 256->256 @16x16 on two threads, in-process A/B).
func (wc *winoConv) panelWeights(w []float32, flip bool, jp0, jp1 int, buf []float32) (up []float32, sup int, rest []float32) {
	g := &wc.g
	nr := wc.mk.nr
	sup = elemStride(g.c * (jp1 - jp0) * nr)
	tl := winoWtGroup * 9 * nr
	up, tmp, rest := buf[:wc.ne*sup], buf[wc.ne*sup:wc.ne*sup+tl], buf[wc.ne*sup+tl:]
	for jp := jp0; jp < jp1; jp++ {
		for c0 := 0; c0 < g.c; c0 += winoWtGroup {
			if c0 == 0 && (jp+1)*nr > g.k {
				clear(tmp) // columns past K stay zero
			}
			wc.transformGroup(up[(jp-jp0)*g.c*nr:], sup, w, flip, c0, min(c0+winoWtGroup, g.c), jp, jp+1, tmp, nr)
		}
	}
	return up, sup, rest
}

// convFew is winogradConv's schedule for few tiles and many channels, in
// three parallel steps: the input transforms of all tiles into V
// [ne][rows][ldv]; per thread, one range of panels of output channels:
// their weight transform (its own U [ne][panels][C][nr]) and, element by
// element, its products with all of V_e (in L2) into M [ne][rows][ldm],
// so each thread reads its part of U once; the output transforms of all
// tiles. Each output sums in
// the same order as in the tile blocks, whatever the thread count.
func (wc *winoConv) convFew(y, x, w []float32, flip bool) {
	g := &wc.g
	mk := wc.mk
	mr, nr := mk.mr, mk.nr
	panels := (g.k + nr - 1) / nr
	tiles := g.n * wc.th * wc.tw
	rows := roundUp(tiles, mr)
	ldv, ldm := wc.ldv, wc.ldm
	ve, me := elemStride(rows*ldv), elemStride(rows*ldm)
	vb := g.scratch(wc.ne * (ve + me))
	defer putGemmBuf(vb)
	v, m := (*vb)[:wc.ne*ve], (*vb)[wc.ne*ve:wc.ne*(ve+me)]
	grain := max(1, 4096/(wc.ne*max(g.c, g.k)))
	Parallel(tiles, grain, func(lo, hi int) {
		wb := g.scratch(wc.ne * g.c)
		defer putGemmBuf(wb)
		for t := lo; t < hi; t++ {
			wc.inputTile(v[t*ldv:], ve, x, t, *wb)
		}
		for e := 0; e < wc.ne && mk.fnSet == nil && mk.fnSetTiles == nil; e++ {
			clear(m[e*me+lo*ldm : e*me+hi*ldm])
		}
	})
	// Rows past the last tile: zero, as in tileBlocks.
	for e := 0; e < wc.ne; e++ {
		clear(v[e*ve+tiles*ldv : e*ve+rows*ldv])
		clear(m[e*me+tiles*ldm : e*me+rows*ldm])
	}
	// One range of panels per thread.
	Parallel(panels, (panels+Threads()-1)/Threads(), func(lo, hi int) {
		np := hi - lo
		ub := g.scratch(wc.panelWeightsLen(np))
		defer putGemmBuf(ub)
		up, sup, _ := wc.panelWeights(w, flip, lo, hi, *ub)
		for e := 0; e < wc.ne; e++ {
			ue := up[e*sup : e*sup+g.c*np*nr]
			winoProducts(mk, g.c, v[e*ve:], ldv, tiles, ue, np, m[e*me+lo*nr:], ldm)
		}
	})
	Parallel(tiles, grain, func(lo, hi int) {
		ob := g.scratch(wc.m * wc.m * g.k)
		defer putGemmBuf(ob)
		for t := lo; t < hi; t++ {
			wc.outputTile(y, m[t*ldm:], me, t, *ob)
		}
	})
}

// winogradConv computes y from x and w (see transformWeights for w and
// flip) with micro-kernel mk and transforms tr, over the worker pool.
// bias [g.k] may be nil.
func winogradConv(mk *microKernel, tr *winoTransforms, y, x, w, bias []float32, g convGeom, flip bool) {
	wc := newWinoConv(mk, tr, g)
	few := winoSchedule == 2
	t := Threads()
	tiles := g.n * wc.th * wc.tw
	panels := (g.k + mk.nr - 1) / mk.nr
	split := winoSchedule == 3 || winoSchedule == 0 && winoPanelSplit(t, panels, tiles, g.k) && !winoOwnWeights(g, tiles)
	own := !few && !split && t > 1 && winoOwnWeights(g, tiles)
	ul := wc.uLen()
	if few || split || own {
		ul = 0 // a U per thread
	}
	ub := g.scratch(ul + g.k)
	defer putGemmBuf(ub)
	wc.bias = bias
	if bias == nil {
		zb := (*ub)[ul:][:g.k]
		clear(zb)
		wc.bias = zb
	}
	if few {
		wc.convFew(y, x, w, flip)
		return
	}
	if split {
		// Worker i computes panel range i (claims), so that it writes the
		// same output channels on every call.
		t = min(t, panels)
		cl := newClaims(t, t)
		defer cl.release()
		parallelW(t, 1, func(wk, _, _ int) {
			for i := cl.claim(wk); i >= 0; i = cl.claim(wk) {
				wc.runPanels(y, x, w, flip, i*panels/t, (i+1)*panels/t, wk)
			}
		})
		return
	}
	if !own {
		wc.transformWeights((*ub)[:ul], w, flip)
	}
	// Blocks of whole micro-panels of mr tiles (at most tb tiles), their
	// number a multiple of the threads, the larger first; each thread
	// claims one block at a time, from its own share first (claims: on two
	// threads faster than claims from one counter, by most with the vCPUs
	// on two L3s).
	units, maxUnits := (tiles+mk.mr-1)/mk.mr, wc.tb/mk.mr
	blocks := min(units, roundUp((units+maxUnits-1)/maxUnits, t))
	q, r := units/blocks, units%blocks
	cl := newClaims(blocks, t)
	defer cl.release()
	parallelW(t, 1, func(wk, _, _ int) {
		n := wc.bufLen()
		if own {
			n += wc.panelWeightsLen(panels)
		}
		b := getWorkerBuf(wk, n)
		defer b.put()
		u, su, buf := wc.u, wc.su, b.f
		if own {
			u, su, buf = wc.panelWeights(w, flip, 0, panels, buf)
		}
		for {
			b := cl.claim(wk)
			if b < 0 {
				return
			}
			u0 := b*q + min(b, r)
			u1 := u0 + q
			if b < r {
				u1++
			}
			wc.tileBlocks(y, x, u0*mk.mr, min(u1*mk.mr, tiles), u, su, panels, 0, g.k, wc.tb, wc.ldm, buf)
		}
	})
}

// winoOwnWeights says whether each thread of a tile-block convolution
// with tiles tiles transforms all the weights into a U of its own rather
// than sharing one (with several threads), and whether that beats the
// panel split (winoPanelSplit): with few weights, at most
// winoOwnWeightsMax, and at least 2*K tiles. A shared U is written by one
// thread and read by all on every call; the panel split gives each thread
// a fixed half of the output channels, so the slower of two vCPUs sets
// its pace (and with an odd number of panels one thread has more). In
// two-thread in-process A/Bs (medians, vCPUs on one L3 and on two) a U of
// each thread's own beat a shared U (64->64 @64x64) and the panel split
// (64 to 128 channels @32x32), by most when the vCPUs were on two L3s; at
// 16x16 the duplicated transform cost more than the balance gained, hence
// the bounds.
func winoOwnWeights(g convGeom, tiles int) bool {
	return g.c*g.k*9 <= winoOwnWeightsMax && tiles >= 2*g.k
}

// winoOwnWeightsMax is the most weights winoOwnWeights lets each thread
// transform for itself (128->128 has 147K).
const winoOwnWeightsMax = 1 << 18

// winoSchedule picks the schedule (tests, benchmarks): 0 chooses between
// tile blocks and the panel split (winoPanelSplit), 1 is tile blocks
// (tileBlocks), 2 convFew, 3 the panel split (runPanels). convFew reads U once
// per thread where tile blocks read it once per block, but it measured no
// faster: on one thread tile blocks re-read U from L3 at full speed
// (hardware prefetch of sequential panels) and convFew costs more CPU
// time (V and M of all tiles in L3, three parallel steps); see
// BenchmarkWinogradSchedule.
var winoSchedule int

// winoPanelSplit says whether threads split a Winograd convolution by output
// channels (runPanels) rather than by tiles: with several threads, at
// least one panel each, and at most 4 tiles per output channel (the
// transformed weights, C*K per element, then outweigh the input transform
// each thread repeats, C per tile). Decided by BenchmarkWinogradSchedule
// on two threads: the panel split won up to 2 F(2x2) tiles per output
// channel and lost from 16 (against tile blocks with a shared U; with few
// weights and enough tiles winogradConv now prefers tile blocks with a U
// per thread, see winoOwnWeights).
func winoPanelSplit(threads, panels, tiles, k int) bool {
	return threads > 1 && panels >= threads && tiles <= 4*k
}
