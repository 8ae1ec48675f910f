//go:build gc && !purego

package kernels

import (
	"github.com/klauspost/cpuid/v2"

	"github.com/lungo-ml/lungo/internal/asm"
)

func init() {
	int8Impls = append(int8Impls, int8Impl{
		name:      "neondot",
		available: cpuid.CPU.Supports(cpuid.ASIMD, cpuid.ASIMDDP),
		kernels:   int8Kernels(asm.ConvU8S8NEONDOT),
		signedA:   true,
	})
}
