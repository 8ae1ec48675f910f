//go:build gc && !purego

package kernels

import "github.com/lungo-ml/lungo/internal/asm"

// adamSIMD returns the Adam update of the named arm64 implementation.
func adamSIMD(name string) func(w, g, m, v, vmax []float32, p AdamParams) {
	if name == "neon" {
		return adamNEON
	}
	return nil
}

// adamNEON is adamGeneric with the NEON kernel over the multiple of 4 and
// the Go loop over the tail.
func adamNEON(w, g, m, v, vmax []float32, p AdamParams) {
	n := len(w) &^ 3
	c, flags := adamCoefs(&p)
	vh, vt := adamSplit(vmax, n)
	asm.AdamNEON(w[:n], g[:n], m[:n], v[:n], vh, &c, flags)
	adamGeneric(w[n:], g[n:], m[n:], v[n:], vt, p)
}
