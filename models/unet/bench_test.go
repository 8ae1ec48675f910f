package unet

import (
	"fmt"
	"testing"

	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/optim"
	"github.com/lungo-ml/lungo/tensor"
)

// unet34FLOPs is the convolution work of U-Net-ResNet34 (1 input channel)
// on n images of h x w: 15.4 GFLOP per 256x256 image (/work/shared/ref/README.md),
// proportional to the area.
func unet34FLOPs(n, h, w int) float64 { return 15.4e9 * float64(n) * float64(h*w) / (256 * 256) }

// BenchmarkPredict: U-Net-ResNet34, 1 input channel, eval + NoGrad.
func BenchmarkPredict(b *testing.B) {
	for _, size := range []int{256} {
		b.Run(fmt.Sprintf("resnet34/bs1/%d", size), func(b *testing.B) {
			m := MustNew(Config{Encoder: "resnet34", InChannels: 1}, tensor.NewRNG(1))
			x := tensor.NewRNG(2).Randn(1, 1, size, size)
			if _, err := m.Predict(x); err != nil { // warm-up
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := m.Predict(x); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(unet34FLOPs(1, size, size)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkTrainStep: forward in train mode, BCE, backward and an AdamW step
// on a bs x 1 x size x size batch, activations from an nn.Arena.
func BenchmarkTrainStep(b *testing.B) {
	for _, c := range []struct{ bs, size int }{{2, 128}} {
		b.Run(fmt.Sprintf("resnet34/bs%d/%d", c.bs, c.size), func(b *testing.B) {
			m := MustNew(Config{Encoder: "resnet34", InChannels: 1}, tensor.NewRNG(1))
			rng := tensor.NewRNG(2)
			x := rng.Randn(c.bs, 1, c.size, c.size)
			y := tensor.New(c.bs, 1, c.size, c.size)
			for i := range y.Data {
				if rng.Float32() < 0.1 {
					y.Data[i] = 1
				}
			}
			opt := optim.NewAdamW(nn.Parameters(m), optim.DefaultAdamW(1e-4))
			arena := nn.NewArena()
			ex := nn.NewExec(nil, arena, true)
			step := func() {
				mask, _ := m.Forward(ex.Input(x))
				loss := nn.BCEWithLogits(mask, y, nil)
				loss.Backward()
				opt.Step()
				opt.ZeroGrad()
				arena.Release()
			}
			// The first step allocates the optimizer state, gradients and
			// arena buffers; the second fills the kernels' scratch pools.
			step()
			step()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				step()
			}
			// Backward costs about twice the forward.
			b.ReportMetric(3*unet34FLOPs(c.bs, c.size, c.size)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
