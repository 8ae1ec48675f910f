package nn

import (
	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/tensor"
)

// Linear returns x W^T + b for x [..., F], W [O, F] (PyTorch's layout) and
// b [O] (nil for none); the result is [..., O]. Leading dimensions are
// flattened into rows for one GEMM.
func Linear(x, w, b *Value) *Value {
	e := execOf(x, w, b)
	xs, ws := x.Data.Shape, w.Data.Shape
	if len(xs) < 1 || len(ws) != 2 || ws[1] != xs[len(xs)-1] {
		tensor.Panicf("nn", "Linear: input %v and weight %v do not match; want input [..., F] and weight [O, F]", xs, ws)
	}
	o, f := ws[0], ws[1]
	checkBias("Linear", b, o)
	m := tensor.Numel(xs[:len(xs)-1])
	shape := append(append(make([]int, 0, len(xs)), xs[:len(xs)-1]...), o)
	y := e.Alloc(shape...)
	// y [m, o] = x [m, f] * w^T.
	kernels.Sgemm(false, true, m, o, f, 1, x.Data.Data, f, w.Data.Data, f, 0, y.Data, o)
	if b != nil {
		kernels.AddBias(y.Data, b.Data.Data, m, o)
	}
	return NewResult(y, func(out *Value) {
		dy := out.Grad.Data
		if x.RequiresGrad {
			// dx [m, f] += dy [m, o] * w [o, f]: GEMM accumulates with beta = 1.
			dx := x.GradTensor()
			kernels.Sgemm(false, false, m, f, o, 1, dy, o, w.Data.Data, f, 1, dx.Data, f)
		}
		if w.RequiresGrad {
			// dw [o, f] += dy^T [o, m] * x [m, f].
			dw := w.GradTensor()
			kernels.Sgemm(true, false, o, f, m, 1, dy, o, x.Data.Data, f, 1, dw.Data, f)
		}
		accumGrad(e, b, func(db []float32) { kernels.SumRows(db, dy, m, o) })
	}, x, w, b)
}
