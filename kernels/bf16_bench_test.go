package kernels

import (
	"fmt"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// BenchmarkBF16Conv2D times the bf16 convolution on U-Net shapes (batch 1,
// 3x3, stride 1, padding 1) for each implementation, float32's Conv2D in
// the same run as the baseline; GFLOP/s count the direct convolution's
// multiply-adds for the Winograd path too.
func BenchmarkBF16Conv2D(b *testing.B) {
	for _, s := range [][3]int{{64, 64, 128}, {128, 128, 64}, {256, 256, 32}, {512, 512, 16}} {
		c, k, hw := s[0], s[1], s[2]
		rng := tensor.NewRNG(1)
		w := rng.Randn(k, c, 3, 3).Data
		cv := PackBF16Conv(w, nil, k, c, 3, 3, 1, 1)
		cw := PackBF16Winograd(w, nil, k, c, 1)
		x, _ := guardedBF16Image(rng, 1, hw, hw, c, 1, 0)
		y := NewBF16Image(1, hw, hw, k, 1)
		flops := 2 * float64(k*c*9*hw*hw)
		shape := fmt.Sprintf("%dx%dx%d", c, k, hw)
		for _, name := range BF16Impls() {
			if name == "generic" {
				continue
			}
			im := bf16ImplNamed(name)
			for _, v := range []struct {
				name string
				cv   *BF16Conv
			}{{"direct", cv}, {"winograd", cw}} {
				b.Run("impl="+name+"/"+v.name+"/shape="+shape, func(b *testing.B) {
					b.ReportAllocs()
					for i := 0; i < b.N; i++ {
						bf16Conv2D(&im, y, x, v.cv, nil, true)
					}
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
		xf := rng.Randn(1, hw, hw, c).Data
		yf := make([]float32, hw*hw*k)
		p := ConvParams{N: 1, H: hw, W: hw, C: c, K: k, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
		b.Run("impl=fp32-"+Active().Name+"/shape="+shape, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				Conv2D(yf, xf, w, nil, p)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
