package kernels

// conv2DWinograd runs a convolution (forward, or with flip the stride-1
// backward-data; see winoConv.transformWeights) as Winograd when it is on
// (SetWinograd), the transforms have assembly, and winoWorth chooses it
// for the tile SetWinogradTile gives (per shape by default: F(4x4) below
// 32 channels, where F(2x2) does not pay, else F(2x2)); it reports
// whether it did.
func (s *simdImpl) conv2DWinograd(y, x, w, bias []float32, g convGeom, flip bool) bool {
	m := int(winogradTile.Load())
	if m == 0 { // automatic: F(4x4) where F(2x2) does not pay
		m = 2
		if min(g.c, g.k) < 32 {
			m = 4
		}
	}
	tr := winoFor(s, m)
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
// the products save (512->512 @8x8 stays direct); with 16 channels F(2x2)
// gains nothing over the direct path. F(4x4) measured faster still where
// it applies; the default takes it only below 32 channels
// (SetWinogradTile). Decided by BenchmarkWinograd and by the process CPU
// time per thread of lungo bench -op conv2d -impl avx512 -threads 1,2
// with LUNGO_WINOGRAD=0, 2 and 4 (cpu-ns/op in -format go); the Zen 4
// figures are in the message of the commit that took them out of this
// comment.
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
