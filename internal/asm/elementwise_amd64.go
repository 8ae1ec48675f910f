//go:build gc && !purego

package asm

//go:generate sh -c "cd _asm && go run ./elementwise -out ../elementwise_amd64.s -stubs ../elementwise_stubs_amd64.go -pkg asm"

// The AVX2 flat elementwise kernels, 8 lanes (elementwise.go has their
// loops and requirements). ReLUAVX2 is VMAXPS: max(-0, 0) gives -0.

// ReLUAVX2 is ReLU<ISA> in AVX2: see checkReLU in elementwise.go.
func ReLUAVX2(y, x []float32) {
	if checkReLU(avx2, y, x) {
		reluAVX2(y, x)
	}
}

// ReLUBackwardAVX2 is ReLUBackward<ISA> in AVX2: see checkReLUBackward in
// elementwise.go.
func ReLUBackwardAVX2(dx, dy, y []float32) {
	if checkReLUBackward(avx2, dx, dy, y) {
		reluBackwardAVX2(dx, dy, y)
	}
}

// AddAVX2 is Add<ISA> in AVX2: see checkAdd in elementwise.go.
func AddAVX2(y, a, b []float32) {
	if checkAdd(avx2, y, a, b) {
		addAVX2(y, a, b)
	}
}
