//go:build gc && !purego

package kernels

import "github.com/lungo-ml/lungo/kernels/asm"

// winoSIMD and winoSIMD2 are the AVX2 transforms of F(4x4,3x3) and
// F(2x2,3x3) (every amd64 SIMD impl requires AVX2 and FMA).
var (
	winoSIMD  = winoAsm(4, asm.WinoInput4x4, asm.WinoOutput4x4, asm.WinoWeight4x4, &winoGo)
	winoSIMD2 = winoAsm(2, asm.WinoInput2x2, asm.WinoOutput2x2, asm.WinoWeight2x2, &winoGo2)
)

// winoAsm wraps assembly transforms that take multiples of 8 channels:
// the rest go through the Go ones of g.
func winoAsm(m int, in func(dst []float32, ds int, src []float32, sa, sb, n int),
	out func(dst []float32, da, db int, src []float32, ss int, bias []float32, n int),
	wt func(dst []float32, ds int, src []float32, sa, sb, n int), g *winoTransforms) *winoTransforms {
	return &winoTransforms{
		m: m,
		in: func(dst []float32, ds int, src []float32, sa, sb, n int) {
			n8 := n &^ 7
			in(dst, ds, src, sa, sb, n8)
			if n8 < n {
				g.in(dst[n8:], ds, src[n8:], sa, sb, n-n8)
			}
		},
		out: func(dst []float32, da, db int, src []float32, ss int, bias []float32, n int) {
			n8 := n &^ 7
			out(dst, da, db, src, ss, bias, n8)
			if n8 < n {
				g.out(dst[n8:], da, db, src[n8:], ss, bias[n8:], n-n8)
			}
		},
		wt: func(dst []float32, ds int, src []float32, sa, sb, n int) {
			n8 := n &^ 7
			wt(dst, ds, src, sa, sb, n8)
			if n8 < n {
				g.wt(dst[n8:], ds, src[n8:], sa, sb, n-n8)
			}
		},
	}
}
