//go:build gc && !purego

package asm

import "fmt"

// Sgemm12x32AVX512Set is Sgemm12x32AVX512 that sets C rather than adding to it
// (C is not read: NaNs in it do not propagate), then adds a bias row when bias
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
// It rounds exactly as clearing C, calling Sgemm12x32AVX512, then adding the
// bias. It requires Sgemm12x32AVX512's conditions, len(bias) == 0 or >= 32, and
// a CPU with AVX-512F.
func Sgemm12x32AVX512Set(k int, a []float32, lda int, b []float32, ldb int, bias, c []float32, ldc int) {
	checkSet("Sgemm12x32AVX512Set", 12, k, len(a), lda, len(b), ldb, len(bias), len(c), ldc)
	sgemm12x32AVX512SetTiles(k, a, lda, 1, b, ldb, 0, 1, bias, c, ldc, false)
}

// Sgemm12x32AVX512SetTiles is Sgemm12x32AVX512Set over rt x np tiles in one
// call: tile (r, q) reads A from a[12*r*lda:], B from b[q*pstride:] (ldb
// apart), its bias from bias[32*q:] when bias is not empty, and sets C at
// c[12*r*ldc+32*q:]: rows of tiles with one call from Go instead of one a tile
// (a 1x1 convolution, k = 64, spent 7% of its time in Go between the calls; the
// Winograd products of 3x3 32->32 more). Each tile rounds as in
// Sgemm12x32AVX512Set. It requires rt >= 0, np >= 1, pstride >= 0, and
// Sgemm12x32AVX512Set's conditions for each tile (len(a) >= 12*(rt-1)*lda +
// 11*lda+k, len(b) >= (np-1)*pstride+(k-1)*ldb+32, len(c) >=
// 12*(rt-1)*ldc+11*ldc+32*np, len(bias) == 0 or >= 32*np), and a CPU with
// AVX-512F.
func Sgemm12x32AVX512SetTiles(k int, a []float32, lda, rt int, b []float32, ldb, pstride, np int, bias, c []float32, ldc int) {
	checkTiles("Sgemm12x32AVX512SetTiles", 12, 32, k, len(a), lda, rt, len(b), ldb, pstride, np, len(c), ldc)
	if len(bias) > 0 && len(bias) < 32*np {
		panic(fmt.Sprintf("asm: Sgemm12x32AVX512SetTiles: len(bias)=%d < %d", len(bias), 32*np))
	}
	if rt == 0 {
		return
	}
	sgemm12x32AVX512SetTiles(k, a, lda, rt, b, ldb, pstride, np, bias, c, ldc, false)
}

// Sgemm12x32AVX512Tiles is Sgemm12x32AVX512 over rt x np tiles in one call,
// laid out as in Sgemm12x32AVX512SetTiles: tile (r, q) of C, at
// c[12*r*ldc+32*q:], gets the product of the 12 rows of A from a[12*r*lda:] and
// the k x 32 panel from b[q*pstride:] (ldb apart) added to it, rounded as
// Sgemm12x32AVX512 tile by tile (the later reduction blocks of a product: one
// call from Go for a block's full tiles). It requires Sgemm12x32AVX512SetTiles'
// conditions without a bias.
func Sgemm12x32AVX512Tiles(k int, a []float32, lda, rt int, b []float32, ldb, pstride, np int, c []float32, ldc int) {
	checkTiles("Sgemm12x32AVX512Tiles", 12, 32, k, len(a), lda, rt, len(b), ldb, pstride, np, len(c), ldc)
	if rt == 0 {
		return
	}
	sgemm12x32AVX512SetTiles(k, a, lda, rt, b, ldb, pstride, np, nil, c, ldc, true)
}

