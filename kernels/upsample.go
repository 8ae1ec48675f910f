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

// UpsampleNearest2xConcat computes y [N, 2H, 2W, C+K] (overwritten), the
// channel concatenation of UpsampleNearest2x(x) (x [N, H, W, C]) and skip
// [N, 2H, 2W, K] (nil when K = 0): a U-Net decoder's
// torch.cat([F.interpolate(x, scale_factor=2), skip], dim=1) without the
// upsampled copy of x on its own.
func UpsampleNearest2xConcat(y, x, skip []float32, n, h, w, c, k int) {
	checkUpsampleConcat("UpsampleNearest2xConcat", y, x, skip, n, h, w, c, k)
	if x == nil || (k > 0 && skip == nil) {
		tensor.Panicf("kernels", "UpsampleNearest2xConcat: x (and skip when k > 0) must be given")
	}
	upsampleConcatGeneric(y, x, skip, n, h, w, c, k)
}

// UpsampleNearest2xConcatBackward is the adjoint of UpsampleNearest2xConcat:
// from dy [N, 2H, 2W, C+K] it computes dx [N, H, W, C] (each cell the sum
// of the four cells of dy's first C channels it was copied to) and dskip
// [N, 2H, 2W, K] (dy's last K channels). Either may be nil (not wanted).
// With accumulate the results are added to dx and dskip, else they
// overwrite them.
func UpsampleNearest2xConcatBackward(dx, dskip, dy []float32, n, h, w, c, k int, accumulate bool) {
	checkUpsampleConcat("UpsampleNearest2xConcatBackward", dy, dx, dskip, n, h, w, c, k)
	upsampleConcatBackwardGeneric(dx, dskip, dy, n, h, w, c, k, accumulate)
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

// checkUpsampleConcat checks big [N, 2H, 2W, C+K], small [N, H, W, C] and
// skip [N, 2H, 2W, K]; small and skip may be nil.
func checkUpsampleConcat(op string, big, small, skip []float32, n, h, w, c, k int) {
	if n < 0 || h < 1 || w < 1 || c < 0 || k < 0 {
		tensor.Panicf("kernels", "%s: bad sizes n=%d h=%d w=%d c=%d k=%d", op, n, h, w, c, k)
	}
	if len(big) != 4*n*h*w*(c+k) || (small != nil && len(small) != n*h*w*c) ||
		(skip != nil && len(skip) != 4*n*h*w*k) {
		tensor.Panicf("kernels", "%s: lengths %d (concat), %d (small), %d (skip), want %d, %d, %d for n=%d h=%d w=%d c=%d k=%d",
			op, len(big), len(small), len(skip), 4*n*h*w*(c+k), n*h*w*c, 4*n*h*w*k, n, h, w, c, k)
	}
}
