//go:build gc && !purego

package asm

func microKernels() []microKernel {
	return []microKernel{{"neon-8x12", 8, 12, Sgemm8x12NEON, Sgemm8x12NEONBlocks}}
}

func fmaISAs() []string { return []string{"neon"} }
