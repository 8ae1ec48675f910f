package kernels

import (
	"fmt"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// BenchmarkInt8Conv2D times the int8 convolution on U-Net shapes (batch 1,
// 3x3, stride 1, padding 1) for each SIMD implementation, float32's Conv2D
// in the same run as the baseline. GOP/s counts a multiply-add as two.
func BenchmarkInt8Conv2D(b *testing.B) {
	for _, s := range [][3]int{{64, 64, 128}, {128, 128, 64}, {256, 256, 32}, {512, 512, 16}, {32, 16, 256}} {
		c, k, hw := s[0], s[1], s[2]
		rng := tensor.NewRNG(1)
		w := rng.Randn(k, c, 3, 3).Data
		cv := PackInt8Conv(w, nil, k, c, 3, 3, 1, 1, 0.02, 0, 0.05, 0)
		x, _ := randU8Image(rng, 1, hw, hw, c, 1, 0, 0.02, 0)
		y := NewU8Image(1, hw, hw, k, 1, 0.05, 0)
		ops := 2 * float64(k*c*9*hw*hw)
		shape := fmt.Sprintf("%dx%dx%d", c, k, hw)
		for _, name := range Int8Impls() {
			if name == "generic" {
				continue
			}
			im := int8ImplNamed(name)
			b.Run("impl="+name+"/shape="+shape, func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					int8Conv2D(im, y, x, cv, nil, true)
				}
				b.ReportMetric(ops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
			})
		}
		xf := rng.Randn(1, hw, hw, c).Data
		yf := make([]float32, hw*hw*k)
		p := ConvParams{N: 1, H: hw, W: hw, C: c, K: k, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
		b.Run("impl=fp32-"+Active().Name+"/shape="+shape, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				Conv2D(yf, xf, w, nil, p)
			}
			b.ReportMetric(ops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
