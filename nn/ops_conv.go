package nn

import (
	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/tensor"
)

// dims4 returns the dimensions of a 4-D channels-last value or panics.
func dims4(op string, x *Value) (n, h, w, c int) {
	s := x.Data.Shape
	if len(s) != 4 {
		tensor.Panicf("nn", "%s: input must be 4-D [N, H, W, C] (channels last), got shape %v", op, s)
	}
	return s[0], s[1], s[2], s[3]
}

// checkBias panics unless b is nil or a [k] vector.
func checkBias(op string, b *Value, k int) {
	if b != nil && (len(b.Data.Shape) != 1 || b.Data.Shape[0] != k) {
		tensor.Panicf("nn", "%s: bias has shape %v, want [%d]", op, b.Data.Shape, k)
	}
}

func biasData(b *Value) []float32 {
	if b == nil {
		return nil
	}
	return b.Data.Data
}

// Conv2D returns the 2-D cross-correlation of x [N, H, W, C] (channels
// last) with w [K, C, R, S] (PyTorch's OIHW layout) plus bias b [K] (nil for
// none), with the same stride, zero padding and dilation on both axes
// (groups = 1). The result is [N, OutH, OutW, K] with
// OutH = (H + 2*pad - dil*(R-1) - 1)/stride + 1, as torch.nn.functional.conv2d.
func Conv2D(x, w, b *Value, stride, pad, dil int) *Value {
	e := execOf(x, w, b)
	n, h, wd, c := dims4("Conv2D", x)
	ws := w.Data.Shape
	if len(ws) != 4 || ws[1] != c {
		tensor.Panicf("nn", "Conv2D: weight has shape %v, want [K, %d, R, S] for input %v", ws, c, x.Data.Shape)
	}
	if stride < 1 || dil < 1 || pad < 0 {
		tensor.Panicf("nn", "Conv2D: stride %d, pad %d, dilation %d: want stride, dilation >= 1, pad >= 0", stride, pad, dil)
	}
	k := ws[0]
	checkBias("Conv2D", b, k)
	p := kernels.ConvParams{N: n, H: h, W: wd, C: c, K: k, R: ws[2], S: ws[3],
		StrideH: stride, StrideW: stride, PadH: pad, PadW: pad, DilH: dil, DilW: dil, Scratch: e.Scratch()}
	oh, ow := p.OutH(), p.OutW()
	if oh < 1 || ow < 1 {
		tensor.Panicf("nn", "Conv2D: input %v too small for a %dx%d kernel (pad %d, dilation %d)", x.Data.Shape, ws[2], ws[3], pad, dil)
	}
	y := e.Alloc(n, oh, ow, k)
	kernels.Conv2D(y.Data, x.Data.Data, w.Data.Data, biasData(b), p)
	return NewResult(y, func(out *Value) {
		dy := out.Grad.Data
		accumGrad(e, x, func(dx []float32) { kernels.Conv2DBackwardData(dx, dy, w.Data.Data, p) })
		paramGrads(e, w, b, func(dw, db []float32) { kernels.Conv2DBackwardWeights(dw, db, x.Data.Data, dy, p) })
	}, x, w, b)
}

// paramGrads accumulates the weight and bias gradients that compute writes
// (overwriting) in one call. db is nil when there is no bias; the weight
// gradient is always computed (into scratch if w needs none).
func paramGrads(e *Exec, w, b *Value, compute func(dw, db []float32)) {
	if !w.RequiresGrad && (b == nil || !b.RequiresGrad) {
		return
	}
	dw, accW := gradDst(e, w)
	var db []float32
	var accB *tensor.Tensor
	if b != nil {
		db, accB = gradDst(e, b)
	}
	compute(dw, db)
	gradDone(e, accW, dw)
	gradDone(e, accB, db)
}

// gradDst returns where a kernel that overwrites its output should write v's
// gradient contribution: straight into a fresh v.Grad when v has none yet
// (acc nil), or into scratch to be added to acc by gradDone. For a v that
// needs no gradient it returns scratch and a nil acc.
func gradDst(e *Exec, v *Value) (buf []float32, acc *tensor.Tensor) {
	if !v.RequiresGrad {
		return e.Floats(v.Data.Numel()), nil
	}
	if v.Grad == nil {
		if v.backward != nil {
			v.Grad = e.Alloc(v.Data.Shape...)
		} else {
			v.Grad = tensor.New(v.Data.Shape...)
		}
		return v.Grad.Data, nil
	}
	return e.Floats(len(v.Grad.Data)), v.Grad
}

// gradDone adds buf into acc when gradDst staged it in scratch.
func gradDone(e *Exec, acc *tensor.Tensor, buf []float32) {
	if acc != nil {
		kernels.Add(acc.Data, acc.Data, buf)
		e.Recycle(buf)
	}
}

// ConvTranspose2D returns the 2-D transposed convolution of x [N, H, W, C]
// with w [C, K, R, S] (PyTorch's ConvTranspose2DLayer layout [in, out, kh, kw])
// plus bias b [K] (or nil), groups = 1. The result is [N, OutH, OutW, K] with
// OutH = (H-1)*stride - 2*pad + dil*(R-1) + outPad + 1, as
// torch.nn.functional.conv_transpose2d; outPad < max(stride, dil).
func ConvTranspose2D(x, w, b *Value, stride, pad, outPad, dil int) *Value {
	e := execOf(x, w, b)
	n, h, wd, c := dims4("ConvTranspose2D", x)
	ws := w.Data.Shape
	if len(ws) != 4 || ws[0] != c {
		tensor.Panicf("nn", "ConvTranspose2D: weight has shape %v, want [%d, K, R, S] for input %v", ws, c, x.Data.Shape)
	}
	if stride < 1 || dil < 1 || pad < 0 || outPad < 0 || (outPad >= stride && outPad >= dil) {
		tensor.Panicf("nn", "ConvTranspose2D: stride %d, pad %d, output padding %d, dilation %d: want stride, dilation >= 1, pad >= 0, 0 <= output padding < max(stride, dilation)", stride, pad, outPad, dil)
	}
	k := ws[1]
	checkBias("ConvTranspose2D", b, k)
	p := kernels.ConvTransposeParams{N: n, H: h, W: wd, C: c, K: k, R: ws[2], S: ws[3],
		StrideH: stride, StrideW: stride, PadH: pad, PadW: pad, DilH: dil, DilW: dil, OutPadH: outPad, OutPadW: outPad, Scratch: e.Scratch()}
	oh := (h-1)*stride - 2*pad + dil*(ws[2]-1) + outPad + 1
	ow := (wd-1)*stride - 2*pad + dil*(ws[3]-1) + outPad + 1
	if oh < 1 || ow < 1 {
		tensor.Panicf("nn", "ConvTranspose2D: padding %d leaves an empty output for input %v and kernel %v", pad, x.Data.Shape, ws)
	}
	y := e.Alloc(n, oh, ow, k)
	kernels.ConvTranspose2D(y.Data, x.Data.Data, w.Data.Data, biasData(b), p)
	return NewResult(y, func(out *Value) {
		dy := out.Grad.Data
		accumGrad(e, x, func(dx []float32) { kernels.ConvTranspose2DBackwardData(dx, dy, w.Data.Data, p) })
		paramGrads(e, w, b, func(dw, db []float32) { kernels.ConvTranspose2DBackwardWeights(dw, db, x.Data.Data, dy, p) })
	}, x, w, b)
}
