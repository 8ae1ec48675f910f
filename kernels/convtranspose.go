package kernels

import "github.com/lungo-ml/lungo/tensor"

// ConvTransposeParams describes a 2-D transposed convolution (PyTorch's
// ConvTranspose2DLayer, groups = 1). Input x is [N, H, W, C]; weights w are
// [C, K, R, S] (PyTorch's [in, out, kh, kw]); output y is [N, OutH, OutW, K]
// with OutH = (H-1)*StrideH - 2*PadH + DilH*(R-1) + OutPadH + 1. As in
// PyTorch, OutPadH must be smaller than StrideH or DilH (same for W).
type ConvTransposeParams struct {
	N, H, W, C       int
	K                int
	R, S             int
	StrideH, StrideW int
	PadH, PadW       int
	DilH, DilW       int
	OutPadH, OutPadW int
	Scratch          ScratchArena // as ConvParams.Scratch; optional
}

// OutH returns (H-1)*StrideH - 2*PadH + DilH*(R-1) + OutPadH + 1.
func (p ConvTransposeParams) OutH() int {
	return (p.H-1)*p.StrideH - 2*p.PadH + p.DilH*(p.R-1) + p.OutPadH + 1
}

// OutW returns (W-1)*StrideW - 2*PadW + DilW*(S-1) + OutPadW + 1.
func (p ConvTransposeParams) OutW() int {
	return (p.W-1)*p.StrideW - 2*p.PadW + p.DilW*(p.S-1) + p.OutPadW + 1
}

// A transposed convolution is a convolution's backward-data with the roles
// of input and output swapped (oneDNN's ref_deconvolution): the convolution
// maps [N, OutH, OutW, K] to [N, H, W, C] with weights [C, K, R, S] read as
// OIHW. So ConvTranspose2D runs Conv2DBackwardData, its backward-data runs
// Conv2D and its backward-weights Conv2DBackwardWeights with x and dy
// swapped. When the output padding is below the stride (always, in
// practice) these go through the dispatching entry points and so use the
// active implementation's fast paths; otherwise the generic kernels run
// with an explicit output size.

// ConvTranspose2D computes y [N, OutH, OutW, K] (overwritten) =
// conv_transpose(x, w) + bias (bias [K] or nil) from x [N, H, W, C] and w
// [C, K, R, S].
func ConvTranspose2D(y, x, w, bias []float32, p ConvTransposeParams) {
	p.check("ConvTranspose2D")
	checkLen("ConvTranspose2D", "x", len(x), p.N*p.H*p.W*p.C)
	checkLen("ConvTranspose2D", "w", len(w), p.C*p.K*p.R*p.S)
	checkLen("ConvTranspose2D", "y", len(y), p.N*p.OutH()*p.OutW()*p.K)
	if bias != nil {
		checkLen("ConvTranspose2D", "bias", len(bias), p.K)
	}
	if p.N == 0 {
		return
	}
	if cp, ok := p.asConv(); ok {
		Conv2DBackwardData(y, x, w, cp)
	} else {
		conv2DBackwardDataGeneric(y, x, w, p.geom())
	}
	if bias != nil {
		addBiasGeneric(y, bias, p.N*p.OutH()*p.OutW(), p.K)
	}
}

// ConvTranspose2DBackwardData computes dx [N, H, W, C] (overwritten), the
// gradient of ConvTranspose2D with respect to x, from dy [N, OutH, OutW, K]
// and w [C, K, R, S].
func ConvTranspose2DBackwardData(dx, dy, w []float32, p ConvTransposeParams) {
	p.check("ConvTranspose2DBackwardData")
	checkLen("ConvTranspose2DBackwardData", "dx", len(dx), p.N*p.H*p.W*p.C)
	checkLen("ConvTranspose2DBackwardData", "w", len(w), p.C*p.K*p.R*p.S)
	checkLen("ConvTranspose2DBackwardData", "dy", len(dy), p.N*p.OutH()*p.OutW()*p.K)
	if p.N == 0 {
		return
	}
	if cp, ok := p.asConv(); ok {
		Conv2D(dx, dy, w, nil, cp)
	} else {
		conv2DGeneric(dx, dy, w, nil, p.geom())
	}
}

