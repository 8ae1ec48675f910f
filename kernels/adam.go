package kernels

import "github.com/lungo-ml/lungo/tensor"

// AdamParams holds the float32 coefficients of one Adam/AdamW update at a
// given step t (PyTorch 1.13's torch.optim.Adam and AdamW, single-tensor
// path). The caller computes them in float64 and rounds once, as PyTorch
// does with its Python-float hyper-parameters.
type AdamParams struct {
	Beta1, OneMinusBeta1 float32 // beta1 and 1-beta1
	Beta2, OneMinusBeta2 float32 // beta2 and 1-beta2
	Eps                  float32
	BC2Sqrt              float32 // sqrt(1 - beta2^t)
	StepSize             float32 // lr / (1 - beta1^t)
	Decay                float32 // AdamW: w *= Decay (1 - lr*weight_decay) first; 1: none
	WeightDecay          float32 // Adam: g += WeightDecay*w (L2); 0: none
	AMSGrad              bool    // keep the running maximum of v in vmax and use it
}

// adamGrain is the smallest range of elements worth a thread (28 bytes of
// traffic each: about 0.5 MB per chunk).
const adamGrain = 1 << 14

// AdamStep applies one Adam/AdamW update in place to the parameters w, their
// first and second moments m and v and, with p.AMSGrad, the running maximum
// vmax (otherwise vmax is ignored and may be nil); g, the gradient, is read
// only. All slices are flat and of one length n. Element by element, with
// each product rounded to float32 before it is added (no fused
// multiply-add; every implementation gives the same bits):
//
//	if p.Decay != 1       { w = w * Decay }
//	d := g; if p.WeightDecay != 0 { d = d + WeightDecay*w }
//	m = Beta1*m + OneMinusBeta1*d
//	v = Beta2*v + (OneMinusBeta2*d)*d
//	if p.AMSGrad          { vmax = max(vmax, v) } and use vmax as v below
//	denom := sqrt(v)/BC2Sqrt + Eps
//	w = w - StepSize*(m/denom)
//
// The elements are split across the worker pool (Parallel).
func AdamStep(w, g, m, v, vmax []float32, p AdamParams) {
	n := len(w)
	checkLen("AdamStep", "g", len(g), n)
	checkLen("AdamStep", "m", len(m), n)
	checkLen("AdamStep", "v", len(v), n)
	if p.AMSGrad {
		checkLen("AdamStep", "vmax", len(vmax), n)
	} else {
		vmax = nil
	}
	if !(p.BC2Sqrt > 0) {
		tensor.Panicf("kernels", "AdamStep: BC2Sqrt=%v, want > 0", p.BC2Sqrt)
	}
	fn := Active().Adam
	if fn == nil {
		fn = adamGeneric
	}
	if n <= adamGrain || Threads() == 1 {
		fn(w, g, m, v, vmax, p) // no closure to allocate
		return
	}
	Parallel(n, adamGrain, func(lo, hi int) {
		var vm []float32
		if vmax != nil {
			vm = vmax[lo:hi]
		}
		fn(w[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], vm, p)
	})
}
