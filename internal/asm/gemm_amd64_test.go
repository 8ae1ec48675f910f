//go:build gc && !purego

package asm

import "github.com/klauspost/cpuid/v2"

func microKernels() []microKernel {
	var ks []microKernel
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		ks = append(ks, microKernel{"avx2-6x16", 6, 16, Sgemm6x16AVX2, Sgemm6x16AVX2Blocks})
	}
	if cpuid.CPU.Supports(cpuid.AVX512F) {
		ks = append(ks, microKernel{"avx512-12x32", 12, 32, Sgemm12x32AVX512, Sgemm12x32AVX512Blocks})
	}
	return ks
}

func fmaISAs() []string {
	var s []string
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		s = append(s, "avx2")
	}
	if cpuid.CPU.Supports(cpuid.AVX512F) {
		s = append(s, "avx512")
	}
	return s
}
