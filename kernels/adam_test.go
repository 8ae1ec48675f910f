package kernels

import (
	"fmt"
	"math"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// adamCases are the hyper-parameter sets of the AdamStep suite: Adam, Adam
// with L2, AdamW, each with and without AMSGrad.
func adamCases() []AdamParams {
	base := AdamParams{Beta1: 0.9, OneMinusBeta1: 0.1, Beta2: 0.999, OneMinusBeta2: 0.001, Eps: 1e-8,
		BC2Sqrt: float32(math.Sqrt(1 - math.Pow(0.999, 3))), StepSize: float32(1e-3 / (1 - math.Pow(0.9, 3))), Decay: 1}
	var cs []AdamParams
	for _, ams := range []bool{false, true} {
		adam := base
		adam.AMSGrad = ams
		l2 := adam
		l2.WeightDecay = 0.05
		w := adam
		w.Decay = float32(1 - 1e-3*0.01)
		big := w // large steps, tiny eps: exercises the divisions
		big.StepSize, big.Eps, big.Beta1, big.OneMinusBeta1 = 0.5, 1e-12, 0.5, 0.5
		cs = append(cs, adam, l2, w, big)
	}
	return cs
}

// adamState returns n random values: signed in [-1, 1) with some zeros, or
// squares (>= +0, never -0) for v and vmax.
func adamState(rng *tensor.RNG, n int, square bool) []float32 {
	s := randSlice(rng, n)
	for i := range s {
		if i%7 == 3 {
			s[i] = 0
		}
		if square {
			s[i] *= s[i] * 1e-2
		}
	}
	return s
}

// sameBitsSlice fails t unless got and want agree bit for bit (NaNs alike).
func sameBitsSlice(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
			t.Errorf("%s[%d] = %v (%#x), want %v (%#x)", name, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			return
		}
	}
}

// TestAdamStep checks every implementation's AdamStep against the generic
// reference bit for bit (no implementation fuses a multiply-add, so there
// is no rounding difference to allow for), over lengths around the vector
// widths, slice offsets 0-3, NaN guard cells, every hyper-parameter case and
// long slices on one and two threads; g must stay unmodified.
func TestAdamStep(t *testing.T) {
	sizes := append(append([]int(nil), vecSizes...), 127, 2*adamGrain+8, 3*adamGrain+13)
	forEachImpl(t, func(t *testing.T) {
		rng := tensor.NewRNG(7)
		for ci, p := range adamCases() {
			for _, n := range sizes {
				off := offsets[(ci+n)%len(offsets)]
				w0, g0 := randSlice(rng, n), adamState(rng, n, false)
				m0, v0, vm0 := adamState(rng, n, false), adamState(rng, n, true), adamState(rng, n, true)
				w, g, m, v, vm := guardedFrom(w0, off), guardedFrom(g0, off), guardedFrom(m0, off), guardedFrom(v0, off), guardedFrom(vm0, off)
				fg := freeze("g", g.s())
				var vmax []float32
				if p.AMSGrad {
					vmax = vm.s()
				}
				name := fmt.Sprintf("case %d n=%d off=%d", ci, n, off)
				threads := 2
				if n == 2*adamGrain+8 {
					threads = 1 // the unthreaded path on a large slice
				}
				withThreads(threads, func() { AdamStep(w.s(), g.s(), m.s(), v.s(), vmax, p) })
				ww, wm, wv, wvm := append([]float32(nil), w0...), append([]float32(nil), m0...), append([]float32(nil), v0...), append([]float32(nil), vm0...)
				var wvmax []float32
				if p.AMSGrad {
					wvmax = wvm
				}
				adamGeneric(ww, g0, wm, wv, wvmax, p)
				sameBitsSlice(t, name+" w", w.s(), ww)
				sameBitsSlice(t, name+" m", m.s(), wm)
				sameBitsSlice(t, name+" v", v.s(), wv)
				sameBitsSlice(t, name+" vmax", vm.s(), wvm)
				for _, gb := range []*guardedBuf{w, g, m, v, vm} {
					gb.check(t, name)
				}
				fg.check(t)
				if n > 0 && sameBitsEqual(w.s(), w0) {
					t.Errorf("%s: w unchanged", name)
				}
			}
		}
	})
}

