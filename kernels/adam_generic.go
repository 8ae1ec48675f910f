package kernels

import "math"

// adamGeneric is the reference AdamStep on one range (all slices of one
// length; vmax nil unless p.AMSGrad). The float32 conversions round every
// product before the sum, so that Go never fuses them into a multiply-add
// (it may on arm64) and the SIMD kernels can match bit for bit.
// float32(math.Sqrt(float64(x))) is the correctly rounded float32 square
// root (a double rounding is exact for sqrt), as SQRTPS and FSQRT give.
func adamGeneric(w, g, m, v, vmax []float32, p AdamParams) {
	n := len(w)
	g, m, v = g[:n], m[:n], v[:n]
	if vmax != nil {
		vmax = vmax[:n]
	}
	for k := range w {
		wk, d := w[k], g[k]
		if p.Decay != 1 {
			wk = wk * p.Decay
		}
		if p.WeightDecay != 0 {
			d = d + float32(p.WeightDecay*wk)
		}
		mk := float32(p.Beta1*m[k]) + float32(p.OneMinusBeta1*d)
		vk := float32(p.Beta2*v[k]) + float32(float32(p.OneMinusBeta2*d)*d)
		m[k], v[k] = mk, vk
		if vmax != nil {
			vk = max(vmax[k], vk)
			vmax[k] = vk
		}
		denom := float32(math.Sqrt(float64(vk)))/p.BC2Sqrt + p.Eps
		w[k] = wk - float32(p.StepSize*(mk/denom))
	}
}
