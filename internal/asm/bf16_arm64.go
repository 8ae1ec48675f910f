//go:build gc && !purego

package asm

import (
	"fmt"
	"math"
)

// ConvBF16NEONBF16 is ConvBF16AVX512BF16's contract (the same tiles,
// arguments and results, bit for bit) on NEON with the bfloat16 extension
// (FEAT_BF16, cpuid BF16). Its 4 x 16 assembly tile (bf16_arm64.s) sums
// each pair of the reduction as BFMLALT (the odd product) then BFMLALB
// (the even one): fused multiply-adds of exact bf16 products, one rounding
// to nearest even each, with FPCR.FZ set for the call so that denormal
// inputs and sums are flushed: VDPBF16PS's arithmetic. (BFDOT would do
// twice the products per instruction but rounds to odd without
// intermediate rounding and would not match the other kernels; products
// too small for a normal float32, below 2^-126, are the one case where
// the fused multiply-add and VDPBF16PS may differ.) The bias, residual,
// floor and rounding to bf16 run in Go per 4 x 16 block, on the sums. It
// requires what ConvBF16AVX512BF16 does, and a CPU with ASIMD and BF16.
func ConvBF16NEONBF16(mr, nr int, a []uint16, lda, rowStride, rows, kp int, b []uint16, bias []float32, res []uint16, ldr int, c []uint16, ldc int, floor float32, mask uint32) {
	if !checkBF16Conv("ConvBF16NEONBF16", mr, nr, a, lda, rowStride, rows, kp, b, bias, res, ldr, c, ldc, mask) {
		rows, a, b = 1, nil, nil // no A or B read
	}
	var acc [64]float32
	for h := 0; h < nr/16; h++ {
		m := mask >> (16 * h) & 0xffff
		if m == 0 {
			continue
		}
		var bh []uint16
		if kp > 0 {
			bh = b[32*h:]
		}
		for g := 0; g < mr/4; g++ {
			var ag []uint16
			if kp > 0 {
				ag = a[4*g*lda:]
			}
			sumsBF16_4x16NEONBF16(ag, 2*lda, 2*rowStride, rows, kp, bh, 4*nr, acc[:], 64)
			for i := 0; i < 4; i++ {
				row := (4*g+i)*ldc + 16*h
				for j := 0; j < 16; j++ {
					if m>>j&1 == 0 {
						continue
					}
					s := acc[16*i+j] + bias[16*h+j]
					if res != nil {
						s += math.Float32frombits(uint32(res[(4*g+i)*ldr+16*h+j]) << 16)
					}
					if !(s > floor) { // VMAXPS: floor also when s is NaN
						s = floor
					}
					c[row+j] = roundBF16(s)
				}
			}
		}
	}
}

// WinoBF16NEONBF16 is WinoBF16AVX512BF16's contract (bit for bit) on NEON
// with FEAT_BF16: the sums of ConvBF16NEONBF16's tile, stored as float32.
// It requires what WinoBF16AVX512BF16 does, and a CPU with ASIMD and BF16.
func WinoBF16NEONBF16(mr, nr int, a []uint16, lda, kp int, b []uint16, np, rt int, c []float32, ldc int) {
	const name = "WinoBF16NEONBF16"
	rows := rt * mr
	switch {
	case nr != 32 && nr != 16 || mr != 12 && mr != 8 && mr != 4:
		panic(fmt.Sprintf("asm: %s: tile %dx%d", name, mr, nr))
	case rt < 1 || np < 1 || kp < 0 || lda < 0 || ldc < np*nr:
		panic(fmt.Sprintf("asm: %s: rt=%d np=%d kp=%d lda=%d ldc=%d", name, rt, np, kp, lda, ldc))
	case kp > 0 && len(a) < (rows-1)*lda+2*kp:
		panic(fmt.Sprintf("asm: %s: len(a)=%d < %d", name, len(a), (rows-1)*lda+2*kp))
	case len(b) < np*kp*2*nr:
		panic(fmt.Sprintf("asm: %s: len(b)=%d < %d", name, len(b), np*kp*2*nr))
	case len(c) < (rows-1)*ldc+np*nr:
		panic(fmt.Sprintf("asm: %s: len(c)=%d < %d", name, len(c), (rows-1)*ldc+np*nr))
	}
	for g := 0; g < rows/4; g++ {
		var ag []uint16
		if kp > 0 {
			ag = a[4*g*lda:]
		}
		for jp := 0; jp < np; jp++ {
			for h := 0; h < nr/16; h++ {
				var bh []uint16
				if kp > 0 {
					bh = b[jp*kp*2*nr+32*h:]
				}
				sumsBF16_4x16NEONBF16(ag, 2*lda, 0, 1, kp, bh, 4*nr, c[4*g*ldc+jp*nr+16*h:], 4*ldc)
			}
		}
	}
}

// roundBF16 is kernels.F32ToBF16: f rounded to bf16, nearest even,
// denormals to signed zero, NaN kept quiet.
func roundBF16(f float32) uint16 {
	u := math.Float32bits(f)
	switch {
	case u&0x7f800000 == 0:
		return uint16(u>>16) & 0x8000
	case u&0x7fffffff > 0x7f800000:
		return uint16(u>>16) | 0x40
	}
	u += 0x7fff + (u >> 16 & 1)
	return uint16(u >> 16)
}

// sumsBF16_4x16NEONBF16 (bf16_arm64.s) sets c[i*ldc/4+j], i < 4, j < 16,
// to the bf16 dot products of A row i (a + i*lda bytes, kernel rows
// rowStride bytes apart, kp pairs each) with channel j of B (pairs of 16
// channels, bstride bytes per step), in BFMLALT, BFMLALB order.
//
//go:noescape
func sumsBF16_4x16NEONBF16(a []uint16, lda, rowStride, rows, kp int, b []uint16, bstride int, c []float32, ldc int)

// BFMLALProbe runs one BFMLALT then one BFMLALB on 4 lanes under FPCR.FZ:
// dst[l] += f(a[2l+1])*f(b[2l+1]), then dst[l] += f(a[2l])*f(b[2l]), as
// the CPU rounds them. For the encoding test.
func BFMLALProbe(dst []float32, a, b []uint16) {
	if len(dst) < 4 || len(a) < 8 || len(b) < 8 {
		panic("asm: BFMLALProbe: short slices")
	}
	bfmlalProbe(dst, a, b)
}

//go:noescape
func bfmlalProbe(dst []float32, a, b []uint16)
