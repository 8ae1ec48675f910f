package kernels

// TEMPORARY: signatures of the reference kernels still to be written. Each is
// replaced by its real file (conv.go + conv_generic.go, pool.go, ...) and
// deleted from here. Layouts: activations are channels-last (NHWC),
// convolution weights PyTorch's OIHW, transposed-convolution weights
// PyTorch's [Cin, Cout, KH, KW].

// ConvTransposeParams describes a 2-D transposed convolution (PyTorch's
// ConvTranspose2d, groups = 1). Input x is [N, H, W, C]; weights w are
// [C, K, R, S] (PyTorch's [in, out, kh, kw]); output y is [N, OutH, OutW, K]
// with OutH = (H-1)*StrideH - 2*PadH + DilH*(R-1) + OutPadH + 1.
type ConvTransposeParams struct {
	N, H, W, C       int
	K                int
	R, S             int
	StrideH, StrideW int
	PadH, PadW       int
	DilH, DilW       int
	OutPadH, OutPadW int
}

// ConvTranspose2D computes y (overwritten) = conv_transpose(x, w) + bias (bias [K] or nil).
func ConvTranspose2D(y, x, w, bias []float32, p ConvTransposeParams) { panic("todo") }

// ConvTranspose2DBackwardData computes dx [N,H,W,C] (overwritten) from dy [N,OutH,OutW,K].
func ConvTranspose2DBackwardData(dx, dy, w []float32, p ConvTransposeParams) { panic("todo") }

// ConvTranspose2DBackwardWeights computes dw [C,K,R,S] and, if non-nil, db [K] (both overwritten).
func ConvTranspose2DBackwardWeights(dw, db, x, dy []float32, p ConvTransposeParams) { panic("todo") }