// Sgemm12x32AVX512PackTiles is Sgemm12x32AVX512SetTiles (add false) or
// Sgemm12x32AVX512Tiles (add true, bias empty) that reads B where it lies
// (a matrix whose rows are ldb floats apart, panel q from b[q*pstride:],
// pstride = 32 for panels side by side) and also packs it: it writes the
// k x 32 panel q to pk[q*k*32:] (k-major, as packed panels are read with
// ldb = 32), row p while it uses it, and prefetches row p+32 meanwhile
// (each of rt row tiles writes the same panels: rt = 1 is the use). The
// first row tile of a GEMM block packs B this way as it computes (1024^3 on
// one thread spent 4% of its time in a packing pass over B, its rows from
// L3 or memory). Results round as in Sgemm12x32AVX512SetTiles. It requires
// that function's conditions and len(pk) >= np*k*32.
func Sgemm12x32AVX512PackTiles(k int, a []float32, lda, rt int, b []float32, ldb, pstride, np int, bias, c []float32, ldc int, add bool, pk []float32) {
	checkTiles("Sgemm12x32AVX512PackTiles", 12, 32, k, len(a), lda, rt, len(b), ldb, pstride, np, len(c), ldc)
	if len(bias) > 0 && (len(bias) < 32*np || add) {
		panic(fmt.Sprintf("asm: Sgemm12x32AVX512PackTiles: len(bias)=%d with %d panels, add %v", len(bias), np, add))
	}
	if len(pk) < np*k*32 {
		panic(fmt.Sprintf("asm: Sgemm12x32AVX512PackTiles: len(pk)=%d < %d", len(pk), np*k*32))
	}
	if rt == 0 {
		return
	}
	sgemm12x32AVX512PackTiles(k, a, lda, rt, b, ldb, pstride, np, bias, c, ldc, add, pk)
}

// Sgemm4x32AVX512SetTiles is Sgemm12x32AVX512SetTiles for tiles of 4 rows
// (the last rows of a product whose row count is not a multiple of 12), and
// Sgemm4x32AVX512Tiles (add true, bias empty); each tile rounds as
// Sgemm4x32AVX512Set (add false) or as 4 rows of Sgemm12x32AVX512 (add
// true). It requires Sgemm12x32AVX512SetTiles' conditions with 4 rows a
// tile.
func Sgemm4x32AVX512SetTiles(k int, a []float32, lda, rt int, b []float32, ldb, pstride, np int, bias, c []float32, ldc int, add bool) {
	checkTiles("Sgemm4x32AVX512SetTiles", 4, 32, k, len(a), lda, rt, len(b), ldb, pstride, np, len(c), ldc)
	if len(bias) > 0 && (len(bias) < 32*np || add) {
		panic(fmt.Sprintf("asm: Sgemm4x32AVX512SetTiles: len(bias)=%d with %d panels, add %v", len(bias), np, add))
	}
	if rt == 0 {
		return
	}
	sgemm4x32AVX512SetTiles(k, a, lda, rt, b, ldb, pstride, np, bias, c, ldc, add)
}

// Sgemm6x16AVX2SetTiles is Sgemm12x32AVX512SetTiles for the AVX2 6x16 tile,
// without a bias: tile (r, q) of C, at c[6*r*ldc+16*q:], is set to the product
// of the 6 rows of A from a[6*r*lda:] and the k x 16 panel from b[q*pstride:]
// (ldb apart), rounded as clearing it and calling Sgemm6x16AVX2. It requires rt
// >= 0, np >= 1, pstride >= 0, k >= 0, lda >= 0, ldb >= 0, ldc >= 16, len(a) >=
// 6*(rt-1)*lda+5*lda+k, len(b) >= (np-1)*pstride+(k-1)*ldb+16, len(c) >=
// 6*(rt-1)*ldc+5*ldc+16*np, and a CPU with AVX2 and FMA.
func Sgemm6x16AVX2SetTiles(k int, a []float32, lda, rt int, b []float32, ldb, pstride, np int, c []float32, ldc int) {
	checkTiles("Sgemm6x16AVX2SetTiles", 6, 16, k, len(a), lda, rt, len(b), ldb, pstride, np, len(c), ldc)
	if rt == 0 {
		return
	}
	sgemm6x16AVX2SetTiles(k, a, lda, rt, b, ldb, pstride, np, nil, c, ldc, false)
}

