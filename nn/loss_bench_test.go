package nn

import (
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// BenchmarkLoss measures forward + backward of each loss on a batch of
// 8 masks of 256x256 ([8, 256, 256, 1]), reporting elements per second.
func BenchmarkLoss(b *testing.B) {
	rng := tensor.NewRNG(1)
	shape := []int{8, 256, 256, 1}
	x := rng.Randn(shape...)
	t := tensor.New(shape...)
	for i := range t.Data {
		if rng.Float64() < 0.1 {
			t.Data[i] = 1
		}
	}
	for _, c := range []struct {
		name string
		fn   func(*Value) *Value
	}{
		{"bce", func(v *Value) *Value { return BCEWithLogits(v, t, nil) }},
		{"dice-image", func(v *Value) *Value { return SoftDice(v, t, 1, true) }},
		{"focal", func(v *Value) *Value { return FocalLoss(v, t, 0.25, 2) }},
		{"lovasz-image", func(v *Value) *Value { return LovaszHinge(v, t, true) }},
	} {
		b.Run("loss="+c.name+"/shape=8x256x256", func(b *testing.B) {
			p := Param(x)
			b.ReportAllocs()
			for range b.N {
				p.ZeroGrad()
				c.fn(p).Backward()
			}
			b.ReportMetric(float64(len(x.Data))*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
		})
	}
}
