package unet_test

import (
	"fmt"

	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

func Example() {
	m, err := unet.New(unet.Config{Encoder: "resnet18", InChannels: 1, Classes: 1}, tensor.NewRNG(1))
	if err != nil {
		panic(err)
	}
	fmt.Println(nn.CountParameters(m), "parameters")
	x := tensor.New(1, 1, 64, 80) // NCHW; 80 is padded to 96 and cropped back
	probs, err := m.Predict(x)
	if err != nil {
		panic(err)
	}
	fmt.Println(probs.Shape)
	// Output:
	// 14321937 parameters
	// [1 1 64 80]
}

// Open works out the architecture of a PyTorch state dict from its keys and
// shapes, and refuses weights that leave part of the model unset.
func ExampleOpen() {
	m, err := unet.Open("../../testdata/unet_r18_views.pth", nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Config.Describe())

	// torchvision's ResNet-18 has no decoder: a model built from it would
	// run a random one.
	_, err = unet.Open("../../testdata/resnet18_tv.pth", nil)
	fmt.Println(err)
	// Output:
	// U-Net-ResNet18, 1 input channel, 2 classes, decoder 256-128-64-32-16
	// unet: encoder-only ResNet-18 weights (torchvision keys): decoder and segmentation head missing; to fine-tune from them use `lungo train -init-encoder FILE` or unet.LoadEncoder (file ../../testdata/resnet18_tv.pth)
}
