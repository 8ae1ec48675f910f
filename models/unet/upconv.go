package unet

import (
	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// The decoder's first convolution of each block reads the concatenation u
// of the upsampled input and the skip features, the largest tensor of the
// block ([N, 2H, 2W, C+K]: 64 MiB at 2x512x512 in each of the last two
// blocks). u is a copy of tensors the graph keeps anyway (x, saved by its
// batch norm and ReLU, and the skip features), so instead of keeping it from
// the forward pass to the weight gradient, upConcatConv builds it in arena
// scratch for the forward convolution, hands it back at once and rebuilds it
// (a copy, ~1% of the convolution's time) in the backward pass.

// upConcatConv returns conv(UpsampleConcat(x, skip)): the convolution of the
// nearest 2x upsampling of x [N, H, W, C] concatenated along channels with
// skip [N, 2H, 2W, K] (nil: no skip, K = 0), by conv (weight [O, C+K, R, S],
// optional bias). The result [N, OutH, OutW, O] and every gradient are those
// of nn.UpsampleConcat followed by conv.Forward, bit for bit; only u is not
// kept for the backward pass.
func upConcatConv(x, skip *nn.Value, conv *nn.Conv2DLayer) *nn.Value {
	xs := x.Data.Shape
	if len(xs) != 4 {
		tensor.Panicf("unet", "upConcatConv: x has shape %v, want [N, H, W, C]", xs)
	}
	n, h, w, c := xs[0], xs[1], xs[2], xs[3]
	k := 0
	if skip != nil {
		ss := skip.Data.Shape
		if len(ss) != 4 || ss[0] != n || ss[1] != 2*h || ss[2] != 2*w {
			tensor.Panicf("unet", "upConcatConv: skip has shape %v, want [%d, %d, %d, K] for x %v", ss, n, 2*h, 2*w, xs)
		}
		k = ss[3]
	}
	ct := c + k
	e := nn.ExecOf(x, skip)
	ws := conv.Weight.Data.Shape
	if len(ws) != 4 || ws[1] != ct {
		tensor.Panicf("unet", "upConcatConv: weight has shape %v, want [O, %d, R, S]", ws, ct)
	}
	p := kernels.ConvParams{N: n, H: 2 * h, W: 2 * w, C: ct, K: ws[0], R: ws[2], S: ws[3],
		StrideH: conv.Stride, StrideW: conv.Stride, PadH: conv.Padding, PadW: conv.Padding,
		DilH: conv.Dilation, DilW: conv.Dilation, Scratch: e.Scratch()}
	fill := func(u []float32) {
		var sd []float32
		if skip != nil {
			sd = skip.Data.Data
		}
		kernels.UpsampleNearest2xConcat(u, x.Data.Data, sd, n, h, w, c, k)
	}
	u := e.Floats(n * 4 * h * w * ct)
	fill(u)
	y := e.Alloc(n, p.OutH(), p.OutW(), p.K)
	var bias []float32
	if conv.Bias != nil {
		bias = conv.Bias.Data.Data
	}
	kernels.Conv2D(y.Data, u, conv.Weight.Data.Data, bias, p)
	e.Recycle(u)
	wt, b := conv.Weight, conv.Bias
	return nn.NewResult(y, func(out *nn.Value) {
		dy := out.Grad.Data
		if x.RequiresGrad || (skip != nil && skip.RequiresGrad) {
			du := e.Floats(len(u))
			kernels.Conv2DBackwardData(du, dy, wt.Data.Data, p)
			var dx, ds []float32
			if x.RequiresGrad {
				dx = x.GradTensor().Data
			}
			if skip != nil && skip.RequiresGrad {
				ds = skip.GradTensor().Data
			}
			kernels.UpsampleNearest2xConcatBackward(dx, ds, du, n, h, w, c, k, true)
			e.Recycle(du)
		}
		if wt.RequiresGrad || (b != nil && b.RequiresGrad) {
			u := e.Floats(len(u))
			fill(u)
			dw := e.Floats(wt.Data.Numel())
			var db []float32
			if b != nil {
				db = e.Floats(b.Data.Numel())
			}
			kernels.Conv2DBackwardWeights(dw, db, u, dy, p)
			e.Recycle(u)
			if wt.RequiresGrad {
				g := wt.GradTensor().Data
				kernels.Add(g, g, dw)
			}
			if b != nil && b.RequiresGrad {
				g := b.GradTensor().Data
				kernels.Add(g, g, db)
			}
			e.Recycle(dw)
			if db != nil {
				e.Recycle(db)
			}
		}
	}, x, skip, wt, b)
}
