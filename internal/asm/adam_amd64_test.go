//go:build gc && !purego

package asm

import "github.com/klauspost/cpuid/v2"

func adamKernels() []adamKernel {
	if cpuid.CPU.Supports(cpuid.AVX2) {
		return []adamKernel{{"avx2", 8, AdamAVX2}}
	}
	return nil
}
