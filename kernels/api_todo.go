package kernels

// TEMPORARY: signatures of the reference kernels still to be written. Each is
// replaced by its real file (conv.go + conv_generic.go, pool.go, ...) and
// deleted from here. Layouts: activations are channels-last (NHWC),
// convolution weights PyTorch's OIHW, transposed-convolution weights
// PyTorch's [Cin, Cout, KH, KW].

// ConvParams describes a 2-D convolution with groups = 1.
// Input x is [N, H, W, C]; weights w are [K, C, R, S]; output y is
// [N, OutH, OutW, K].
type ConvParams struct {
	N, H, W, C       int // input batch, height, width, channels
	K                int // output channels
	R, S             int // kernel height, width
	StrideH, StrideW int // >= 1
	PadH, PadW       int // zero padding on each side
	DilH, DilW       int // >= 1
}

// OutH returns the output height: (H + 2*PadH - DilH*(R-1) - 1)/StrideH + 1.
func (p ConvParams) OutH() int { return (p.H+2*p.PadH-p.DilH*(p.R-1)-1)/p.StrideH + 1 }

// OutW returns the output width.
func (p ConvParams) OutW() int { return (p.W+2*p.PadW-p.DilW*(p.S-1)-1)/p.StrideW + 1 }

// Conv2D computes y = conv(x, w) + bias (bias [K] may be nil); y is overwritten.
func Conv2D(y, x, w, bias []float32, p ConvParams) { panic("todo") }

// Conv2DBackwardData computes dx [N,H,W,C] from dy [N,OutH,OutW,K] and w; dx is overwritten.
func Conv2DBackwardData(dx, dy, w []float32, p ConvParams) { panic("todo") }

// Conv2DBackwardWeights computes dw [K,C,R,S] and, if db != nil, db [K]; both are overwritten.
func Conv2DBackwardWeights(dw, db, x, dy []float32, p ConvParams) { panic("todo") }
