//go:build !gc || purego || !amd64

package asm

// HasInt8 says whether this build contains the AVX-512 VNNI int8 kernels: no.
const HasInt8 = false

// ConvU8S8AVX512VNNI is not in this build; it panics.
func ConvU8S8AVX512VNNI(mr, nr int, a []uint8, lda, rowStride, rows, kp int, b []int8, comp []int32, mul, add []float32, res []uint8, ldr int, c []uint8, ldc int, rmul float32, rzero int32, floor float32, mask uint32) {
	panic("asm: ConvU8S8AVX512VNNI: not in this build")
}

// VPDPBUSDLoop is not in this build: it returns 0.
func VPDPBUSDLoop(n int) int { return 0 }
