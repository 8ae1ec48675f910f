package kernels

import "github.com/lungo-ml/lungo/tensor"

// ConvParams describes a 2-D convolution with groups = 1 (PyTorch's Conv2DLayer,
// cross-correlation). Input x is [N, H, W, C]; weights w are [K, C, R, S]
// (OIHW); output y is [N, OutH, OutW, K].
type ConvParams struct {
	N, H, W, C       int // input batch, height, width, channels
	K                int // output channels
	R, S             int // kernel height, width
	StrideH, StrideW int // >= 1
	PadH, PadW       int // zero padding on each side
	DilH, DilW       int // >= 1
	// Scratch, when set, is where the call takes its big scratch buffers
	// (padded inputs, im2col matrices, packed weights, partial sums) when
	// it has room, instead of the kernels' own pool: nn passes the arena of
	// the pass that runs the convolution. Optional.
	Scratch ScratchArena
}

// OutH returns the output height: (H + 2*PadH - DilH*(R-1) - 1)/StrideH + 1.
func (p ConvParams) OutH() int { return (p.H+2*p.PadH-p.DilH*(p.R-1)-1)/p.StrideH + 1 }

// OutW returns the output width: (W + 2*PadW - DilW*(S-1) - 1)/StrideW + 1.
func (p ConvParams) OutW() int { return (p.W+2*p.PadW-p.DilW*(p.S-1)-1)/p.StrideW + 1 }

// Conv2D computes y = conv(x, w) + bias (bias [K] may be nil); y is
// overwritten. x is [N, H, W, C], w [K, C, R, S], y [N, OutH, OutW, K].
// The active implementation's Conv2D runs if it accepts the shape, else the
// generic im2col + Sgemm reference.
func Conv2D(y, x, w, bias []float32, p ConvParams) {
	p.check("Conv2D")
	checkLen("Conv2D", "x", len(x), p.N*p.H*p.W*p.C)
	checkLen("Conv2D", "w", len(w), p.K*p.C*p.R*p.S)
	checkLen("Conv2D", "y", len(y), p.N*p.OutH()*p.OutW()*p.K)
	if bias != nil {
		checkLen("Conv2D", "bias", len(bias), p.K)
	}
	if p.N == 0 {
		return
	}
	if f := Active().Conv2D; f != nil && f(y, x, w, bias, p) {
		return
	}
	conv2DGeneric(y, x, w, bias, p.geom())
}

// Conv2DBackwardData computes dx [N, H, W, C] (overwritten), the gradient of
// Conv2D with respect to x, from dy [N, OutH, OutW, K] and w [K, C, R, S].
// Input cells no output reads (cut off by the stride) get 0.
func Conv2DBackwardData(dx, dy, w []float32, p ConvParams) {
	p.check("Conv2DBackwardData")
	checkLen("Conv2DBackwardData", "dx", len(dx), p.N*p.H*p.W*p.C)
	checkLen("Conv2DBackwardData", "w", len(w), p.K*p.C*p.R*p.S)
	checkLen("Conv2DBackwardData", "dy", len(dy), p.N*p.OutH()*p.OutW()*p.K)
	if p.N == 0 {
		return
	}
	if f := Active().Conv2DBackwardData; f != nil && f(dx, dy, w, p) {
		return
	}
	conv2DBackwardDataGeneric(dx, dy, w, p.geom())
}

// Conv2DBackwardWeights computes dw [K, C, R, S] and, if db != nil, db [K]
// (both overwritten), the gradients of Conv2D with respect to w and bias,
// from x [N, H, W, C] and dy [N, OutH, OutW, K]. The sums over N*OutH*OutW
// are reduced in float64.
func Conv2DBackwardWeights(dw, db, x, dy []float32, p ConvParams) {
	p.check("Conv2DBackwardWeights")
	checkLen("Conv2DBackwardWeights", "x", len(x), p.N*p.H*p.W*p.C)
	checkLen("Conv2DBackwardWeights", "dw", len(dw), p.K*p.C*p.R*p.S)
	checkLen("Conv2DBackwardWeights", "dy", len(dy), p.N*p.OutH()*p.OutW()*p.K)
	if db != nil {
		checkLen("Conv2DBackwardWeights", "db", len(db), p.K)
	}
	if p.N > 0 {
		if f := Active().Conv2DBackwardWeights; f != nil && f(dw, db, x, dy, p) {
			return
		}
	}
	conv2DBackwardWeightsGeneric(dw, db, x, dy, p.geom())
}

// check panics on sizes no convolution can have.
func (p ConvParams) check(op string) {
	if p.N < 0 || p.H < 1 || p.W < 1 || p.C < 1 || p.K < 1 || p.R < 1 || p.S < 1 {
		tensor.Panicf("kernels", "%s: bad sizes N=%d H=%d W=%d C=%d K=%d R=%d S=%d (N >= 0, others >= 1)", op, p.N, p.H, p.W, p.C, p.K, p.R, p.S)
	}
	if p.StrideH < 1 || p.StrideW < 1 || p.DilH < 1 || p.DilW < 1 || p.PadH < 0 || p.PadW < 0 {
		tensor.Panicf("kernels", "%s: bad stride %dx%d, dilation %dx%d or padding %dx%d", op, p.StrideH, p.StrideW, p.DilH, p.DilW, p.PadH, p.PadW)
	}
	if p.H+2*p.PadH < p.DilH*(p.R-1)+1 || p.W+2*p.PadW < p.DilW*(p.S-1)+1 {
		tensor.Panicf("kernels", "%s: %dx%d kernel (dilation %dx%d) larger than the padded %dx%d input", op, p.R, p.S, p.DilH, p.DilW, p.H+2*p.PadH, p.W+2*p.PadW)
	}
}

// geom returns the generic kernels' view of p.
func (p ConvParams) geom() convGeom {
	return convGeom{n: p.N, h: p.H, w: p.W, c: p.C, k: p.K, r: p.R, s: p.S,
		sh: p.StrideH, sw: p.StrideW, ph: p.PadH, pw: p.PadW, dh: p.DilH, dw: p.DilW,
		oh: p.OutH(), ow: p.OutW(), sa: p.Scratch}
}
