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
