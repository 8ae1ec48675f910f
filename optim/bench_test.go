package optim

import (
	"fmt"
	"testing"

	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// BenchmarkOptimizerStep measures one update of 4M parameters (a 1M and a
// 3M tensor), reporting parameters updated per second.
func BenchmarkOptimizerStep(b *testing.B) {
	rng := tensor.NewRNG(1)
	for _, name := range []string{"sgd-momentum", "adam", "adamw-amsgrad"} {
		b.Run(fmt.Sprintf("opt=%s/params=4M", name), func(b *testing.B) {
			params := []*nn.Value{nn.Param(rng.Randn(1 << 20)), nn.Param(rng.Randn(3 << 20))}
			for _, p := range params {
				rng.FillNormal(p.GradTensor(), 0, 1)
			}
			var o Optimizer
			switch name {
			case "sgd-momentum":
				o = NewSGD(params, SGDConfig{LR: 1e-3, Momentum: 0.9, WeightDecay: 1e-4})
			case "adam":
				o = NewAdam(params, DefaultAdam(1e-3))
			default:
				c := DefaultAdamW(1e-3)
				c.AMSGrad = true
				o = NewAdamW(params, c)
			}
			o.Step()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				o.Step()
			}
			b.ReportMetric(float64(4<<20)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mparam/s")
		})
	}
}

// BenchmarkClipGradNorm measures the norm and scaling of 4M gradients.
func BenchmarkClipGradNorm(b *testing.B) {
	rng := tensor.NewRNG(1)
	p := nn.Param(tensor.New(4 << 20))
	rng.FillNormal(p.GradTensor(), 0, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		ClipGradNorm([]*nn.Value{p}, 1e9) // norm only: no scaling
	}
	b.ReportMetric(float64(4<<20)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mparam/s")
}
