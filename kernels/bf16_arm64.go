//go:build gc && !purego

package kernels

import (
	"github.com/klauspost/cpuid/v2"

	"github.com/lungo-ml/lungo/internal/asm"
)

// NEON with FEAT_BF16: the direct and Winograd product kernels in
// assembly (bit for bit the generic ones), the Winograd transforms in Go.
func init() {
	bf16Impls = append(bf16Impls, bf16Impl{
		name:      "neonbf16",
		available: cpuid.CPU.Supports(cpuid.ASIMD, cpuid.BF16),
		kernels:   bf16Kernels(asm.ConvBF16NEONBF16),
		wino:      bf16WinoImpl{gemm: bf16WinoKernels(asm.WinoBF16NEONBF16), in: winoBF16In2Go, out: winoBF16Out2Go},
	})
}
