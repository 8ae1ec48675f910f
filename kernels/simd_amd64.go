//go:build gc && !purego

package kernels

import (
	"github.com/klauspost/cpuid/v2"
	"github.com/lungo-ml/lungo/internal/asm"
)

// The amd64 SIMD implementations: "avx2" (AVX2+FMA, 6x16 tiles) and
// "avx512" (AVX-512F, 12x32 tiles; 6x16 where n is at most 16 columns),
// both with the AVX2 max-pool.

var (
	mkAVX2   = &microKernel{name: "avx2-6x16", mr: 6, nr: 16, fn: asm.Sgemm6x16AVX2, fnBlocks: asm.Sgemm6x16AVX2Blocks}
	mkAVX512 = &microKernel{name: "avx512-12x32", mr: 12, nr: 32, fn: asm.Sgemm12x32AVX512, fnBlocks: asm.Sgemm12x32AVX512Blocks}
)

func init() {
	hasAVX2 := cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3)
	avx2 := (&simdImpl{kernels: []*microKernel{mkAVX2}}).impl("avx2", hasAVX2, 20)
	avx2.MaxPool2D = maxPoolAVX2
	register(avx2)
	avx512 := (&simdImpl{kernels: []*microKernel{mkAVX512, mkAVX2}}).impl("avx512",
		hasAVX2 && cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512VL), 30)
	avx512.MaxPool2D = maxPoolAVX2 // Zen 4: 256-bit compares run as fast
	register(avx512)
}
