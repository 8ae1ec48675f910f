//go:build gc && !purego && (amd64 || arm64)

package kernels

import "github.com/lungo-ml/lungo/internal/asm"

// adamCoefs converts p to the Adam kernels' coefficients and flags.
func adamCoefs(p *AdamParams) (asm.AdamCoefs, int) {
	c := asm.AdamCoefs{Beta1: p.Beta1, OneMinusBeta1: p.OneMinusBeta1, Beta2: p.Beta2, OneMinusBeta2: p.OneMinusBeta2,
		Eps: p.Eps, BC2Sqrt: p.BC2Sqrt, StepSize: p.StepSize, Decay: p.Decay, WeightDecay: p.WeightDecay}
	flags := 0
	if p.Decay != 1 {
		flags |= asm.AdamDecay
	}
	if p.WeightDecay != 0 {
		flags |= asm.AdamL2
	}
	if p.AMSGrad {
		flags |= asm.AdamAMSGrad
	}
	return c, flags
}

// adamSplit returns the head of n - n%lanes elements of vmax and the rest
// (both nil for a nil vmax).
func adamSplit(vmax []float32, n int) (head, tail []float32) {
	if vmax == nil {
		return nil, nil
	}
	return vmax[:n], vmax[n:]
}
