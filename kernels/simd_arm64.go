//go:build gc && !purego

package kernels

import (
	"github.com/klauspost/cpuid/v2"
	"github.com/lungo-ml/lungo/internal/asm"
)

// The arm64 SIMD implementation: "neon" (ASIMD, 8x12 tiles).

var mkNEON = &microKernel{name: "neon-8x12", mr: 8, nr: 12, fn: asm.Sgemm8x12NEON, fnBlocks: asm.Sgemm8x12NEONBlocks}

func init() {
	neon := &simdImpl{kernels: []*microKernel{mkNEON}}
	register(neon.impl("neon", cpuid.CPU.Supports(cpuid.ASIMD), 20))
}
