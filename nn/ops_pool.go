package nn

import (
	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/tensor"
)

// poolParams validates a square pooling window over x and returns its
// parameters and output size.
func poolParams(op string, x *Value, k, stride, pad int) (kernels.PoolParams, int, int) {
	n, h, w, c := dims4(op, x)
	if k < 1 || stride < 1 || pad < 0 || 2*pad > k {
		tensor.Panicf("nn", "%s: kernel %d, stride %d, pad %d: want kernel, stride >= 1 and 0 <= pad <= kernel/2", op, k, stride, pad)
	}
	p := kernels.PoolParams{N: n, H: h, W: w, C: c, R: k, S: k, StrideH: stride, StrideW: stride, PadH: pad, PadW: pad}
	oh := (h+2*pad-k)/stride + 1
	ow := (w+2*pad-k)/stride + 1
	if h+2*pad < k || w+2*pad < k {
		tensor.Panicf("nn", "%s: input %v smaller than the %dx%d window (pad %d)", op, x.Data.Shape, k, k, pad)
	}
	return p, oh, ow
}

// MaxPool2D returns the maximum over k x k windows of x [N, H, W, C] with the
// given stride and (never winning) padding, as torch's max_pool2d with
// ceil_mode=False: [N, OutH, OutW, C], OutH = (H + 2*pad - k)/stride + 1.
// It keeps the argmax of each window for backward; the gradient goes to the
// first maximum.
func MaxPool2D(x *Value, k, stride, pad int) *Value {
	e := execOf(x)
	p, oh, ow := poolParams("MaxPool2D", x, k, stride, pad)
	y := e.Alloc(p.N, oh, ow, p.C)
	var argmax []int32
	if e.Grad() && x.RequiresGrad {
		argmax = e.int32s(len(y.Data))
	}
	kernels.MaxPool2D(y.Data, argmax, x.Data.Data, p)
	return NewResult(y, func(out *Value) {
		accumGrad(e, x, func(dx []float32) { kernels.MaxPool2DBackward(dx, out.Grad.Data, argmax, p) })
	}, x)
}

// AvgPool2D returns the mean over k x k windows of x [N, H, W, C], padded
// cells counting in the divisor (PyTorch's avg_pool2d defaults:
// count_include_pad=True, ceil_mode=False).
func AvgPool2D(x *Value, k, stride, pad int) *Value {
	e := execOf(x)
	p, oh, ow := poolParams("AvgPool2D", x, k, stride, pad)
	y := e.Alloc(p.N, oh, ow, p.C)
	kernels.AvgPool2D(y.Data, x.Data.Data, p)
	return NewResult(y, func(out *Value) {
		accumGrad(e, x, func(dx []float32) { kernels.AvgPool2DBackward(dx, out.Grad.Data, p) })
	}, x)
}

// GlobalAvgPool returns the mean over H and W of x [N, H, W, C] as [N, C]
// (adaptive_avg_pool2d to 1x1, flattened).
func GlobalAvgPool(x *Value) *Value {
	e := execOf(x)
	n, h, w, c := dims4("GlobalAvgPool", x)
	if h*w == 0 {
		tensor.Panicf("nn", "GlobalAvgPool: empty spatial size in %v", x.Data.Shape)
	}
	y := e.Alloc(n, c)
	kernels.GlobalAvgPool(y.Data, x.Data.Data, n, h*w, c)
	return NewResult(y, func(out *Value) {
		accumGrad(e, x, func(dx []float32) { kernels.GlobalAvgPoolBackward(dx, out.Grad.Data, n, h*w, c) })
	}, x)
}
