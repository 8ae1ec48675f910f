package kernels

// conv2DWinograd runs a convolution (forward, or with flip the stride-1
// backward-data; see winoConv.transformWeights) as Winograd F(4x4,3x3)
// when it is on (SetWinograd), the transforms have assembly, and
// winoWorth chooses it; it reports whether it did.
func (s *simdImpl) conv2DWinograd(y, x, w, bias []float32, g convGeom, flip bool) bool {
	tr := winoSIMD2
	if winogradTile.Load() == 4 {
		tr = winoSIMD
	}
	if tr == nil || !winogradOn.Load() || !winoApplies(g) || !(winoForce || winoWorth(g, tr.m)) {
		return false
	}
	winogradConv(s.pick(g.k), tr, y, x, w, bias, g, flip)
	return true
}

// winoWorth is the rule that picks Winograd over the direct path: at
// least 16 input and output channels, and at least 512 output positions
// (32 tiles). Below that the weight transform (U is 36*C*K floats, 4x the
// weights, written and read back once per call) costs more than the
// products save: 512->512 @8x8 (64 positions) takes 3.4x the direct
// path's time on one thread, 256->256 @16x16 (256 positions) gains on one
// thread but loses on two (16 tiles in two blocks). Measured on Zen 4
// (see BenchmarkWinograd and the numbers in doc.go).
func winoWorth(g convGeom, m int) bool {
	return g.c >= 16 && g.k >= 16 && g.n*g.oh*g.ow >= 512
}

// winoForce makes conv2DWinograd take every shape winoApplies to (tests).
var winoForce bool

// winoBackwardGeom returns the stride-1 backward-data of p as a forward
// convolution over dy (channels K in, C out) with padding 2-Pad.
func winoBackwardGeom(p ConvParams) convGeom {
	return convGeom{n: p.N, h: p.OutH(), w: p.OutW(), c: p.K, k: p.C, r: p.R, s: p.S, sh: 1, sw: 1,
		ph: p.DilH*(p.R-1) - p.PadH, pw: p.DilW*(p.S-1) - p.PadW, dh: p.DilH, dw: p.DilW, oh: p.H, ow: p.W}
}
