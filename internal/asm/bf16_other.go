//go:build !gc || purego || !amd64

package asm

// HasBF16 says whether this build contains the AVX-512 BF16 kernels: no.
const HasBF16 = false

// ConvBF16AVX512BF16 is not in this build; it panics.
func ConvBF16AVX512BF16(mr, nr int, a []uint16, lda, rowStride, rows, kp int, b []uint16, bias []float32, res []uint16, ldr int, c []uint16, ldc int, floor float32, mask uint32) {
	panic("asm: ConvBF16AVX512BF16: not in this build")
}

// DPBF16Loop is not in this build: it returns 0.
func DPBF16Loop(n int) int { return 0 }

// WinoBF16AVX512BF16 is not in this build; it panics.
func WinoBF16AVX512BF16(mr, nr int, a []uint16, lda, kp int, b []uint16, np, rt int, c []float32, ldc int) {
	panic("asm: WinoBF16AVX512BF16: not in this build")
}

// WinoIn2x2BF16AVX512BF16 is not in this build; it panics.
func WinoIn2x2BF16AVX512BF16(dst []uint16, ds, dt int, src []uint16, sa, sb, n, nt int) {
	panic("asm: WinoIn2x2BF16AVX512BF16: not in this build")
}

// WinoOut2x2BF16AVX512BF16 is not in this build; it panics.
func WinoOut2x2BF16AVX512BF16(dst []uint16, da, db int, src []float32, ss, st int, bias []float32, res []uint16, ra, rb int, floor float32, rows, cols, n, nt int) {
	panic("asm: WinoOut2x2BF16AVX512BF16: not in this build")
}
