//go:build gc && !purego

package kernels

import "github.com/klauspost/cpuid/v2"

func init() {
	if cpuid.CPU.Supports(cpuid.AVX512F) {
		tailKernels = append(tailKernels, mkAVX512)
	}
}
