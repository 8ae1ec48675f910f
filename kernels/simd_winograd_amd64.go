//go:build gc && !purego

package kernels

import (
	"github.com/klauspost/cpuid/v2"
	"github.com/lungo-ml/lungo/internal/asm"
)

// winoSIMD and winoSIMD2 are the AVX2 transforms of F(4x4,3x3) and
// F(2x2,3x3) (every amd64 SIMD impl requires AVX2 and FMA); winoAVX512 and
// winoAVX512x2 the AVX-512 ones, nil where the CPU lacks AVX-512F.
var (
	winoSIMD     = winoAsm(4, asm.WinoInput4x4AVX2, asm.WinoOutput4x4AVX2, asm.WinoWeight4x4AVX2, &winoGo, 8)
	winoSIMD2    = winoAsm(2, asm.WinoInput2x2AVX2, asm.WinoOutput2x2AVX2, asm.WinoWeight2x2AVX2, &winoGo2, 8)
	winoAVX512   *winoTransforms
	winoAVX512x2 *winoTransforms
)

func init() {
	if cpuid.CPU.Supports(cpuid.AVX) {
		winoTranspose8 = asm.Transpose8AVX
	}
	if cpuid.CPU.Supports(cpuid.AVX512F) {
		winoAVX512 = winoAsm(4, asm.WinoInput4x4AVX512, asm.WinoOutput4x4AVX512, asm.WinoWeight4x4AVX512, winoSIMD, 16)
		winoAVX512x2 = winoAsm(2, asm.WinoInput2x2AVX512, asm.WinoOutput2x2AVX512, asm.WinoWeight2x2AVX512, winoSIMD2, 16)
	}
}

// winoFor returns s's transforms for m x m output tiles: the AVX-512 ones
// for the avx512 impl, else AVX2.
func winoFor(s *simdImpl, m int) *winoTransforms {
	if s.kernels[0] == mkAVX512 && winoAVX512 != nil {
		if m == 4 {
			return winoAVX512
		}
		return winoAVX512x2
	}
	if m == 4 {
		return winoSIMD
	}
	return winoSIMD2
}

// winoAsm wraps assembly transforms that take multiples of v channels:
// the rest go through g.
func winoAsm(m int, in func(dst []float32, ds int, src []float32, sa, sb, n int),
	out func(dst []float32, da, db int, src []float32, ss int, bias []float32, n int),
	wt func(dst []float32, ds int, src []float32, sa, sb, n int), g *winoTransforms, v int) *winoTransforms {
	return &winoTransforms{
		m: m,
		in: func(dst []float32, ds int, src []float32, sa, sb, n int) {
			n8 := n / v * v
			in(dst, ds, src, sa, sb, n8)
			if n8 < n {
				g.in(dst[n8:], ds, src[n8:], sa, sb, n-n8)
			}
		},
		out: func(dst []float32, da, db int, src []float32, ss int, bias []float32, n int) {
			n8 := n / v * v
			out(dst, da, db, src, ss, bias, n8)
			if n8 < n {
				g.out(dst[n8:], da, db, src[n8:], ss, bias[n8:], n-n8)
			}
		},
		wt: func(dst []float32, ds int, src []float32, sa, sb, n int) {
			n8 := n / v * v
			wt(dst, ds, src, sa, sb, n8)
			if n8 < n {
				g.wt(dst[n8:], ds, src[n8:], sa, sb, n-n8)
			}
		},
	}
}
