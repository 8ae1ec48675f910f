//go:build gc && !purego

package kernels

import (
	"github.com/klauspost/cpuid/v2"
	"github.com/lungo-ml/lungo/internal/asm"
)

// winoDyAVX2 and winoDyAVX512 transform dy blocks for Winograd
// backward-weights with the contract of asm.WinoDy2x2AVX2 (n%8 == 0): with
// AVX2, and with AVX-512 over the multiple of 16 (the same bits); nil
// where the CPU lacks the extension.
var winoDyAVX2, winoDyAVX512 func(dst []float32, ds int, src []float32, sa, sb, n int)

func init() {
	if cpuid.CPU.Supports(cpuid.AVX2) {
		winoDyAVX2 = asm.WinoDy2x2AVX2
	}
	if cpuid.CPU.Supports(cpuid.AVX512F) {
		winoDyAVX512 = func(dst []float32, ds int, src []float32, sa, sb, n int) {
			n16 := n / 16 * 16
			asm.WinoDy2x2AVX512(dst, ds, src, sa, sb, n16)
			if n16 < n {
				asm.WinoDy2x2AVX2(dst[n16:], ds, src[n16:], sa, sb, n-n16)
			}
		}
	}
}

// winoDyFor returns s's dy transform: AVX-512 for the avx512 impl, else
// AVX2 (nil: winoDyN does all of it).
func winoDyFor(s *simdImpl) func(dst []float32, ds int, src []float32, sa, sb, n int) {
	if s.kernels[0] == mkAVX512 && winoDyAVX512 != nil {
		return winoDyAVX512
	}
	return winoDyAVX2
}
