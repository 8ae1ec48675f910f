package kernels

import "github.com/lungo-ml/lungo/tensor"

// 2x spatial upsampling of NHWC activations, as PyTorch's
// nn.Upsample(scale_factor=2) in "nearest" and "bilinear"
// (align_corners=False) modes.

// UpsampleNearest2x computes y [N, 2H, 2W, C] (overwritten) from x [N, H, W,
// C]: y[n, i, j, c] = x[n, i/2, j/2, c].
func UpsampleNearest2x(y, x []float32, n, h, w, c int) {
	checkUpsample("UpsampleNearest2x", y, x, n, h, w, c)
	upsampleNearest2xGeneric(y, x, n, h, w, c)
}

// UpsampleNearest2xBackward computes dx [N, H, W, C] (overwritten), the sum
// of the four dy [N, 2H, 2W, C] cells each x cell was copied to.
func UpsampleNearest2xBackward(dx, dy []float32, n, h, w, c int) {
	checkUpsample("UpsampleNearest2xBackward", dy, dx, n, h, w, c)
	upsampleNearest2xBackwardGeneric(dx, dy, n, h, w, c)
}

// UpsampleBilinear2x computes y [N, 2H, 2W, C] (overwritten) from x [N, H,
// W, C] with PyTorch's bilinear interpolation, align_corners=False: output
// row i reads the source coordinate max((i+0.5)/2-0.5, 0) between rows
// floor of it and the next (clamped to H-1), and the same for columns.
func UpsampleBilinear2x(y, x []float32, n, h, w, c int) {
	checkUpsample("UpsampleBilinear2x", y, x, n, h, w, c)
	upsampleBilinear2xGeneric(y, x, n, h, w, c)
}

// UpsampleBilinear2xBackward computes dx [N, H, W, C] (overwritten), the
// adjoint of UpsampleBilinear2x, from dy [N, 2H, 2W, C].
func UpsampleBilinear2xBackward(dx, dy []float32, n, h, w, c int) {
	checkUpsample("UpsampleBilinear2xBackward", dy, dx, n, h, w, c)
	upsampleBilinear2xBackwardGeneric(dx, dy, n, h, w, c)
}

// checkUpsample checks big [N, 2H, 2W, C] and small [N, H, W, C].
func checkUpsample(op string, big, small []float32, n, h, w, c int) {
	if n < 0 || h < 1 || w < 1 || c < 0 {
		tensor.Panicf("kernels", "%s: bad sizes n=%d h=%d w=%d c=%d", op, n, h, w, c)
	}
	if len(small) != n*h*w*c || len(big) != 4*n*h*w*c {
		tensor.Panicf("kernels", "%s: lengths %d (small) and %d (2x), want %d and %d for [%d, %d, %d, %d]",
			op, len(small), len(big), n*h*w*c, 4*n*h*w*c, n, h, w, c)
	}
}
