//go:build gc && !purego

package kernels

import (
	"github.com/klauspost/cpuid/v2"

	"github.com/lungo-ml/lungo/kernels/asm"
)

func init() {
	bf16Impls = append(bf16Impls, bf16Impl{
		name:      "avx512bf16",
		available: asm.HasBF16 && cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512BF16),
		kernels:   [3]bf16Kernel{asm.DPBF16Conv12x32, asm.DPBF16Conv8x32, asm.DPBF16Conv4x32},
	})
}
