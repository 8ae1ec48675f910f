package kernels

import "github.com/lungo-ml/lungo/tensor"

// PoolParams describes a 2-D pooling window over x [N, H, W, C] giving
// y [N, OutH, OutW, C]; OutH = (H + 2*PadH - R)/StrideH + 1 (floor mode, as
// PyTorch's default ceil_mode=False). As in PyTorch, the padding may be at
// most half the window (PadH <= R/2, PadW <= S/2), so every window holds at
// least one input cell.
type PoolParams struct {
	N, H, W, C       int
	R, S             int
	StrideH, StrideW int
	PadH, PadW       int
}

// OutH returns the output height (H + 2*PadH - R)/StrideH + 1.
func (p PoolParams) OutH() int { return (p.H+2*p.PadH-p.R)/p.StrideH + 1 }

// OutW returns the output width (W + 2*PadW - S)/StrideW + 1.
func (p PoolParams) OutW() int { return (p.W+2*p.PadW-p.S)/p.StrideW + 1 }

// MaxPool2D computes y [N, OutH, OutW, C] (overwritten) and, if argmax !=
// nil, argmax [N, OutH, OutW, C]: the flat index h*W + w within its image
// plane of each output's maximum. The window is scanned row by row; the
// first maximum wins on ties and padding never wins. A NaN input propagates
// like PyTorch: the output is NaN and argmax points at the window's last NaN.
func MaxPool2D(y []float32, argmax []int32, x []float32, p PoolParams) {
	p.check("MaxPool2D")
	checkLen("MaxPool2D", "x", len(x), p.inLen())
	checkLen("MaxPool2D", "y", len(y), p.outLen())
	if argmax != nil && len(argmax) != p.outLen() {
		tensor.Panicf("kernels", "MaxPool2D: len(argmax)=%d, want %d", len(argmax), p.outLen())
	}
	if f := Active().MaxPool2D; f != nil && f(y, argmax, x, p) {
		return
	}
	maxPool2DGeneric(y, argmax, x, p)
}

// MaxPool2DBackward computes dx [N, H, W, C] (overwritten) from dy [N, OutH,
// OutW, C] and the argmax of MaxPool2D: each dy goes to the input cell that
// won its window (cells that won several windows get the sum).
func MaxPool2DBackward(dx, dy []float32, argmax []int32, p PoolParams) {
	p.check("MaxPool2DBackward")
	checkLen("MaxPool2DBackward", "dx", len(dx), p.inLen())
	checkLen("MaxPool2DBackward", "dy", len(dy), p.outLen())
	if len(argmax) != p.outLen() {
		tensor.Panicf("kernels", "MaxPool2DBackward: len(argmax)=%d, want %d", len(argmax), p.outLen())
	}
	maxPool2DBackwardGeneric(dx, dy, argmax, p)
}

// AvgPool2D computes y [N, OutH, OutW, C] (overwritten), the window means;
// padded cells count in the divisor R*S (PyTorch's count_include_pad=True).
func AvgPool2D(y, x []float32, p PoolParams) {
	p.check("AvgPool2D")
	checkLen("AvgPool2D", "x", len(x), p.inLen())
	checkLen("AvgPool2D", "y", len(y), p.outLen())
	avgPool2DGeneric(y, x, p)
}

// AvgPool2DBackward computes dx [N, H, W, C] (overwritten) from dy [N, OutH,
// OutW, C].
func AvgPool2DBackward(dx, dy []float32, p PoolParams) {
	p.check("AvgPool2DBackward")
	checkLen("AvgPool2DBackward", "dx", len(dx), p.inLen())
	checkLen("AvgPool2DBackward", "dy", len(dy), p.outLen())
	avgPool2DBackwardGeneric(dx, dy, p)
}

// GlobalAvgPool computes y [N, C] (overwritten) = mean over the HW cells of
// x [N, HW, C], accumulated in float64.
func GlobalAvgPool(y, x []float32, n, hw, c int) {
	checkGlobal("GlobalAvgPool", n, hw, c)
	checkLen("GlobalAvgPool", "x", len(x), n*hw*c)
	checkLen("GlobalAvgPool", "y", len(y), n*c)
	globalAvgPoolGeneric(y, x, n, hw, c)
}

// GlobalAvgPoolBackward computes dx [N, HW, C] (overwritten) = dy[n, c]/HW
// from dy [N, C].
func GlobalAvgPoolBackward(dx, dy []float32, n, hw, c int) {
	checkGlobal("GlobalAvgPoolBackward", n, hw, c)
	checkLen("GlobalAvgPoolBackward", "dx", len(dx), n*hw*c)
	checkLen("GlobalAvgPoolBackward", "dy", len(dy), n*c)
	globalAvgPoolBackwardGeneric(dx, dy, n, hw, c)
}

func checkGlobal(op string, n, hw, c int) {
	if n < 0 || hw < 1 || c < 0 {
		tensor.Panicf("kernels", "%s: bad sizes n=%d hw=%d c=%d", op, n, hw, c)
	}
}

func (p PoolParams) inLen() int  { return p.N * p.H * p.W * p.C }
func (p PoolParams) outLen() int { return p.N * p.OutH() * p.OutW() * p.C }

// check panics on sizes no pooling can have.
func (p PoolParams) check(op string) {
	if p.N < 0 || p.H < 1 || p.W < 1 || p.C < 0 || p.R < 1 || p.S < 1 || p.StrideH < 1 || p.StrideW < 1 {
		tensor.Panicf("kernels", "%s: bad sizes N=%d H=%d W=%d C=%d window %dx%d stride %dx%d", op, p.N, p.H, p.W, p.C, p.R, p.S, p.StrideH, p.StrideW)
	}
	if p.PadH < 0 || p.PadW < 0 || 2*p.PadH > p.R || 2*p.PadW > p.S {
		tensor.Panicf("kernels", "%s: padding %dx%d must be in [0, half the %dx%d window]", op, p.PadH, p.PadW, p.R, p.S)
	}
	if p.H+2*p.PadH < p.R || p.W+2*p.PadW < p.S {
		tensor.Panicf("kernels", "%s: %dx%d window larger than the padded %dx%d input", op, p.R, p.S, p.H+2*p.PadH, p.W+2*p.PadW)
	}
}
