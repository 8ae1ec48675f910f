package bench

import (
	"fmt"

	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/optim"
	"github.com/lungo-ml/lungo/tensor"
)

// The "model" suite: the whole U-Net-ResNet34 (1 input channel), inference
// at batch 1 and a training step (forward, BCE, backward, Adam), at the
// sizes of the reference numbers in ../shared/ref/README.md.

func init() { RegisterSuite("model", ModelCases) }

// unetConvFlops is the forward convolution work of one 1-channel
// U-Net-ResNet34 image at 256x256 (15.4 GFLOP, as counted by the reference);
// it scales with the pixel count. A training step is counted as three
// forward passes (forward, input gradients, weight gradients).
const unetConvFlops256 = 15.4e9

// ModelCases returns the "model" suite.
func ModelCases() []Case {
	var cs []Case
	for _, s := range []int{256, 512, 1024} {
		cs = append(cs, UnetInferCase("resnet34", 1, s))
	}
	cs = append(cs, UnetTrainCase("resnet34", 4, 256), UnetTrainCase("resnet34", 2, 512))
	return cs
}

func unetFlops(batch, size int) float64 {
	return unetConvFlops256 * float64(batch) * float64(size*size) / (256 * 256)
}

func newUnet(encoder string) *unet.Model {
	cfg, err := unet.ParseArch(encoder, 1)
	if err != nil {
		panic("bench: " + err.Error())
	}
	return unet.MustNew(cfg, tensor.NewRNG(1))
}

// UnetInferCase times Predict (evaluation mode, no graph) on a random image.
func UnetInferCase(encoder string, batch, size int) Case {
	return Case{Op: "unet-" + encoder + " infer", Shape: fmt.Sprintf("bs%d 1x%dx%d", batch, size, size),
		Flops: unetFlops(batch, size),
		Setup: func() func() {
			m := newUnet(encoder)
			x := tensor.NewRNG(2).Randn(batch, 1, size, size)
			return func() {
				if _, err := m.Predict(x); err != nil {
					panic("bench: " + err.Error())
				}
			}
		}}
}

// UnetTrainCase times one training step: forward, BCE with logits,
// backward, Adam, with the activations drawn from an nn.Arena.
func UnetTrainCase(encoder string, batch, size int) Case {
	return Case{Op: "unet-" + encoder + " train", Shape: fmt.Sprintf("bs%d 1x%dx%d", batch, size, size),
		Flops: 3 * unetFlops(batch, size),
		Setup: func() func() {
			m := newUnet(encoder)
			rng := tensor.NewRNG(2)
			x := rng.Randn(batch, 1, size, size)
			y := tensor.New(batch, 1, size, size)
			for i := range y.Data {
				if rng.Float32() < 0.1 {
					y.Data[i] = 1
				}
			}
			opt := optim.NewAdam(nn.Parameters(m), optim.DefaultAdam(1e-4))
			ex := nn.NewExec(nil, nn.NewArena(), true)
			return func() {
				opt.ZeroGrad()
				mask, _ := m.Forward(ex.Input(x))
				loss := nn.BCEWithLogits(mask, y, nil)
				loss.Backward()
				opt.Step()
				ex.Arena().Release()
			}
		}}
}
