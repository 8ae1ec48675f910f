//go:build gc && !purego

package asm

import "fmt"

// Transpose8AVX transposes q columns of 8 rows:
//
//	for r := 0; r < 8; r++ {
//		for i := 0; i < q; i++ {
//			dst[i*ldd+r] = src[r*lds+i]
//		}
//	}
//
// 8x8 blocks at a time in AVX registers (unpack, shuffle, lane
// permute): the gather of a Winograd weight transform, eight output
// channels' taps into one row per tap, where Go's scalar copies took as
// long as the transform itself. It requires q >= 0 a multiple of 8, lds
// >= 0, ldd >= 8, len(src) >= 7*lds+q and len(dst) >= (q-1)*ldd+8 when q
// > 0, and AVX.
func Transpose8AVX(dst []float32, ldd int, src []float32, lds, q int) {
	if q < 0 || q%8 != 0 || lds < 0 || ldd < 8 || q > 0 && (len(src) < 7*lds+q || len(dst) < (q-1)*ldd+8) {
		panic(fmt.Sprintf("asm: Transpose8AVX: q=%d lds=%d ldd=%d len(src)=%d len(dst)=%d", q, lds, ldd, len(src), len(dst)))
	}
	if q == 0 {
		return
	}
	transpose8AVX(&dst[0], ldd, &src[0], lds, q/8)
}

// Transpose16AVX512 transposes q columns of 16 rows, 8 from src0 and 8
// from src1:
//
//	for r := 0; r < 8; r++ {
//		for i := 0; i < q; i++ {
//			dst[i*ldd+r] = src0[r*lds+i]
//			dst[i*ldd+8+r] = src1[r*lds+i]
//		}
//	}
//
// 16x8 blocks at a time, Transpose8AVX's steps in both halves of zmm
// registers, each row of dst one 64-byte store: the patch gather of a
// convolution with few output positions, 16 positions (two runs of 8 in
// the input) into one 16-float run of a packed panel row. It requires q >= 0
// a multiple of 8, lds >= 0, ldd >= 16, len(src0) and len(src1) >=
// 7*lds+q and len(dst) >= (q-1)*ldd+16 when q > 0, and AVX-512F.
func Transpose16AVX512(dst []float32, ldd int, src0, src1 []float32, lds, q int) {
	if q < 0 || q%8 != 0 || lds < 0 || ldd < 16 || q > 0 && (len(src0) < 7*lds+q || len(src1) < 7*lds+q || len(dst) < (q-1)*ldd+16) {
		panic(fmt.Sprintf("asm: Transpose16AVX512: q=%d lds=%d ldd=%d len(src0)=%d len(src1)=%d len(dst)=%d", q, lds, ldd, len(src0), len(src1), len(dst)))
	}
	if q == 0 {
		return
	}
	transpose16AVX512(&dst[0], ldd, &src0[0], &src1[0], lds, q/8)
}
