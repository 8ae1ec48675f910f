//go:build gc && !purego

package asm

// AdamNEON is AdamAVX2 (the same loop, bit for bit, max included: FMAX
// gives +0 for max(-0, +0) as Go does) 4 lanes at a time with NEON
// (FSQRT, FDIV; no FMLA). It requires len(w)%4 == 0, len(g), len(m),
// len(v) >= len(w), len(vm) >= len(w) with AdamAMSGrad, and ASIMD.
func AdamNEON(w, g, m, v, vm []float32, c *AdamCoefs, flags int) {
	checkAdam("AdamNEON", 4, w, g, m, v, vm, flags)
	if len(w) == 0 {
		return
	}
	adamNEON(w, g, m, v, vm, c, flags)
}

//go:noescape
func adamNEON(w, g, m, v, vm []float32, c *AdamCoefs, flags int)
