//go:build gc && !purego

package kernels

import "github.com/lungo-ml/lungo/kernels/asm"

// winoSIMD are the AVX2 transforms (every amd64 SIMD impl requires AVX2 and
// FMA): multiples of 8 channels in assembly, the rest in Go.
var winoSIMD = &winoTransforms{
	in: func(dst []float32, ds int, src []float32, sa, sb, n int) {
		n8 := n &^ 7
		asm.WinoInput4x4(dst, ds, src, sa, sb, n8)
		if n8 < n {
			winoInputGo(dst[n8:], ds, src[n8:], sa, sb, n-n8)
		}
	},
	out: func(dst []float32, da, db int, src []float32, ss int, bias []float32, n int) {
		n8 := n &^ 7
		asm.WinoOutput4x4(dst, da, db, src, ss, bias, n8)
		if n8 < n {
			winoOutputGo(dst[n8:], da, db, src[n8:], ss, bias[n8:], n-n8)
		}
	},
	wt: func(dst []float32, ds int, src []float32, sa, sb, n int) {
		n8 := n &^ 7
		asm.WinoWeight4x4(dst, ds, src, sa, sb, n8)
		if n8 < n {
			winoWeightGo(dst[n8:], ds, src[n8:], sa, sb, n-n8)
		}
	},
}
