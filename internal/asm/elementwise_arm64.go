//go:build gc && !purego

package asm

// The NEON flat elementwise kernels, 4 lanes (elementwise.go has their
// loops and requirements). ReLUNEON is FMAX: as Go's max, max(-0, 0) is
// +0.

// ReLUNEON is ReLU<ISA> in NEON: see checkReLU in elementwise.go.
func ReLUNEON(y, x []float32) {
	if checkReLU(neon, y, x) {
		reluNEON(y, x)
	}
}

// ReLUBackwardNEON is ReLUBackward<ISA> in NEON: see checkReLUBackward in
// elementwise.go.
func ReLUBackwardNEON(dx, dy, y []float32) {
	if checkReLUBackward(neon, dx, dy, y) {
		reluBackwardNEON(dx, dy, y)
	}
}

// AddNEON is Add<ISA> in NEON: see checkAdd in elementwise.go.
func AddNEON(y, a, b []float32) {
	if checkAdd(neon, y, a, b) {
		addNEON(y, a, b)
	}
}

// reluNEON is ReLUNEON without its checks; it requires len(y) > 0.
//
//go:noescape
func reluNEON(y, x []float32)

// reluBackwardNEON is ReLUBackwardNEON without its checks; it requires
// len(dx) > 0.
//
//go:noescape
func reluBackwardNEON(dx, dy, y []float32)

// addNEON is AddNEON without its checks; it requires len(y) > 0.
//
//go:noescape
func addNEON(y, a, b []float32)
