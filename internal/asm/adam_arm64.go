//go:build gc && !purego

package asm

// AdamNEON is Adam<ISA> (see checkAdam in adam.go) 4 lanes at a time with
// NEON (FSQRT, FDIV; no FMLA), bit for bit: FMAX gives +0 for max(-0, +0)
// as Go does. It requires ASIMD.
func AdamNEON(w, g, m, v, vm []float32, c *AdamCoefs, flags int) {
	if checkAdam(neon, w, g, m, v, vm, flags) {
		adamNEON(w, g, m, v, vm, c, flags)
	}
}

// adamNEON is AdamNEON without its checks; it requires len(w) > 0.
//
//go:noescape
func adamNEON(w, g, m, v, vm []float32, c *AdamCoefs, flags int)
