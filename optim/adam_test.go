package optim

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// TestAdamMatchesScalarLoop runs Adam and AdamW (with weight decay and
// AMSGrad) for 4 steps through kernels.AdamStep, under every kernel
// implementation, and through the scalar Go loop Step used before
// (legacyAdamStep), on tensors of odd sizes, one large enough to be split
// across threads, and one without gradient. On amd64, where Go fuses no
// multiply-adds, the two agree bit for bit; elsewhere the Go loop may fuse
// (arm64 does), so they must agree within 4 float32 ulps of the larger of
// |w| and 0.125: w - lr*(...) cancels to small weights whose ulps are finer
// than those of the updates, which sum to at most about 0.1 over 4 steps.
func TestAdamMatchesScalarLoop(t *testing.T) {
	cfgs := map[string]func(p []*nn.Value) *Adam{
		"adam": func(p []*nn.Value) *Adam { return NewAdam(p, DefaultAdam(1e-2)) },
		"adam_l2_ams": func(p []*nn.Value) *Adam {
			c := DefaultAdam(1e-2)
			c.WeightDecay, c.AMSGrad = 0.1, true
			return NewAdam(p, c)
		},
		"adamw": func(p []*nn.Value) *Adam { return NewAdamW(p, DefaultAdamW(1e-2)) },
		"adamw_ams": func(p []*nn.Value) *Adam {
			return NewAdamW(p, AdamConfig{LR: 0.02, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.5, AMSGrad: true})
		},
	}
	params := func() []*nn.Value {
		rng := tensor.NewRNG(5)
		var ps []*nn.Value
		for _, n := range []int{1, 7, 33, 1000, 100003} {
			ps = append(ps, nn.Param(rng.Randn(n)))
		}
		return append(ps, nn.Param(rng.Randn(9))) // never gets a gradient
	}
	for _, impl := range kernels.Available() {
		for name, mk := range cfgs {
			t.Run(fmt.Sprintf("impl=%s/%s", impl, name), func(t *testing.T) {
				a, b := params(), params()
				oa, ob := mk(a), mk(b)
				rng := tensor.NewRNG(9)
				for step := range 4 {
					for i := range len(a) - 1 {
						rng.FillNormal(a[i].GradTensor(), 0, 1)
						b[i].GradTensor().CopyFrom(a[i].Grad)
					}
					if err := kernels.Use(impl, oa.Step); err != nil {
						t.Fatal(err)
					}
					legacyAdamStep(ob)
					for i := range a {
						checkULPs(t, fmt.Sprintf("step %d param %d", step, i), a[i].Data.Data, b[i].Data.Data)
					}
					for i := range len(a) - 1 {
						checkULPs(t, fmt.Sprintf("step %d exp_avg_sq %d", step, i), oa.v[i].Data, ob.v[i].Data)
						if oa.vm[i] != nil {
							checkULPs(t, fmt.Sprintf("step %d max_exp_avg_sq %d", step, i), oa.vm[i].Data, ob.vm[i].Data)
						}
					}
				}
			})
		}
	}
}

// checkULPs fails t unless got equals want bit for bit on amd64, or within
// 4 ulps of max(|want|, 0.125) elsewhere.
func checkULPs(t *testing.T, name string, got, want []float32) {
	t.Helper()
	rtol := 0.0
	if runtime.GOARCH != "amd64" {
		rtol = 4.0 / (1 << 23)
	}
	for k := range got {
		d := math.Abs(float64(got[k]) - float64(want[k]))
		if math.Float32bits(got[k]) != math.Float32bits(want[k]) && !(d <= rtol*max(math.Abs(float64(want[k])), 0.125)) {
			t.Fatalf("%s[%d] = %v, want %v", name, k, got[k], want[k])
		}
	}
}
