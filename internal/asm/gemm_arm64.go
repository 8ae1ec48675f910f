//go:build gc && !purego

package asm

// HasAVX2, HasAVX512 and HasNEON say which kernels this build contains (not
// whether the CPU can run them).
const (
	HasAVX2   = false
	HasAVX512 = false
	HasNEON   = true
)

// Sgemm8x12NEON is the NEON micro-kernel. It computes
//
//	for i := 0; i < 8; i++ {
//		for j := 0; j < 12; j++ {
//			s := c[i*ldc+j]
//			for p := 0; p < k; p++ {
//				s += a[i*lda+p] * b[p*ldb+j] // fused multiply-add
//			}
//			c[i*ldc+j] = s
//		}
//	}
//
// A packed B panel has ldb == 12; ldb may also be the row stride of a
// matrix read in place. It requires k >= 0, lda >= 0 and ldb >= 0 (rows of
// A may overlap, as the patch rows of a convolution do), len(a) >=
// 7*lda+k, len(b) >= (k-1)*ldb+12, ldc >= 12, len(c) >= 7*ldc+12, and
// ASIMD (every arm64 CPU has it).
func Sgemm8x12NEON(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	checkGemm("Sgemm8x12NEON", 8, 12, k, 1, 0, len(a), lda, len(b), ldb, len(c), ldc)
	if k == 0 {
		return
	}
	sgemm8x12NEON(k, a, lda, b, ldb, c, ldc, 1, 0)
}

// Sgemm8x12NEONBlocks is Sgemm8x12NEON with A read in nb blocks of kb
// columns, ab floats apart (k = nb*kb; the p-th step of block q reads
// a[i*lda+q*ab+p] and b[(q*kb+p)*ldb+j]): one call for the kernel rows of a
// convolution, each a window of the same input rows one image row further.
// It requires nb >= 1, kb >= 0, ab >= 0, len(a) >= 7*lda+(nb-1)*ab+kb,
// and Sgemm8x12NEON's other conditions for k = nb*kb.
func Sgemm8x12NEONBlocks(nb, kb, ab int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	checkGemm("Sgemm8x12NEONBlocks", 8, 12, nb*kb, nb, ab, len(a), lda, len(b), ldb, len(c), ldc)
	if kb == 0 {
		return
	}
	sgemm8x12NEON(kb, a, lda, b, ldb, c, ldc, nb, ab-kb)
}

//go:noescape
func sgemm8x12NEON(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, nb, adv int)

// FMALoop runs n iterations of 12 independent FMA chains for isa ("neon":
// 4-lane VFMLA) and returns the float32 flops done, or 0 if this build has
// no loop for isa.
func FMALoop(isa string, n int) int {
	if n <= 0 || isa != "neon" {
		return 0
	}
	fmaLoopNEON(n)
	return n * 12 * 4 * 2
}

//go:noescape
func fmaLoopNEON(n int)
