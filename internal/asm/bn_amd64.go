//go:build gc && !purego

package asm

//go:generate sh -c "cd _asm && go run ./bn -out ../bn_amd64.s -stubs ../bn_stubs_amd64.go -pkg asm"

// The AVX2 batch-norm row kernels, 8 columns a step (bn.go has their Go
// loops and requirements). The float64 column sums convert each float32
// with VCVTPS2PD and round every product before its sum (no FMA), so they
// equal the Go loops bit for bit. BNApplyRowsAVX2's ReLU is VMAXPS, which
// gives -0 for max(-0, 0) (NaN propagates as in Go's max).

// avx2 names the AVX2 kernels of every family here (batch-norm,
// elementwise, Adam): 8 float32 lanes.
var avx2 = isa{"AVX2", 8}

// ColSum64AVX2 is ColSum64<ISA> in AVX2: see checkColSum64 in bn.go.
func ColSum64AVX2(acc []float64, x []float32, rows, ld int) {
	checkColSum64(avx2, acc, x, rows, ld)
	colSum64AVX2(acc, x, rows, ld)
}

// ColSqDev64AVX2 is ColSqDev64<ISA> in AVX2: see checkColSqDev64 in bn.go.
func ColSqDev64AVX2(acc, mu []float64, x []float32, rows, ld int) {
	checkColSqDev64(avx2, acc, mu, x, rows, ld)
	colSqDev64AVX2(acc, mu, x, rows, ld)
}

// ColGradSums64AVX2 is ColGradSums64<ISA> in AVX2: see checkColGradSums64 in bn.go.
func ColGradSums64AVX2(s0, s1, mu []float64, dy, x []float32, rows, ld int) {
	checkColGradSums64(avx2, s0, s1, mu, dy, x, rows, ld)
	colGradSums64AVX2(s0, s1, mu, dy, x, rows, ld)
}

// BNApplyRowsAVX2 is BNApplyRows<ISA> in AVX2: see checkBNApplyRows in bn.go.
func BNApplyRowsAVX2(y, x, res, mean, scale, shift []float32, rows, ld, flags int) {
	checkBNApplyRows(avx2, y, x, res, mean, scale, shift, rows, ld, flags)
	bnApplyRowsAVX2(y, x, res, mean, scale, shift, rows, ld, flags)
}

// BNGradRowsAVX2 is BNGradRows<ISA> in AVX2: see checkBNGradRows in bn.go.
func BNGradRowsAVX2(dx, dy, x, mean, a, b, d []float32, rows, ld int) {
	checkBNGradRows(avx2, dx, dy, x, mean, a, b, d, rows, ld)
	bnGradRowsAVX2(dx, dy, x, mean, a, b, d, rows, ld)
}
