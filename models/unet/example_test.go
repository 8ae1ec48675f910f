package unet_test

import (
	"fmt"
	"os"
	"path/filepath"

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

// A lungo checkpoint carries the model's Config in its metadata: Open
// rebuilds the same architecture from the file alone, with the same
// weights, here a small U-Net with a classification head.
func ExampleOpen_checkpoint() {
	cfg := unet.Config{Encoder: "resnet18", InChannels: 1, Classes: 1, DecoderChannels: []int{32, 16, 16, 8, 8}, ClassHead: 1}
	m, err := unet.New(cfg, tensor.NewRNG(1))
	if err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "unet-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.lungo")
	if err := m.SaveCheckpoint(path, map[string]string{"epoch": "7"}); err != nil {
		panic(err)
	}

	back, err := unet.Open(path, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(back.Config.Describe())
	want, got := m.StateDict(), back.StateDict()
	same := want.Len() == got.Len()
	for _, k := range want.Keys {
		t, ok := got.Get(k)
		if !ok {
			same = false
			continue
		}
		for i, v := range want.Tensors[k].Data {
			same = same && t.Data[i] == v
		}
	}
	fmt.Println(want.Len(), "tensors, all equal:", same)
	// Output:
	// U-Net-ResNet18, 1 input channel, 1 class, decoder 32-16-16-8-8, class head of 1 output
	// 184 tensors, all equal: true
}