// ConvTranspose2DBackwardWeights computes dw [C, K, R, S] and, if non-nil,
// db [K] (both overwritten), the gradients of ConvTranspose2D with respect
// to w and bias, from x [N, H, W, C] and dy [N, OutH, OutW, K]. The sums are
// reduced in float64.
func ConvTranspose2DBackwardWeights(dw, db, x, dy []float32, p ConvTransposeParams) {
	p.check("ConvTranspose2DBackwardWeights")
	checkLen("ConvTranspose2DBackwardWeights", "x", len(x), p.N*p.H*p.W*p.C)
	checkLen("ConvTranspose2DBackwardWeights", "dw", len(dw), p.C*p.K*p.R*p.S)
	checkLen("ConvTranspose2DBackwardWeights", "dy", len(dy), p.N*p.OutH()*p.OutW()*p.K)
	if db != nil {
		checkLen("ConvTranspose2DBackwardWeights", "db", len(db), p.K)
		sumRowsGeneric(db, dy, p.N*p.OutH()*p.OutW(), p.K)
	}
	if cp, ok := p.asConv(); ok {
		Conv2DBackwardWeights(dw, nil, dy, x, cp)
	} else {
		conv2DBackwardWeightsGeneric(dw, nil, dy, x, p.geom())
	}
}

// check panics on sizes no transposed convolution can have.
func (p ConvTransposeParams) check(op string) {
	if p.N < 0 || p.H < 1 || p.W < 1 || p.C < 1 || p.K < 1 || p.R < 1 || p.S < 1 {
		tensor.Panicf("kernels", "%s: bad sizes N=%d H=%d W=%d C=%d K=%d R=%d S=%d (N >= 0, others >= 1)", op, p.N, p.H, p.W, p.C, p.K, p.R, p.S)
	}
	if p.StrideH < 1 || p.StrideW < 1 || p.DilH < 1 || p.DilW < 1 || p.PadH < 0 || p.PadW < 0 || p.OutPadH < 0 || p.OutPadW < 0 {
		tensor.Panicf("kernels", "%s: bad stride %dx%d, dilation %dx%d, padding %dx%d or output padding %dx%d", op,
			p.StrideH, p.StrideW, p.DilH, p.DilW, p.PadH, p.PadW, p.OutPadH, p.OutPadW)
	}
	if p.OutPadH >= max(p.StrideH, p.DilH) || p.OutPadW >= max(p.StrideW, p.DilW) {
		tensor.Panicf("kernels", "%s: output padding %dx%d must be smaller than the stride or the dilation", op, p.OutPadH, p.OutPadW)
	}
	if p.OutH() < 1 || p.OutW() < 1 {
		tensor.Panicf("kernels", "%s: output size %dx%d < 1 (padding %dx%d too large)", op, p.OutH(), p.OutW(), p.PadH, p.PadW)
	}
}

// asConv returns the convolution whose backward-data p is, and whether
// ConvParams can express it (its OutH/OutW must give back H and W).
func (p ConvTransposeParams) asConv() (ConvParams, bool) {
	cp := ConvParams{N: p.N, H: p.OutH(), W: p.OutW(), C: p.K, K: p.C, R: p.R, S: p.S,
		StrideH: p.StrideH, StrideW: p.StrideW, PadH: p.PadH, PadW: p.PadW, DilH: p.DilH, DilW: p.DilW, Scratch: p.Scratch}
	return cp, cp.OutH() == p.H && cp.OutW() == p.W
}

// geom returns the convolution view of p with the explicit output size H x W.
func (p ConvTransposeParams) geom() convGeom {
	return convGeom{n: p.N, h: p.OutH(), w: p.OutW(), c: p.K, k: p.C, r: p.R, s: p.S,
		sh: p.StrideH, sw: p.StrideW, ph: p.PadH, pw: p.PadW, dh: p.DilH, dw: p.DilW,
		oh: p.H, ow: p.W, sa: p.Scratch}
}
