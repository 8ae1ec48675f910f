//go:build gc && !purego

package kernels

import (
	"github.com/klauspost/cpuid/v2"
	"github.com/lungo-ml/lungo/internal/asm"
)

// winoDyAsm is the AVX2 transform of dy blocks for Winograd
// backward-weights (asm.WinoDy2x2AVX2: n%8 == 0), nil where the CPU lacks
// AVX2.
var winoDyAsm func(dst []float32, ds int, src []float32, sa, sb, n int)

func init() {
	if cpuid.CPU.Supports(cpuid.AVX2) {
		winoDyAsm = asm.WinoDy2x2AVX2
	}
}
