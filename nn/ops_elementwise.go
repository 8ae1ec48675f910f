package nn

import (
	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/tensor"
)

// Elementwise operations work on values of any shape; binary ones need equal
// shapes (there is no broadcasting).

// ReLU returns max(x, 0) elementwise. The gradient at 0 is 0, as in PyTorch.
func ReLU(x *Value) *Value {
	e := execOf(x)
	y := e.Alloc(x.Data.Shape...)
	kernels.ReLU(y.Data, x.Data.Data)
	return NewResult(y, func(out *Value) {
		accumGrad(e, x, func(dx []float32) { kernels.ReLUBackward(dx, out.Grad.Data, out.Data.Data) })
	}, x)
}

// Sigmoid returns 1/(1+exp(-x)) elementwise.
func Sigmoid(x *Value) *Value {
	e := execOf(x)
	y := e.Alloc(x.Data.Shape...)
	kernels.Sigmoid(y.Data, x.Data.Data)
	return NewResult(y, func(out *Value) {
		accumGrad(e, x, func(dx []float32) { kernels.SigmoidBackward(dx, out.Grad.Data, out.Data.Data) })
	}, x)
}

// Add returns a + b; a and b must have the same shape.
func Add(a, b *Value) *Value {
	e := execOf(a, b)
	tensor.MustSameShape("nn", "Add", a.Data.Shape, b.Data.Shape)
	y := e.Alloc(a.Data.Shape...)
	kernels.Add(y.Data, a.Data.Data, b.Data.Data)
	return NewResult(y, func(out *Value) {
		accumGrad(e, a, func(da []float32) { copy(da, out.Grad.Data) })
		accumGrad(e, b, func(db []float32) { copy(db, out.Grad.Data) })
	}, a, b)
}

// Mul returns a * b elementwise; a and b must have the same shape.
func Mul(a, b *Value) *Value {
	e := execOf(a, b)
	tensor.MustSameShape("nn", "Mul", a.Data.Shape, b.Data.Shape)
	y := e.Alloc(a.Data.Shape...)
	kernels.Mul(y.Data, a.Data.Data, b.Data.Data)
	return NewResult(y, func(out *Value) {
		accumGrad(e, a, func(da []float32) { kernels.Mul(da, out.Grad.Data, b.Data.Data) })
		accumGrad(e, b, func(db []float32) { kernels.Mul(db, out.Grad.Data, a.Data.Data) })
	}, a, b)
}

// Scale returns alpha * x.
func Scale(x *Value, alpha float32) *Value {
	e := execOf(x)
	y := e.Alloc(x.Data.Shape...)
	kernels.Scale(y.Data, alpha, x.Data.Data)
	return NewResult(y, func(out *Value) {
		accumGrad(e, x, func(dx []float32) { kernels.Scale(dx, alpha, out.Grad.Data) })
	}, x)
}

// Dropout zeroes each element of x with probability p, drawn from rng, and
// scales the survivors by 1/(1-p) (inverted dropout, as PyTorch), so that
// evaluation needs no rescaling. When training is false or p == 0 it returns
// x itself. p must lie in [0, 1]; p == 1 zeroes everything.
func Dropout(x *Value, p float32, rng *tensor.RNG, training bool) *Value {
	if !(p >= 0 && p <= 1) {
		tensor.Panicf("nn", "Dropout: p = %g, want 0 <= p <= 1", p)
	}
	if !training || p == 0 {
		return x
	}
	if rng == nil {
		tensor.Panicf("nn", "Dropout: nil RNG in training mode")
	}
	e := execOf(x)
	mask := e.Floats(len(x.Data.Data))
	keep := float32(0)
	if p < 1 {
		keep = 1 / (1 - p)
	}
	for i := range mask {
		if rng.Float32() < p {
			mask[i] = 0
		} else {
			mask[i] = keep
		}
	}
	y := e.Alloc(x.Data.Shape...)
	kernels.Mul(y.Data, x.Data.Data, mask)
	return NewResult(y, func(out *Value) {
		accumGrad(e, x, func(dx []float32) { kernels.Mul(dx, out.Grad.Data, mask) })
	}, x)
}

// Sum returns the sum of all elements of x as a zero-dimensional value,
// accumulated in float64.
func Sum(x *Value) *Value {
	e := execOf(x)
	y := e.Alloc()
	y.Data[0] = float32(kernels.Sum(x.Data.Data))
	return NewResult(y, func(out *Value) {
		g := out.Grad.Data[0]
		accumGrad(e, x, func(dx []float32) { fill(dx, g) })
	}, x)
}

// Mean returns the mean of all elements of x as a zero-dimensional value.
func Mean(x *Value) *Value {
	e := execOf(x)
	n := len(x.Data.Data)
	if n == 0 {
		tensor.Panicf("nn", "Mean: empty value of shape %v", x.Data.Shape)
	}
	y := e.Alloc()
	y.Data[0] = float32(kernels.Sum(x.Data.Data) / float64(n))
	return NewResult(y, func(out *Value) {
		g := out.Grad.Data[0] / float32(n)
		accumGrad(e, x, func(dx []float32) { fill(dx, g) })
	}, x)
}

func fill(x []float32, v float32) {
	for i := range x {
		x[i] = v
	}
}
