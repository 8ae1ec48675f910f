//go:build gc && !purego

package kernels

import "github.com/lungo-ml/lungo/internal/asm"

// The AVX-512 tile sets C on a product's first reduction block (and adds
// the bias of a 1x1 convolution when that block is also the last): no
// clearing of the tile before, no k = 1 bias call after. Winograd products
// compute their last rows 4 at a time (winoRows), as do GEMM blocks; the
// first row tile of a GEMM block packs B as it reads it.
func init() {
	mkAVX512.fnSet = asm.Sgemm12x32AVX512Set
	mkAVX512.fnSetTiles = asm.Sgemm12x32AVX512SetTiles
	mkAVX512.fnTiles = asm.Sgemm12x32AVX512Tiles
	mkAVX512.fnBiasBlocks = asm.Sgemm12x32AVX512BiasBlocks
	mkAVX2.fnSetTiles = func(k int, a []float32, lda, rt int, b []float32, ldb, pstride, np int, bias, c []float32, ldc int) {
		if len(bias) > 0 {
			panic("kernels: the AVX2 tile sets no bias")
		}
		asm.Sgemm6x16AVX2SetTiles(k, a, lda, rt, b, ldb, pstride, np, c, ldc)
	}
	mkAVX512.fnSetTail, mkAVX512.mrTail = asm.Sgemm4x32AVX512Set, 4
	mkAVX512.fnTilesTail = asm.Sgemm4x32AVX512SetTiles
	mkAVX512.fnPackTiles = asm.Sgemm12x32AVX512PackTiles
	mkAVX512.transpose16 = asm.Transpose16AVX512
}
