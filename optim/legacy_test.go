package optim

import (
	"math"

	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// The optimizers' scalar Go loops as they were before the update moved to
// kernels: the baseline of the benchmarks and, for Adam, a bit-exact
// reference of the new Step (neither fuses a multiply-add on amd64).

// legacyAdamStep is Adam.Step as a scalar Go loop.
func legacyAdamStep(o *Adam) {
	type coef struct{ stepSize, bc2sqrt float32 }
	coefs := make([]coef, len(o.params))
	for i, p := range o.params {
		if p.Grad == nil {
			continue
		}
		if o.m[i] == nil {
			o.m[i] = tensor.New(p.Data.Shape...)
			o.v[i] = tensor.New(p.Data.Shape...)
		}
		if o.cfg.AMSGrad && o.vm[i] == nil {
			o.vm[i] = tensor.New(p.Data.Shape...)
		}
		o.steps[i]++
		t := float64(o.steps[i])
		bc1 := 1 - math.Pow(o.cfg.Beta1, t)
		bc2 := 1 - math.Pow(o.cfg.Beta2, t)
		coefs[i] = coef{float32(o.cfg.LR / bc1), float32(math.Sqrt(bc2))}
	}
	b1, b2 := float32(o.cfg.Beta1), float32(o.cfg.Beta2)
	omb1, omb2 := float32(1-o.cfg.Beta1), float32(1-o.cfg.Beta2)
	eps, wd := float32(o.cfg.Eps), float32(o.cfg.WeightDecay)
	decay := float32(1 - o.cfg.LR*o.cfg.WeightDecay)
	forEachParam(o.params, func(i, lo, hi int) {
		w, g := o.params[i].Data.Data[lo:hi], o.params[i].Grad.Data[lo:hi]
		m, v := o.m[i].Data[lo:hi], o.v[i].Data[lo:hi]
		var vm []float32
		if o.cfg.AMSGrad {
			vm = o.vm[i].Data[lo:hi]
		}
		c := coefs[i]
		for k := range w {
			d := g[k]
			if o.decoupled {
				w[k] *= decay
			} else if wd != 0 {
				d += wd * w[k]
			}
			m[k] = b1*m[k] + omb1*d
			v[k] = b2*v[k] + omb2*d*d
			vv := v[k]
			if vm != nil {
				vm[k] = max(vm[k], vv)
				vv = vm[k]
			}
			denom := float32(math.Sqrt(float64(vv)))/c.bc2sqrt + eps
			w[k] -= c.stepSize * (m[k] / denom)
		}
	})
}

// legacySGDStep is SGD.Step as a scalar Go loop.
func legacySGDStep(o *SGD) {
	lr, mom := float32(o.cfg.LR), float32(o.cfg.Momentum)
	wd, damp := float32(o.cfg.WeightDecay), float32(1-o.cfg.Dampening)
	first := make([]bool, len(o.params))
	for i, p := range o.params {
		if p.Grad != nil && mom != 0 && o.bufs[i] == nil {
			o.bufs[i] = tensor.New(p.Data.Shape...)
			first[i] = true
		}
	}
	forEachParam(o.params, func(i, lo, hi int) {
		w, g := o.params[i].Data.Data[lo:hi], o.params[i].Grad.Data[lo:hi]
		var buf []float32
		if mom != 0 {
			buf = o.bufs[i].Data[lo:hi]
		}
		for k := range w {
			d := g[k]
			if wd != 0 {
				d += wd * w[k]
			}
			if mom != 0 {
				if first[i] {
					buf[k] = d
				} else {
					buf[k] = mom*buf[k] + damp*d
				}
				if o.cfg.Nesterov {
					d += mom * buf[k]
				} else {
					d = buf[k]
				}
			}
			w[k] -= lr * d
		}
	})
}

// legacyClipGradNorm is ClipGradNorm's serial float64 sum of squares.
func legacyClipGradNorm(params []*nn.Value, maxNorm float64) float64 {
	var sum float64
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		for _, g := range p.Grad.Data {
			sum += float64(g) * float64(g)
		}
	}
	total := math.Sqrt(sum)
	coef := maxNorm / (total + 1e-6)
	if !(coef < 1) && !math.IsNaN(coef) {
		return total
	}
	c := float32(coef)
	for _, p := range params {
		if p.Grad != nil {
			for k := range p.Grad.Data {
				p.Grad.Data[k] *= c
			}
		}
	}
	return total
}
