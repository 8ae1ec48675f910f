//go:build !gc || purego || !(amd64 || arm64)

package asm

// HasAVX2, HasAVX512 and HasNEON say which kernels this build contains: none.
const (
	HasAVX2   = false
	HasAVX512 = false
	HasNEON   = false
)

// FMALoop returns 0: this build has no FMA loop.
func FMALoop(isa string, n int) int { return 0 }
