//go:build gc && !purego

package asm

// HasAVX2, HasAVX512 and HasNEON say which kernels this build contains (not
// whether the CPU can run them).
const (
	HasAVX2   = true
	HasAVX512 = true
	HasNEON   = false
)

// Sgemm6x16 is the AVX2+FMA micro-kernel. It computes
//
//	for i := 0; i < 6; i++ {
//		for j := 0; j < 16; j++ {
//			s := c[i*ldc+j]
//			for p := 0; p < k; p++ {
//				s += a[i*lda+p] * b[p*ldb+j] // fused multiply-add
//			}
//			c[i*ldc+j] = s
//		}
//	}
//
// A packed B panel has ldb == 16; ldb may also be the row stride of a
// matrix read in place. It requires k >= 0, lda >= 0 and ldb >= 0 (rows of
// A may overlap, as the patch rows of a convolution do), len(a) >=
// 5*lda+k, len(b) >= (k-1)*ldb+16, ldc >= 16, len(c) >= 5*ldc+16, and a
// CPU with AVX2 and FMA.
func Sgemm6x16(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	checkGemm("Sgemm6x16", 6, 16, k, 1, 0, len(a), lda, len(b), ldb, len(c), ldc)
	if k == 0 {
		return
	}
	sgemm6x16(k, a, lda, b, ldb, c, ldc, 1, 0)
}

// Sgemm6x16Blocks is Sgemm6x16 with A read in nb blocks of kb
// columns, ab floats apart (k = nb*kb; the p-th step of block q reads
// a[i*lda+q*ab+p] and b[(q*kb+p)*ldb+j]): one call for the kernel rows of a
// convolution, each a window of the same input rows one image row further.
// It requires nb >= 1, kb >= 0, ab >= 0, len(a) >= 5*lda+(nb-1)*ab+kb,
// and Sgemm6x16's other conditions for k = nb*kb.
func Sgemm6x16Blocks(nb, kb, ab int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	checkGemm("Sgemm6x16Blocks", 6, 16, nb*kb, nb, ab, len(a), lda, len(b), ldb, len(c), ldc)
	if kb == 0 {
		return
	}
	sgemm6x16(kb, a, lda, b, ldb, c, ldc, nb, ab-kb)
}

// Sgemm12x32 is the AVX-512 micro-kernel: Sgemm6x16's loop with 12 rows and
// 32 columns. It requires k >= 0, lda >= 0, ldb >= 0, len(a) >=
// 11*lda+k, len(b) >= (k-1)*ldb+32, ldc >= 32, len(c) >= 11*ldc+32, and
// a CPU with AVX-512F.
func Sgemm12x32(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	checkGemm("Sgemm12x32", 12, 32, k, 1, 0, len(a), lda, len(b), ldb, len(c), ldc)
	if k == 0 {
		return
	}
	sgemm12x32(k, a, lda, b, ldb, c, ldc, 1, 0)
}

// Sgemm12x32Blocks is Sgemm12x32 with A read in nb blocks of kb
// columns, ab floats apart (k = nb*kb; the p-th step of block q reads
// a[i*lda+q*ab+p] and b[(q*kb+p)*ldb+j]): one call for the kernel rows of a
// convolution, each a window of the same input rows one image row further.
// It requires nb >= 1, kb >= 0, ab >= 0, len(a) >= 11*lda+(nb-1)*ab+kb,
// and Sgemm12x32's other conditions for k = nb*kb.
func Sgemm12x32Blocks(nb, kb, ab int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	checkGemm("Sgemm12x32Blocks", 12, 32, nb*kb, nb, ab, len(a), lda, len(b), ldb, len(c), ldc)
	if kb == 0 {
		return
	}
	sgemm12x32(kb, a, lda, b, ldb, c, ldc, nb, ab-kb)
}

//go:noescape
func sgemm6x16(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, nb, adv int)

//go:noescape
func sgemm12x32(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, nb, adv int)

// FMALoop runs n iterations of 12 independent FMA chains for isa ("avx2":
// ymm, "avx512": zmm) and returns the float32 flops done, or 0 if this build
// has no loop for isa. The caller must check the CPU has the isa.
func FMALoop(isa string, n int) int {
	if n <= 0 {
		return 0
	}
	switch isa {
	case "avx2":
		fmaLoopAVX2(n)
		return n * 12 * 8 * 2
	case "avx512":
		fmaLoopAVX512(n)
		return n * 12 * 16 * 2
	}
	return 0
}

//go:noescape
func fmaLoopAVX2(n int)

//go:noescape
func fmaLoopAVX512(n int)