// checkTiles panics unless rt x np tiles of mr x nr fit: the last tile's
// A, B and C slices meet checkGemm's conditions.
func checkTiles(name string, mr, nr, k, la, lda, rt, lb, ldb, pstride, np, lc, ldc int) {
	if rt < 0 || np < 1 || pstride < 0 || lda < 0 {
		panic(fmt.Sprintf("asm: %s: rt=%d, np=%d, pstride=%d, lda=%d", name, rt, np, pstride, lda))
	}
	if rt == 0 {
		return
	}
	da, db, dc := mr*(rt-1)*lda, (np-1)*pstride, mr*(rt-1)*ldc+nr*(np-1)
	if la < da || lb < db || lc < dc {
		panic(fmt.Sprintf("asm: %s: len(a)=%d, len(b)=%d, len(c)=%d too short for %d x %d tiles", name, la, lb, lc, rt, np))
	}
	checkGemm(name, mr, nr, k, 1, 0, la-da, lda, lb-db, ldb, lc-dc, ldc)
}

// Sgemm12x32AVX512BiasBlocks is Sgemm12x32AVX512Blocks with C set rather than
// added to: the accumulators start from bias[0:32] on every row (from zero when
// bias is empty) and C is only written, rounded exactly as filling each row of
// C with the bias and calling Sgemm12x32AVX512Blocks (a convolution tile's
// output, without a pass over it first). It requires Sgemm12x32AVX512Blocks'
// conditions and len(bias) == 0 or >= 32.
func Sgemm12x32AVX512BiasBlocks(nb, kb, ab int, a []float32, lda int, b []float32, ldb int, bias, c []float32, ldc int) {
	checkGemm("Sgemm12x32AVX512BiasBlocks", 12, 32, nb*kb, nb, ab, len(a), lda, len(b), ldb, len(c), ldc)
	if len(bias) > 0 && len(bias) < 32 {
		panic(fmt.Sprintf("asm: Sgemm12x32AVX512BiasBlocks: len(bias)=%d < 32", len(bias)))
	}
	sgemm12x32AVX512BiasBlocks(kb, a, lda, b, ldb, bias, c, ldc, nb, ab-kb)
}

// Sgemm4x32AVX512Set is Sgemm12x32AVX512Set for 4 rows of A and C: the last
// rows of a product whose row count is not a multiple of 12, which the 12-row
// tile would compute in full (a Winograd product over 64 tiles, 3x3 256->256
// @16x16, computed 72 rows for 64). Each element rounds as in
// Sgemm12x32AVX512Set. It requires k >= 0, lda >= 0, ldb >= 0, len(a) >=
// 3*lda+k, len(b) >= (k-1)*ldb+32, ldc >= 32, len(c) >= 3*ldc+32, len(bias) ==
// 0 or >= 32, and a CPU with AVX-512F.
func Sgemm4x32AVX512Set(k int, a []float32, lda int, b []float32, ldb int, bias, c []float32, ldc int) {
	checkSet("Sgemm4x32AVX512Set", 4, k, len(a), lda, len(b), ldb, len(bias), len(c), ldc)
	sgemm4x32AVX512Set(k, a, lda, b, ldb, bias, c, ldc)
}

// checkSet panics unless a set kernel of mr rows and 32 columns may run on
// operands of these lengths and strides (checkGemm's conditions, and a
// bias of 0 or at least 32 floats).
func checkSet(name string, mr, k, la, lda, lb, ldb, lbias, lc, ldc int) {
	checkGemm(name, mr, 32, k, 1, 0, la, lda, lb, ldb, lc, ldc)
	if lbias > 0 && lbias < 32 {
		panic(fmt.Sprintf("asm: %s: len(bias)=%d < 32", name, lbias))
	}
}
