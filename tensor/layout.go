package tensor

// NCHWToNHWC returns x ([N, C, H, W]) reordered to channels-last [N, H, W, C].
func NCHWToNHWC(x *Tensor) *Tensor {
	if x.Dim() != 4 {
		Panicf("tensor", "NCHWToNHWC: want 4 dims, got %v", x.Shape)
	}
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	y := New(n, h, w, c)
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			src := x.Data[(b*c+ch)*h*w:]
			for p := 0; p < h*w; p++ {
				y.Data[(b*h*w+p)*c+ch] = src[p]
			}
		}
	}
	return y
}

// NHWCToNCHW returns x ([N, H, W, C]) reordered to [N, C, H, W].
func NHWCToNCHW(x *Tensor) *Tensor {
	if x.Dim() != 4 {
		Panicf("tensor", "NHWCToNCHW: want 4 dims, got %v", x.Shape)
	}
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	y := New(n, c, h, w)
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			dst := y.Data[(b*c+ch)*h*w:]
			for p := 0; p < h*w; p++ {
				dst[p] = x.Data[(b*h*w+p)*c+ch]
			}
		}
	}
	return y
}
