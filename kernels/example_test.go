package kernels_test

import (
	"fmt"

	"github.com/lungo-ml/lungo/kernels"
)

// A 3x3 convolution with padding 1 on a 1x3x3x1 NHWC image: the all-ones
// kernel sums each cell's neighbourhood.
func ExampleConv2D() {
	p := kernels.ConvParams{N: 1, H: 3, W: 3, C: 1, K: 1, R: 3, S: 3,
		StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	w := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	y := make([]float32, p.N*p.OutH()*p.OutW()*p.K)
	kernels.Conv2D(y, x, w, []float32{0.5}, p)
	fmt.Println(y)
	// Output: [12.5 21.5 16.5 27.5 45.5 33.5 24.5 39.5 28.5]
}

// Max pooling 2x2 with stride 2 keeps each window's maximum and where it was.
func ExampleMaxPool2D() {
	p := kernels.PoolParams{N: 1, H: 2, W: 4, C: 1, R: 2, S: 2, StrideH: 2, StrideW: 2}
	x := []float32{1, 5, 2, 0, 3, 4, 8, 8}
	y, argmax := make([]float32, 2), make([]int32, 2)
	kernels.MaxPool2D(y, argmax, x, p)
	fmt.Println(y, argmax)
	// Output: [5 8] [1 6]
}

// Selecting an implementation for a block of code, as the tests and
// benchmarks do.
func ExampleUse() {
	y := make([]float32, 3)
	_ = kernels.Use("generic", func() {
		kernels.ReLU(y, []float32{-1, 0.5, 2})
	})
	fmt.Println(y)
	// Output: [0 0.5 2]
}
