package optim

import (
	"fmt"
	"testing"

	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// unet34Shapes are the parameter shapes of a U-Net with a ResNet34 encoder
// (segmentation_models_pytorch, 1 input channel, decoder channels 256, 128,
// 64, 32, 16, one class): 24.4M parameters in 152 tensors, mostly 3x3 convs.
func unet34Shapes() [][]int {
	var s [][]int
	conv := func(o, i, k int) { s = append(s, []int{o, i, k, k}) }
	bn := func(c int) { s = append(s, []int{c}, []int{c}) }
	conv(64, 1, 7)
	bn(64)
	in := 64
	for li, blocks := range []int{3, 4, 6, 3} {
		c := 64 << li
		for b := range blocks {
			conv(c, in, 3)
			bn(c)
			conv(c, c, 3)
			bn(c)
			if b == 0 && in != c {
				conv(c, in, 1)
				bn(c)
			}
			in = c
		}
	}
	for _, d := range [][3]int{{512, 256, 256}, {256, 128, 128}, {128, 64, 64}, {64, 64, 32}, {32, 0, 16}} {
		conv(d[2], d[0]+d[1], 3)
		bn(d[2])
		conv(d[2], d[2], 3)
		bn(d[2])
	}
	conv(1, 16, 3)
	s = append(s, []int{1})
	return s
}

// benchParams returns the U-Net-ResNet34 parameters with random weights and
// gradients, and their count.
func benchParams() ([]*nn.Value, int) {
	rng := tensor.NewRNG(1)
	var params []*nn.Value
	n := 0
	for _, sh := range unet34Shapes() {
		p := nn.Param(rng.Randn(sh...))
		rng.FillNormal(p.GradTensor(), 0, 1e-3)
		params = append(params, p)
		n += len(p.Data.Data)
	}
	return params, n
}

// BenchmarkOptimizerStep measures one update of a U-Net-ResNet34's 24.4M
// parameters with the optimizers' Step (impl=kernels) and, as the baseline,
// the scalar Go loops they replaced (impl=goloop), reporting ns per
// parameter and the memory traffic in GB/s (Adam reads w, g, m, v and
// writes w, m, v: 28 bytes per parameter, 36 with AMSGrad; SGD with
// momentum 20). Run with -cpu 1,2 for one and two threads.
func BenchmarkOptimizerStep(b *testing.B) {
	params, n := benchParams()
	type opt struct {
		name  string
		bytes int
		make  func() (Optimizer, func())
	}
	opts := []opt{
		{"adamw", 28, func() (Optimizer, func()) {
			o := NewAdamW(params, DefaultAdamW(1e-3))
			return o, func() { legacyAdamStep(o) }
		}},
		{"adam-l2", 28, func() (Optimizer, func()) {
			c := DefaultAdam(1e-3)
			c.WeightDecay = 1e-4
			o := NewAdam(params, c)
			return o, func() { legacyAdamStep(o) }
		}},
		{"adamw-amsgrad", 36, func() (Optimizer, func()) {
			c := DefaultAdamW(1e-3)
			c.AMSGrad = true
			o := NewAdamW(params, c)
			return o, func() { legacyAdamStep(o) }
		}},
		{"sgd-momentum", 20, func() (Optimizer, func()) {
			o := NewSGD(params, SGDConfig{LR: 1e-3, Momentum: 0.9, WeightDecay: 1e-4})
			return o, func() { legacySGDStep(o) }
		}},
	}
	for _, op := range opts {
		for _, impl := range []string{"goloop", "kernels"} {
			b.Run(fmt.Sprintf("opt=%s/impl=%s/params=24.4M", op.name, impl), func(b *testing.B) {
				o, legacy := op.make()
				step := o.Step
				if impl == "goloop" {
					step = legacy
				}
				step() // allocates the state
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					step()
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(sec*1e9/float64(n), "ns/param")
				b.ReportMetric(float64(op.bytes*n)/sec/1e9, "GB/s")
			})
		}
	}
}

// BenchmarkClipGradNorm measures the norm (no scaling) of the U-Net's 24.4M
// gradients with ClipGradNorm (impl=threaded) and the serial float64 loop
// it replaced (impl=serial).
func BenchmarkClipGradNorm(b *testing.B) {
	params, n := benchParams()
	for _, impl := range []string{"serial", "threaded"} {
		b.Run("impl="+impl+"/params=24.4M", func(b *testing.B) {
			clip := ClipGradNorm
			if impl == "serial" {
				clip = legacyClipGradNorm
			}
			b.ReportAllocs()
			for range b.N {
				clip(params, 1e9) // norm only: no scaling
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(sec*1e9/float64(n), "ns/param")
			b.ReportMetric(float64(4*n)/sec/1e9, "GB/s")
		})
	}
}

// BenchmarkZeroGrad measures zeroing the U-Net's 24.4M gradients.
func BenchmarkZeroGrad(b *testing.B) {
	params, n := benchParams()
	o := NewSGD(params, SGDConfig{LR: 1})
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		o.ZeroGrad()
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(sec*1e9/float64(n), "ns/param")
	b.ReportMetric(float64(4*n)/sec/1e9, "GB/s")
}
