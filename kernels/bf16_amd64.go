//go:build gc && !purego

package kernels

import (
	"github.com/klauspost/cpuid/v2"

	"github.com/lungo-ml/lungo/internal/asm"
)

func init() {
	bf16Impls = append(bf16Impls, bf16Impl{
		name:      "avx512bf16",
		available: asm.HasBF16 && cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512BF16),
		kernels:   bf16Kernels(asm.ConvBF16AVX512BF16),
		wino: bf16WinoImpl{gemm: bf16WinoKernels(asm.WinoBF16AVX512BF16),
			in: asm.WinoIn2x2BF16AVX512BF16, out: asm.WinoOut2x2BF16AVX512BF16},
	})
}
