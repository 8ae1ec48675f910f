//go:build gc && !purego

package asm

import "fmt"

// Sgemm12x32Set is Sgemm12x32 that sets C rather than adding to it (C is
// not read: NaNs in it do not propagate), then adds a bias row when bias
// is not empty:
//
//	for i := 0; i < 12; i++ {
//		for j := 0; j < 32; j++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += a[i*lda+p] * b[p*ldb+j] // fused multiply-add
//			}
//			if len(bias) > 0 {
//				s += bias[j]
//			}
//			c[i*ldc+j] = s
//		}
//	}
//
// It rounds exactly as clearing C, calling Sgemm12x32, then adding the
// bias. It requires Sgemm12x32's conditions, len(bias) == 0 or >= 32, and
// a CPU with AVX-512F.
func Sgemm12x32Set(k int, a []float32, lda int, b []float32, ldb int, bias, c []float32, ldc int) {
	checkSet("Sgemm12x32Set", 12, k, len(a), lda, len(b), ldb, len(bias), len(c), ldc)
	sgemm12x32Set(k, a, lda, b, ldb, bias, c, ldc)
}

//go:noescape
func sgemm12x32Set(k int, a []float32, lda int, b []float32, ldb int, bias, c []float32, ldc int)

// Sgemm12x32SetPanels is Sgemm12x32Set over np column panels in one call:
// panel q reads B from b[q*pstride:], its bias from bias[32*q:] (when bias
// is not empty) and sets C from c[32*q:], A the same for all: a row of
// tiles with one call from Go instead of np (a 1x1 convolution, k = 64,
// spent 7% of its time in Go between the calls). Each tile rounds as in
// Sgemm12x32Set. It requires np >= 1, pstride >= 0, Sgemm12x32Set's
// conditions for each panel (len(b) >= (np-1)*pstride+(k-1)*ldb+32,
// len(c) >= 11*ldc+32*np, len(bias) == 0 or >= 32*np), and a CPU with
// AVX-512F.
func Sgemm12x32SetPanels(k int, a []float32, lda int, b []float32, ldb, pstride, np int, bias, c []float32, ldc int) {
	if np < 1 || pstride < 0 {
		panic(fmt.Sprintf("asm: Sgemm12x32SetPanels: np=%d, pstride=%d", np, pstride))
	}
	last := (np - 1) * pstride
	if len(b) < last {
		panic(fmt.Sprintf("asm: Sgemm12x32SetPanels: len(b)=%d < %d for %d panels %d apart", len(b), last, np, pstride))
	}
	checkSet("Sgemm12x32SetPanels", 12, k, len(a), lda, len(b)-last, ldb, len(bias)-32*(np-1), len(c)-32*(np-1), ldc)
	if len(bias) > 0 && len(bias) < 32*np {
		panic(fmt.Sprintf("asm: Sgemm12x32SetPanels: len(bias)=%d < %d", len(bias), 32*np))
	}
	sgemm12x32SetPanels(k, a, lda, b, ldb, pstride, np, bias, c, ldc)
}

//go:noescape
func sgemm12x32SetPanels(k int, a []float32, lda int, b []float32, ldb, pstride, np int, bias, c []float32, ldc int)

// Sgemm4x32Set is Sgemm12x32Set for 4 rows of A and C: the last rows of
// a product whose row count is not a multiple of 12, which the 12-row tile
// would compute in full (a Winograd product over 64 tiles, 3x3 256->256
// @16x16, computed 72 rows for 64). Each element rounds as in
// Sgemm12x32Set. It requires k >= 0, lda >= 0, ldb >= 0, len(a) >=
// 3*lda+k, len(b) >= (k-1)*ldb+32, ldc >= 32, len(c) >= 3*ldc+32, len(bias)
// == 0 or >= 32, and a CPU with AVX-512F.
func Sgemm4x32Set(k int, a []float32, lda int, b []float32, ldb int, bias, c []float32, ldc int) {
	checkSet("Sgemm4x32Set", 4, k, len(a), lda, len(b), ldb, len(bias), len(c), ldc)
	sgemm4x32Set(k, a, lda, b, ldb, bias, c, ldc)
}

//go:noescape
func sgemm4x32Set(k int, a []float32, lda int, b []float32, ldb int, bias, c []float32, ldc int)

// checkSet panics unless a set kernel of mr rows and 32 columns may run on
// operands of these lengths and strides (checkGemm's conditions, and a
// bias of 0 or at least 32 floats).
func checkSet(name string, mr, k, la, lda, lb, ldb, lbias, lc, ldc int) {
	checkGemm(name, mr, 32, k, 1, 0, la, lda, lb, ldb, lc, ldc)
	if lbias > 0 && lbias < 32 {
		panic(fmt.Sprintf("asm: %s: len(bias)=%d < 32", name, lbias))
	}
}
