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
