package asm

import "fmt"

// AdamCoefs are the float32 coefficients of one Adam/AdamW update, in the
// order the Adam kernels load them (byte offsets 0, 4, ..., 32).
type AdamCoefs struct {
	Beta1, OneMinusBeta1 float32
	Beta2, OneMinusBeta2 float32
	Eps                  float32
	BC2Sqrt              float32 // sqrt(1 - beta2^t)
	StepSize             float32 // lr / (1 - beta1^t)
	Decay                float32 // multiplies w first when flags has AdamDecay
	WeightDecay          float32 // L2 added to the gradient when flags has AdamL2
}

// Flags of the Adam kernels.
const (
	AdamDecay   = 1 << iota // w = w*Decay first (AdamW)
	AdamL2                  // d = g + WeightDecay*w (Adam's weight decay)
	AdamAMSGrad             // vm = max(vm, v), used in place of v
)

// checkAdam panics unless the slices fit an Adam kernel of width lanes.
func checkAdam(name string, lanes int, w, g, m, v, vm []float32, flags int) {
	n := len(w)
	if n%lanes != 0 || len(g) < n || len(m) < n || len(v) < n || (flags&AdamAMSGrad != 0 && len(vm) < n) {
		panic(fmt.Sprintf("asm: %s: len(w)=%d (want a multiple of %d), len(g)=%d, len(m)=%d, len(v)=%d, len(vm)=%d, flags %#x",
			name, n, lanes, len(g), len(m), len(v), len(vm), flags))
	}
}
