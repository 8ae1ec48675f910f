//go:build gc && !purego

package asm

// Batch-norm row kernels (AVX2): each works on rows >= 1 rows of a
// row-major matrix with row stride ld and on its first cols columns, cols a
// positive multiple of 8 given by the length of the first per-column slice;
// the caller handles the other columns. The float64 column sums convert
// each float32 with VCVTPS2PD and round every product before its sum (no
// FMA), so they equal the Go loops bit for bit.

// ColSum64AVX2 computes
//
//	for i := 0; i < rows; i++ {
//		for j := range acc {
//			acc[j] += float64(x[i*ld+j])
//		}
//	}
//
// It requires len(acc)%8 == 0, len(acc) > 0, ld >= len(acc),
// len(x) >= (rows-1)*ld+len(acc), rows >= 1, and AVX2.
func ColSum64AVX2(acc []float64, x []float32, rows, ld int) {
	checkRows("ColSum64AVX2", 8, rows, ld, len(acc), []int{len(x)}, nil)
	colSum64AVX2(acc, x, rows, ld)
}

//go:noescape
func colSum64AVX2(acc []float64, x []float32, rows, ld int)

// ColSqDev64AVX2 computes
//
//	for i := 0; i < rows; i++ {
//		for j := range acc {
//			d := float64(x[i*ld+j]) - mu[j]
//			acc[j] += d * d
//		}
//	}
//
// with ColSum64AVX2's requirements and len(mu) >= len(acc).
func ColSqDev64AVX2(acc, mu []float64, x []float32, rows, ld int) {
	checkRows("ColSqDev64AVX2", 8, rows, ld, len(acc), []int{len(x)}, []int{len(mu)})
	colSqDev64AVX2(acc, mu, x, rows, ld)
}

//go:noescape
func colSqDev64AVX2(acc, mu []float64, x []float32, rows, ld int)

// ColGradSums64AVX2 computes the batch-norm backward sums
//
//	for i := 0; i < rows; i++ {
//		for j := range s0 {
//			g := float64(dy[i*ld+j])
//			s0[j] += g
//			s1[j] += g * (float64(x[i*ld+j]) - mu[j])
//		}
//	}
//
// with ColSum64AVX2's requirements for s0 and both dy and x, and len(s1),
// len(mu) >= len(s0).
func ColGradSums64AVX2(s0, s1, mu []float64, dy, x []float32, rows, ld int) {
	checkRows("ColGradSums64AVX2", 8, rows, ld, len(s0), []int{len(dy), len(x)}, []int{len(s1), len(mu)})
	colGradSums64AVX2(s0, s1, mu, dy, x, rows, ld)
}

//go:noescape
func colGradSums64AVX2(s0, s1, mu []float64, dy, x []float32, rows, ld int)

// BNApplyRowsAVX2 computes, with cols = len(mean),
//
//	for i := 0; i < rows; i++ {
//		for j := 0; j < cols; j++ {
//			z := (x[i*ld+j]-mean[j])*scale[j] + shift[j]
//			if flags&BNResidual != 0 {
//				z += res[i*ld+j]
//			}
//			if flags&BNReLU != 0 {
//				z = max(z, 0)
//			}
//			y[i*ld+j] = z
//		}
//	}
//
// except that max(-0, 0) gives -0 (VMAXPS; NaN propagates as in Go's max).
// y may be x or res. It requires cols%8 == 0, cols > 0, ld >= cols, rows
// >= 1, len(y), len(x) and (with BNResidual) len(res) >= (rows-1)*ld+cols,
// len(scale), len(shift) >= cols, and AVX2.
func BNApplyRowsAVX2(y, x, res, mean, scale, shift []float32, rows, ld, flags int) {
	nr := len(x)
	if flags&BNResidual != 0 {
		nr = len(res)
	}
	checkRows("BNApplyRowsAVX2", 8, rows, ld, len(mean), []int{len(y), len(x), nr}, []int{len(scale), len(shift)})
	bnApplyRowsAVX2(y, x, res, mean, scale, shift, rows, ld, flags)
}

//go:noescape
func bnApplyRowsAVX2(y, x, res, mean, scale, shift []float32, rows, ld, flags int)

// BNGradRowsAVX2 computes the batch-norm input gradient, with cols =
// len(mean),
//
//	for i := 0; i < rows; i++ {
//		for j := 0; j < cols; j++ {
//			k := i*ld + j
//			dx[k] = a[j]*dy[k] + b[j]*(x[k]-mean[j]) + d[j]
//		}
//	}
//
// dx may be dy. It requires cols%8 == 0, cols > 0, ld >= cols, rows >= 1,
// len(dx), len(dy), len(x) >= (rows-1)*ld+cols, len(a), len(b), len(d) >=
// cols, and AVX2.
func BNGradRowsAVX2(dx, dy, x, mean, a, b, d []float32, rows, ld int) {
	checkRows("BNGradRowsAVX2", 8, rows, ld, len(mean), []int{len(dx), len(dy), len(x)}, []int{len(a), len(b), len(d)})
	bnGradRowsAVX2(dx, dy, x, mean, a, b, d, rows, ld)
}

//go:noescape
func bnGradRowsAVX2(dx, dy, x, mean, a, b, d []float32, rows, ld int)
