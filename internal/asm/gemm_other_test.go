//go:build !gc || purego || !(amd64 || arm64)

package asm

func microKernels() []microKernel { return nil }

func fmaISAs() []string { return nil }
