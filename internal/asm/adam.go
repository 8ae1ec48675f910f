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

// checkAdam checks the slices for Adam<ISA> (AdamAVX2, AdamNEON) and
// reports whether there is work: n = len(w) > 0. Adam<ISA> is one
// Adam/AdamW update of the n elements of w, m, v and (with AdamAMSGrad) vm,
// from the gradient g, lanes floats at a time, every product rounded
// before its sum (no fused multiply-add). It computes exactly
//
//	for k := range w {
//		wk, d := w[k], g[k]
//		if flags&AdamDecay != 0 {
//			wk = wk * c.Decay
//		}
//		if flags&AdamL2 != 0 {
//			d = d + float32(c.WeightDecay*wk)
//		}
//		mk := float32(c.Beta1*m[k]) + float32(c.OneMinusBeta1*d)
//		vk := float32(c.Beta2*v[k]) + float32(float32(c.OneMinusBeta2*d)*d)
//		m[k], v[k] = mk, vk
//		if flags&AdamAMSGrad != 0 {
//			vk = max(vm[k], vk)
//			vm[k] = vk
//		}
//		denom := float32(math.Sqrt(float64(vk)))/c.BC2Sqrt + c.Eps
//		w[k] = wk - float32(c.StepSize*(mk/denom))
//	}
//
// bit for bit, max included (+0 for max(-0, +0); a NaN on either side
// gives a NaN). It requires len(w)%lanes == 0, len(g), len(m), len(v) >=
// len(w), len(vm) >= len(w) with AdamAMSGrad, and the ISA.
func checkAdam(s isa, w, g, m, v, vm []float32, flags int) bool {
	n := len(w)
	if n%s.lanes != 0 || len(g) < n || len(m) < n || len(v) < n || (flags&AdamAMSGrad != 0 && len(vm) < n) {
		panic(fmt.Sprintf("asm: Adam%s: len(w)=%d (want a multiple of %d), len(g)=%d, len(m)=%d, len(v)=%d, len(vm)=%d, flags %#x",
			s.name, n, s.lanes, len(g), len(m), len(v), len(vm), flags))
	}
	return n > 0
}
