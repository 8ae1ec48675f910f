//go:build gc && !purego

package asm

// The NEON batch-norm row kernels, 4 columns a step (bn.go has their Go
// loops and requirements). The float64 column sums convert each float32
// with FCVTL/FCVTL2 and add the rows in order; products are fused into
// their sums (FMLA), as Go may fuse x*y + z on arm64, so results agree
// with the Go loops to a rounding, not always bit for bit.
// BNApplyRowsNEON's normalisation is one fused multiply-add and its ReLU
// FMAX: NaN propagates and max(-0, 0) is +0, as in Go's max.

// neon names the NEON kernels of every family here (batch-norm,
// elementwise, Adam): 4 float32 lanes.
var neon = isa{"NEON", 4}

// ColSum64NEON is ColSum64<ISA> in NEON: see checkColSum64 in bn.go.
func ColSum64NEON(acc []float64, x []float32, rows, ld int) {
	checkColSum64(neon, acc, x, rows, ld)
	colSum64NEON(acc, x, rows, ld)
}

// ColSqDev64NEON is ColSqDev64<ISA> in NEON: see checkColSqDev64 in bn.go.
func ColSqDev64NEON(acc, mu []float64, x []float32, rows, ld int) {
	checkColSqDev64(neon, acc, mu, x, rows, ld)
	colSqDev64NEON(acc, mu, x, rows, ld)
}

// ColGradSums64NEON is ColGradSums64<ISA> in NEON: see checkColGradSums64 in bn.go.
func ColGradSums64NEON(s0, s1, mu []float64, dy, x []float32, rows, ld int) {
	checkColGradSums64(neon, s0, s1, mu, dy, x, rows, ld)
	colGradSums64NEON(s0, s1, mu, dy, x, rows, ld)
}

// BNApplyRowsNEON is BNApplyRows<ISA> in NEON: see checkBNApplyRows in bn.go.
func BNApplyRowsNEON(y, x, res, mean, scale, shift []float32, rows, ld, flags int) {
	checkBNApplyRows(neon, y, x, res, mean, scale, shift, rows, ld, flags)
	bnApplyRowsNEON(y, x, res, mean, scale, shift, rows, ld, flags)
}

// BNGradRowsNEON is BNGradRows<ISA> in NEON: see checkBNGradRows in bn.go.
func BNGradRowsNEON(dx, dy, x, mean, a, b, d []float32, rows, ld int) {
	checkBNGradRows(neon, dx, dy, x, mean, a, b, d, rows, ld)
	bnGradRowsNEON(dx, dy, x, mean, a, b, d, rows, ld)
}

//go:noescape
func colSum64NEON(acc []float64, x []float32, rows, ld int)

//go:noescape
func colSqDev64NEON(acc, mu []float64, x []float32, rows, ld int)

//go:noescape
func colGradSums64NEON(s0, s1, mu []float64, dy, x []float32, rows, ld int)

//go:noescape
func bnApplyRowsNEON(y, x, res, mean, scale, shift []float32, rows, ld, flags int)

//go:noescape
func bnGradRowsNEON(dx, dy, x, mean, a, b, d []float32, rows, ld int)
