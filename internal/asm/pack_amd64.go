//go:build gc && !purego

package asm

import "fmt"

// PackRow32AVX scatters n runs of 32 floats of src, back to back, into dst,
// ds floats apart:
//
//	for i := 0; i < n; i++ {
//		copy(dst[i*ds:i*ds+32], src[i*32:i*32+32])
//	}
//
// with AVX loads and stores: one row of a B block into its n 32-wide GEMM
// panels, where the Go copy of each 128-byte run is a runtime.memmove
// call. It requires n >= 0, ds >= 32, len(src) >= 32*n, len(dst) >=
// (n-1)*ds+32 when n > 0, and AVX.
func PackRow32AVX(dst []float32, ds int, src []float32, n int) {
	if n < 0 || ds < 32 || len(src) < 32*n || n > 0 && len(dst) < (n-1)*ds+32 {
		panic(fmt.Sprintf("asm: PackRow32AVX: n=%d ds=%d len(src)=%d len(dst)=%d", n, ds, len(src), len(dst)))
	}
	if n == 0 {
		return
	}
	packRow32AVX(&dst[0], ds, &src[0], n)
}
