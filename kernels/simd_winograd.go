package kernels

// conv2DWinograd runs a convolution (forward, or with flip the stride-1
// backward-data; see winoConv.transformWeights) as Winograd F(4x4,3x3)
// when it is on (SetWinograd), the transforms have assembly, and
// winoWorth chooses it; it reports whether it did.
func (s *simdImpl) conv2DWinograd(y, x, w, bias []float32, g convGeom, flip bool) bool {
	tr := winoFor(s, int(winogradTile.Load()))
	if tr == nil || !winogradOn.Load() || !winoApplies(g) || !(winoForce || winoWorth(g, tr.m)) {
		return false
	}
	winogradConv(s.pick(g.k), tr, y, x, w, bias, g, flip)
	return true
}

// winoWorth is the rule that picks Winograd with m x m output tiles over
// the direct path: F(2x2,3x3) from 32 input and output channels and 256
// output positions, F(4x4,3x3) from 16 channels and 512 positions. With
// fewer positions the weight transform (U is (m+2)^2*C*K floats, 1.8x or
// 4x the weights, written and read back once per call) costs more than
// the products save; with 16 channels F(2x2)'s transforms cost as much as
// it saves. Process CPU time per thread of lungo bench -op conv2d, one
// thread, Zen 4 under other load (ms, direct / F(2x2) / F(4x4)):
//
//	64->64 @128x128    12.4 / 7.3 / 5.0
//	64->64 @64x64       3.1 / 1.95 / 1.19
//	128->128 @32x32     3.3 / 1.85 / 1.48
//	256->256 @16x16     3.5 / 2.8 / 3.6 (F(4x4) forced, BenchmarkWinograd)
//	512->512 @8x8       3.8 / 2.6x / 3.2x the direct time (BenchmarkWinograd)
//	16->16 @256x256     3.5 / 3.5 / 2.5
//	32->32 @256x256    12.6 / 10.3 / 6.0
func winoWorth(g convGeom, m int) bool {
	if m == 4 {
		return g.c >= 16 && g.k >= 16 && g.n*g.oh*g.ow >= 512
	}
	return g.c >= 32 && g.k >= 32 && g.n*g.oh*g.ow >= 256
}

// winoForce makes conv2DWinograd take every shape winoApplies to (tests).
var winoForce bool

// winoBackwardGeom returns the stride-1 backward-data of p as a forward
// convolution over dy (channels K in, C out) with padding 2-Pad.
func winoBackwardGeom(p ConvParams) convGeom {
	return convGeom{n: p.N, h: p.OutH(), w: p.OutW(), c: p.K, k: p.C, r: p.R, s: p.S, sh: 1, sw: 1,
		ph: p.DilH*(p.R-1) - p.PadH, pw: p.DilW*(p.S-1) - p.PadW, dh: p.DilH, dw: p.DilW, oh: p.H, ow: p.W}
}
