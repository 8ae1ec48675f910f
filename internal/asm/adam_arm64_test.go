//go:build gc && !purego

package asm

import "github.com/klauspost/cpuid/v2"

func adamKernels() []adamKernel {
	if cpuid.CPU.Supports(cpuid.ASIMD) {
		return []adamKernel{{"neon", 4, AdamNEON}}
	}
	return nil
}
