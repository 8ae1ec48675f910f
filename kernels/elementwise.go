package kernels

import "github.com/lungo-ml/lungo/tensor"

// Elementwise kernels on flat float32 slices and the row/column helpers
// AddBias and SumRows on row-major [M, C] matrices. All destinations are
// overwritten (Axpy and AddBias accumulate, as their names say). Unless
// stated, a destination may alias a source of the same length.

// ReLU computes y = max(x, 0); y may alias x. NaN propagates.
func ReLU(y, x []float32) {
	checkSameLen("ReLU", "x", len(x), "y", len(y))
	if f := Active().ReLU; f != nil {
		f(y, x)
		return
	}
	reluGeneric(y, x)
}

// ReLUBackward computes dx = dy where y > 0, else 0 (y is the forward
// output). dx may alias dy.
func ReLUBackward(dx, dy, y []float32) {
	checkSameLen("ReLUBackward", "dy", len(dy), "dx", len(dx))
	checkSameLen("ReLUBackward", "dy", len(dy), "y", len(y))
	if f := Active().ReLUBackward; f != nil {
		f(dx, dy, y)
		return
	}
	reluBackwardGeneric(dx, dy, y)
}

// Sigmoid computes y = 1/(1+exp(-x)), stable for large |x| (it never
// overflows and saturates to exactly 0 or 1). y may alias x.
func Sigmoid(y, x []float32) {
	checkSameLen("Sigmoid", "x", len(x), "y", len(y))
	sigmoidGeneric(y, x)
}

// SigmoidBackward computes dx = dy*y*(1-y) (y is the forward output).
func SigmoidBackward(dx, dy, y []float32) {
	checkSameLen("SigmoidBackward", "dy", len(dy), "dx", len(dx))
	checkSameLen("SigmoidBackward", "dy", len(dy), "y", len(y))
	sigmoidBackwardGeneric(dx, dy, y)
}

// Add computes y = a + b (elementwise, equal lengths); y may alias a or b.
func Add(y, a, b []float32) {
	checkSameLen("Add", "a", len(a), "b", len(b))
	checkSameLen("Add", "a", len(a), "y", len(y))
	if f := Active().Add; f != nil {
		f(y, a, b)
		return
	}
	addGeneric(y, a, b)
}

// Mul computes y = a * b elementwise; y may alias a or b.
func Mul(y, a, b []float32) {
	checkSameLen("Mul", "a", len(a), "b", len(b))
	checkSameLen("Mul", "a", len(a), "y", len(y))
	mulGeneric(y, a, b)
}

// Scale computes y = alpha * x; y may alias x.
func Scale(y []float32, alpha float32, x []float32) {
	checkSameLen("Scale", "x", len(x), "y", len(y))
	scaleGeneric(y, alpha, x)
}

// Axpy computes y += alpha * x.
func Axpy(y []float32, alpha float32, x []float32) {
	checkSameLen("Axpy", "x", len(x), "y", len(y))
	axpyGeneric(y, alpha, x)
}

// Sum returns the sum of x accumulated in float64. The result does not
// depend on the number of threads.
func Sum(x []float32) float64 { return sumGeneric(x) }

// Dot returns the dot product of x and y accumulated in float64. The result
// does not depend on the number of threads.
func Dot(x, y []float32) float64 {
	checkSameLen("Dot", "x", len(x), "y", len(y))
	return dotGeneric(x, y)
}

// AddBias computes y[i, j] += b[j] for y [M, C] and b [C].
func AddBias(y, b []float32, m, c int) {
	checkMatrix("AddBias", "y", len(y), m, c)
	checkLen("AddBias", "b", len(b), c)
	addBiasGeneric(y, b, m, c)
}

// SumRows computes out[j] (overwritten) = sum over i of x[i, j] for x
// [M, C] and out [C], accumulated in float64. The result does not depend on
// the number of threads.
func SumRows(out, x []float32, m, c int) {
	checkMatrix("SumRows", "x", len(x), m, c)
	checkLen("SumRows", "out", len(out), c)
	sumRowsGeneric(out, x, m, c)
}

// checkSameLen panics unless two slices have the same length.
func checkSameLen(op, an string, a int, bn string, b int) {
	if a != b {
		tensor.Panicf("kernels", "%s: len(%s)=%d != len(%s)=%d", op, bn, b, an, a)
	}
}

// checkLen panics unless slice name has exactly want elements.
func checkLen(op, name string, got, want int) {
	if got != want {
		tensor.Panicf("kernels", "%s: len(%s)=%d, want %d", op, name, got, want)
	}
}

// checkMatrix panics unless m, c >= 0 and the slice holds an [m, c] matrix.
func checkMatrix(op, name string, got, m, c int) {
	if m < 0 || c < 0 {
		tensor.Panicf("kernels", "%s: negative size m=%d c=%d", op, m, c)
	}
	if got != m*c {
		tensor.Panicf("kernels", "%s: len(%s)=%d, want %d ([%d, %d])", op, name, got, m*c, m, c)
	}
}
