//go:build !gc || purego || !(amd64 || arm64)

package asm

func adamKernels() []adamKernel { return nil }