// sameBitsEqual reports whether a and b are equal bit for bit.
func sameBitsEqual(a, b []float32) bool {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestAdamGenericMatchesFormula checks the reference against Adam's formula
// evaluated in float64 (rel 1e-5: the float32 roundings of a few operations).
func TestAdamGenericMatchesFormula(t *testing.T) {
	rng := tensor.NewRNG(3)
	for ci, p := range adamCases() {
		n := 101
		w, g, m := randSlice(rng, n), adamState(rng, n, false), adamState(rng, n, false)
		v, vm := adamState(rng, n, true), adamState(rng, n, true)
		w0, m0, v0, vm0 := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...), append([]float32(nil), vm...)
		var vmax []float32
		if p.AMSGrad {
			vmax = vm
		}
		adamGeneric(w, g, m, v, vmax, p)
		for k := range w {
			wk := float64(w0[k]) * float64(p.Decay)
			d := float64(g[k]) + float64(p.WeightDecay)*wk
			mk := float64(p.Beta1)*float64(m0[k]) + float64(p.OneMinusBeta1)*d
			vk := float64(p.Beta2)*float64(v0[k]) + float64(p.OneMinusBeta2)*d*d
			if p.AMSGrad {
				vk = max(vk, float64(vm0[k]))
			}
			want := wk - float64(p.StepSize)*mk/(math.Sqrt(vk)/float64(p.BC2Sqrt)+float64(p.Eps))
			if math.Abs(float64(w[k])-want) > 1e-5*math.Abs(want)+1e-6*math.Abs(wk-want)+1e-7 {
				t.Fatalf("case %d: w[%d] = %v, want %v", ci, k, w[k], want)
			}
		}
	}
}

// TestAdamStepPanics checks the length validation.
func TestAdamStepPanics(t *testing.T) {
	p := adamCases()[0]
	x := make([]float32, 4)
	mustPanic(t, "short g", func() { AdamStep(x, x[:3], x, x, nil, p) })
	mustPanic(t, "short v", func() { AdamStep(x, x, x, x[:2], nil, p) })
	p.AMSGrad = true
	mustPanic(t, "no vmax", func() { AdamStep(x, x, x, x, nil, p) })
	p.BC2Sqrt = 0
	mustPanic(t, "BC2Sqrt 0", func() { AdamStep(x, x, x, x, x, p) })
}

// TestAdamStepSignedZeros checks AMSGrad's max on zeros of both signs in
// the loaded state (v and vmax at -0 or +0, g at ±0 or not): every
// implementation must keep Go's max(-0, +0) = +0 (and -0 only for
// max(-0, -0)) bit for bit, in the SIMD lanes and the tail alike.
func TestAdamStepSignedZeros(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	vms := []float32{negZero, 0, negZero, 1e-30}
	vs := []float32{0, negZero, negZero}
	gs := []float32{0, negZero, 1e-20, 0.5}
	n := len(vms) * len(vs) * len(gs) // 48: whole vectors and, at n-5, a tail
	forEachImpl(t, func(t *testing.T) {
		for ci, p := range adamCases() {
			if !p.AMSGrad {
				continue
			}
			for _, l := range []int{n, n - 5} {
				w, g, m, v, vm := make([]float32, l), make([]float32, l), make([]float32, l), make([]float32, l), make([]float32, l)
				for k := range l {
					vm[k] = vms[k%len(vms)]
					v[k] = vs[k/len(vms)%len(vs)]
					g[k] = gs[k/(len(vms)*len(vs))]
					m[k] = g[k]
					if g[k] != 0 {
						w[k] = 0.25 // else 0: weight decay leaves d at ±0
					}
				}
				ww, wm, wv, wvm := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...), append([]float32(nil), vm...)
				adamGeneric(ww, g, wm, wv, wvm, p)
				posZero := 0 // elements whose -0 in vmax the reference turns to +0
				for k := range l {
					if math.Signbit(float64(vm[k])) && wvm[k] == 0 && !math.Signbit(float64(wvm[k])) {
						posZero++
					}
				}
				if posZero == 0 {
					t.Fatalf("case %d: no max(-0, +0) in the data", ci)
				}
				AdamStep(w, g, m, v, vm, p)
				name := fmt.Sprintf("case %d n=%d", ci, l)
				sameBitsSlice(t, name+" vmax", vm, wvm)
				sameBitsSlice(t, name+" v", v, wv)
				sameBitsSlice(t, name+" m", m, wm)
				sameBitsSlice(t, name+" w", w, ww)
			}
		}
	})
}

// BenchmarkAdamStep runs the update with every implementation (generic
// included, as the baseline), AdamW and AMSGrad on; MB/s counts the bytes
// read and written (w, m, v, vmax both ways, g once: 36 per element).
func BenchmarkAdamStep(b *testing.B) {
	const n = 1 << 20
	rng := tensor.NewRNG(1)
	w, g, m := adamState(rng, n, false), adamState(rng, n, false), adamState(rng, n, false)
	v, vmax := adamState(rng, n, true), adamState(rng, n, true)
	p := AdamParams{Beta1: 0.9, OneMinusBeta1: 0.1, Beta2: 0.999, OneMinusBeta2: 0.001, Eps: 1e-8,
		BC2Sqrt: 0.05, StepSize: 1e-3, Decay: 0.9999, AMSGrad: true}
	for _, name := range Available() {
		b.Run("impl="+name+"/n=1M", func(b *testing.B) {
			if err := Use(name, func() {
				b.ReportAllocs()
				b.SetBytes(36 * n)
				for b.Loop() {
					AdamStep(w, g, m, v, vmax, p)
				}
			}); err != nil {
				b.Fatal(err)
			}
		})
	}
}
