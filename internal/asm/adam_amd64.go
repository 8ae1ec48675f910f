//go:build gc && !purego

package asm

// The assembly has no stubs file: avo cannot see AdamCoefs (see _asm/adam).
//go:generate sh -c "cd _asm && go run ./adam -out ../adam_amd64.s -pkg asm"

// AdamAVX2 is one Adam/AdamW update of the n = len(w) elements of w, m, v
// and (with AdamAMSGrad) vm, from the gradient g, 8 lanes at a time with
// AVX (VSQRTPS, VDIVPS; no FMA). It computes exactly
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
// gives a NaN). It requires len(w)%8 == 0, len(g), len(m), len(v) >=
// len(w), len(vm) >= len(w) with AdamAMSGrad, and AVX2.
func AdamAVX2(w, g, m, v, vm []float32, c *AdamCoefs, flags int) {
	checkAdam("AdamAVX2", 8, w, g, m, v, vm, flags)
	if len(w) == 0 {
		return
	}
	adamAVX2(w, g, m, v, vm, c, flags)
}

// adamAVX2 is AdamAVX2 without its checks; it requires len(w) > 0.
//
//go:noescape
func adamAVX2(w, g, m, v, vm []float32, c *AdamCoefs, flags int)
