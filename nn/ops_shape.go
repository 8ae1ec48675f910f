package nn

import (
	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/tensor"
)

// Reshape returns x with a new shape and the same row-major data (shared,
// not copied); one dimension may be -1. On NHWC activations the order is
// channels-last: convert with ToNCHW first to match PyTorch's view of an
// NCHW tensor.
func Reshape(x *Value, shape ...int) *Value {
	e := execOf(x)
	shape = inferShape(x.Data, shape)
	y := e.view(x.Data.Data, shape...)
	return NewResult(y, func(out *Value) {
		accumGrad(e, x, func(dx []float32) { copy(dx, out.Grad.Data) })
	}, x)
}

// inferShape resolves one -1 in shape for x's element count and panics
// unless the counts agree.
func inferShape(x *tensor.Tensor, shape []int) []int {
	infer, known := -1, 1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			tensor.Panicf("nn", "Reshape: bad shape %v for %v", shape, x.Shape)
		default:
			known *= d
		}
	}
	n := len(x.Data)
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			tensor.Panicf("nn", "Reshape: cannot reshape %v (%d elements) to %v", x.Shape, n, shape)
		}
		shape = append([]int(nil), shape...)
		shape[infer] = n / known
	} else if known != n {
		tensor.Panicf("nn", "Reshape: cannot reshape %v (%d elements) to %v", x.Shape, n, shape)
	}
	return shape
}

// Flatten returns x [N, ...] as [N, rest] (torch.flatten(x, 1)), in x's own
// element order (channels last for activations; see Reshape).
func Flatten(x *Value) *Value {
	if x.Data.Dim() < 1 {
		tensor.Panicf("nn", "Flatten: value has no batch dimension (shape %v)", x.Data.Shape)
	}
	n := x.Data.Shape[0]
	rest := 0
	if n > 0 {
		rest = len(x.Data.Data) / n
	}
	return Reshape(x, n, rest)
}

// Concat joins values along their last dimension (channels, for NHWC
// activations: torch.cat(dim=1) in PyTorch's layout). All leading
// dimensions must agree.
func Concat(xs ...*Value) *Value {
	e := execOf(xs...)
	if len(xs) == 0 {
		tensor.Panicf("nn", "Concat: no inputs")
	}
	lead := xs[0].Data.Shape
	if len(lead) == 0 {
		tensor.Panicf("nn", "Concat: inputs must have at least one dimension")
	}
	lead = lead[:len(lead)-1]
	cs := make([]int, len(xs))
	srcs := make([][]float32, len(xs))
	total := 0
	for i, x := range xs {
		s := x.Data.Shape
		if len(s) != len(lead)+1 || !tensor.SameShape(s[:len(s)-1], lead) {
			tensor.Panicf("nn", "Concat: input %d has shape %v, want %v plus a last (channel) dimension", i, s, lead)
		}
		cs[i] = s[len(s)-1]
		srcs[i] = x.Data.Data
		total += cs[i]
	}
	m := tensor.Numel(lead)
	shape := append(append(make([]int, 0, len(lead)+1), lead...), total)
	y := e.Alloc(shape...)
	kernels.ConcatChannels(y.Data, srcs, m, cs)
	return NewResult(y, func(out *Value) {
		dsts := make([][]float32, len(xs))
		accs := make([]*tensor.Tensor, len(xs))
		for i, x := range xs {
			dsts[i], accs[i] = gradDst(e, x)
		}
		kernels.SplitChannels(dsts, out.Grad.Data, m, cs)
		for i := range xs {
			gradDone(e, accs[i], dsts[i])
		}
	}, xs...)
}

// UpsampleNearest2x returns x [N, H, W, C] enlarged to [N, 2H, 2W, C] by
// repeating each pixel (torch's interpolate, mode="nearest", scale 2).
func UpsampleNearest2x(x *Value) *Value {
	e := execOf(x)
	n, h, w, c := dims4("UpsampleNearest2x", x)
	y := e.Alloc(n, 2*h, 2*w, c)
	kernels.UpsampleNearest2x(y.Data, x.Data.Data, n, h, w, c)
	return NewResult(y, func(out *Value) {
		accumGrad(e, x, func(dx []float32) { kernels.UpsampleNearest2xBackward(dx, out.Grad.Data, n, h, w, c) })
	}, x)
}

// UpsampleBilinear2x returns x [N, H, W, C] enlarged to [N, 2H, 2W, C] by
// bilinear interpolation with align_corners=False (torch's interpolate,
// mode="bilinear", scale 2).
func UpsampleBilinear2x(x *Value) *Value {
	e := execOf(x)
	n, h, w, c := dims4("UpsampleBilinear2x", x)
	y := e.Alloc(n, 2*h, 2*w, c)
	kernels.UpsampleBilinear2x(y.Data, x.Data.Data, n, h, w, c)
	return NewResult(y, func(out *Value) {
		accumGrad(e, x, func(dx []float32) { kernels.UpsampleBilinear2xBackward(dx, out.Grad.Data, n, h, w, c) })
	}, x)
}

// ToNHWC converts x from PyTorch's [N, C, H, W] to channels-last
// [N, H, W, C]; models call it once on their input.
func ToNHWC(x *Value) *Value {
	e := execOf(x)
	if x.Data.Dim() != 4 {
		tensor.Panicf("nn", "ToNHWC: input must be 4-D [N, C, H, W], got shape %v", x.Data.Shape)
	}
	n, c, h, w := x.Data.Shape[0], x.Data.Shape[1], x.Data.Shape[2], x.Data.Shape[3]
	y := e.Alloc(n, h, w, c)
	permute(y.Data, x.Data.Data, n, c, h*w)
	return NewResult(y, func(out *Value) {
		accumGrad(e, x, func(dx []float32) { permute(dx, out.Grad.Data, n, h*w, c) })
	}, x)
}

// ToNCHW converts x from channels-last [N, H, W, C] to PyTorch's
// [N, C, H, W]; models call it once on their output.
func ToNCHW(x *Value) *Value {
	e := execOf(x)
	n, h, w, c := dims4("ToNCHW", x)
	y := e.Alloc(n, c, h, w)
	permute(y.Data, x.Data.Data, n, h*w, c)
	return NewResult(y, func(out *Value) {
		accumGrad(e, x, func(dx []float32) { permute(dx, out.Grad.Data, n, c, h*w) })
	}, x)
}

// permute writes dst [n, b, a] = src [n, a, b] transposed per batch item,
// in tiles so that both sides stay in cache.
func permute(dst, src []float32, n, a, b int) {
	const tile = 32
	plane := a * b
	kernels.Parallel(n, 1, func(lo, hi int) {
		for bi := lo; bi < hi; bi++ {
			s, d := src[bi*plane:(bi+1)*plane], dst[bi*plane:(bi+1)*plane]
			for i0 := 0; i0 < a; i0 += tile {
				i1 := min(i0+tile, a)
				for j0 := 0; j0 < b; j0 += tile {
					j1 := min(j0+tile, b)
					for i := i0; i < i1; i++ {
						row := s[i*b:]
						for j := j0; j < j1; j++ {
							d[j*a+i] = row[j]
						}
					}
				}
			}
		}
	})
}
