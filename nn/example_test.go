package nn_test

import (
	"context"
	"fmt"

	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// A small network: PyTorch-layout input, converted to channels-last once.
func ExampleSequential() {
	rng := tensor.NewRNG(1)
	net := nn.NewSequential(
		nn.NewConv2DLayer(rng, 1, 4, 3, 1, 1, false),
		nn.NewBatchNorm2DLayer(4),
		nn.NewReLULayer(),
		nn.NewMaxPool2DLayer(2, 0, 0),
		nn.NewUpsampleLayer("bilinear"),
		nn.NewConv2DLayer(rng, 4, 1, 1, 1, 0, true),
	)
	x := rng.Randn(2, 1, 8, 8) // [N, C, H, W]
	y := nn.ToNCHW(net.Forward(nn.ToNHWC(nn.Const(x))))
	fmt.Println("output", y.Shape())
	for _, p := range net.NamedParameters("") {
		fmt.Println(p.Name, p.Value.Shape())
	}
	for _, b := range net.NamedBuffers("") {
		fmt.Println(b.Name, b.Tensor.Shape)
	}
	// Output:
	// output [2 1 8 8]
	// 0.weight [4 1 3 3]
	// 1.weight [4]
	// 1.bias [4]
	// 5.weight [1 4 1 1]
	// 5.bias [1]
	// 1.running_mean [4]
	// 1.running_var [4]
	// 1.num_batches_tracked []
}

// A training loop that recycles its activations through an Arena.
func ExampleArena() {
	rng := tensor.NewRNG(2)
	net := nn.NewSequential(
		nn.NewConv2DLayer(rng, 1, 4, 3, 1, 1, true),
		nn.NewReLULayer(),
		nn.NewConv2DLayer(rng, 4, 1, 3, 1, 1, true),
	)
	x, target := rng.Randn(2, 8, 8, 1), rng.Rand(2, 8, 8, 1) // channels-last

	arena := nn.NewArena()
	ex := nn.NewExec(context.Background(), arena, true) // this loop's passes
	var losses []float32
	for step := 0; step < 20; step++ {
		nn.ZeroGrad(net)
		d := nn.Add(net.Forward(ex.Input(x)), nn.Scale(nn.Const(target), -1))
		loss := nn.Mean(nn.Mul(d, d))
		loss.Backward()
		losses = append(losses, loss.Item()) // read before Release
		for _, p := range nn.Parameters(net) {
			for i, g := range p.Grad.Data {
				p.Data.Data[i] -= 0.1 * g
			}
		}
		arena.Release() // every activation and intermediate gradient is recycled
	}
	fmt.Println("loss decreased:", losses[19] < losses[0]/2)
	// Output:
	// loss decreased: true
}
