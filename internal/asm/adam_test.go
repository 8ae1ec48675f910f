package asm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// adamKernel is an Adam kernel of this build and CPU and its lane count.
type adamKernel struct {
	name  string
	lanes int
	fn    func(w, g, m, v, vm []float32, c *AdamCoefs, flags int)
}

// adamRef is the loop every Adam kernel computes, each product rounded to
// float32 before it is added (no fused multiply-add).
func adamRef(w, g, m, v, vm []float32, c *AdamCoefs, flags int) {
	for k := range w {
		wk, d := w[k], g[k]
		if flags&AdamDecay != 0 {
			wk = wk * c.Decay
		}
		if flags&AdamL2 != 0 {
			d = d + float32(c.WeightDecay*wk)
		}
		mk := float32(c.Beta1*m[k]) + float32(c.OneMinusBeta1*d)
		vk := float32(c.Beta2*v[k]) + float32(float32(c.OneMinusBeta2*d)*d)
		m[k], v[k] = mk, vk
		if flags&AdamAMSGrad != 0 {
			vk = max(vm[k], vk)
			vm[k] = vk
		}
		denom := float32(math.Sqrt(float64(vk)))/c.BC2Sqrt + c.Eps
		w[k] = wk - float32(c.StepSize*(mk/denom))
	}
}

// adamData returns n values of every magnitude: normal, tiny (denormal
// squares), huge, zeros of both signs (g only: m, v and vm are state) and,
// with nan, a few NaNs and infinities.
func adamData(rng *rand.Rand, n int, nonneg, nan bool) []float32 {
	x := make([]float32, n)
	for i := range x {
		var f float64
		switch rng.IntN(10) {
		case 0:
			f = rng.NormFloat64() * 1e-20
		case 1:
			f = rng.NormFloat64() * 1e18
		case 2:
			f = 0
		case 3:
			if nan {
				f = []float64{math.NaN(), math.Inf(1), math.Inf(-1)}[rng.IntN(3)]
			}
		default:
			f = rng.NormFloat64()
		}
		if nonneg {
			f = math.Abs(f)
		} else if f == 0 && rng.IntN(2) == 0 {
			f = math.Copysign(0, -1)
		}
		x[i] = float32(f)
	}
	return x
}

// sameBits reports whether a and b are equal bit for bit, any NaN matching
// any NaN.
func sameBits(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

// TestAdamKernels compares every Adam kernel of this CPU with adamRef bit
// for bit, for lengths that are multiples of the lane count, every flag
// combination and data with zeros, denormals, huge values, NaN and Inf;
// nothing past len(w) may change.
func TestAdamKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	c := &AdamCoefs{Beta1: 0.9, OneMinusBeta1: 0.1, Beta2: 0.999, OneMinusBeta2: 0.001, Eps: 1e-8,
		BC2Sqrt: 0.0447, StepSize: 0.0123, Decay: 0.999, WeightDecay: 0.01}
	for _, k := range adamKernels() {
		for _, n := range []int{0, 1, 2, 3, 4, 5, 8, 9, 16, 17, 64, 100} {
			n *= k.lanes
			for flags := range 8 {
				for _, nan := range []bool{false, true} {
					const extra = 5 // cells past n that must stay as they are
					w := adamData(rng, n+extra, false, nan)
					g := adamData(rng, n+extra, false, nan)
					m := adamData(rng, n+extra, false, nan)
					v := adamData(rng, n+extra, true, nan)
					vm := adamData(rng, n+extra, true, nan)
					g0 := append([]float32(nil), g...)
					want := [][]float32{append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...), append([]float32(nil), vm...)}
					adamRef(want[0][:n], g, want[1], want[2], want[3], c, flags)
					k.fn(w[:n], g[:n], m[:n], v[:n], vm[:n], c, flags)
					for bi, got := range [][]float32{w, m, v, vm, g} {
						ref := g0
						if bi < 4 {
							ref = want[bi]
						}
						for i := range got {
							if !sameBits(got[i], ref[i]) {
								t.Fatalf("%s n=%d flags=%d nan=%v: %s[%d] = %v (%#x), want %v (%#x)", k.name, n, flags, nan,
									[]string{"w", "m", "v", "vm", "g"}[bi], i, got[i], math.Float32bits(got[i]), ref[i], math.Float32bits(ref[i]))
							}
						}
					}
				}
			}
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic on a length not a multiple of %d", k.name, k.lanes)
				}
			}()
			x := make([]float32, k.lanes+1)
			k.fn(x, x, x, x, nil, c, 0)
		}()
	}
}
