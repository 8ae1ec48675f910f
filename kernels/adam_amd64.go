//go:build gc && !purego

package kernels

import "github.com/lungo-ml/lungo/internal/asm"

// adamSIMD returns the Adam update of the named amd64 implementation: the
// AVX2 kernel for both (AVX-512 would not pay: the update is bound by
// memory bandwidth, 28 bytes per element, not by arithmetic).
func adamSIMD(name string) func(w, g, m, v, vmax []float32, p AdamParams) {
	switch name {
	case "avx2", "avx512":
		return adamAVX2
	}
	return nil
}

// adamAVX2 is adamGeneric with the AVX2 kernel over the multiple of 8 and
// the Go loop over the tail.
func adamAVX2(w, g, m, v, vmax []float32, p AdamParams) {
	n := len(w) &^ 7
	c, flags := adamCoefs(&p)
	vh, vt := adamSplit(vmax, n)
	asm.AdamAVX2(w[:n], g[:n], m[:n], v[:n], vh, &c, flags)
	adamGeneric(w[n:], g[n:], m[n:], v[n:], vt, p)
}
