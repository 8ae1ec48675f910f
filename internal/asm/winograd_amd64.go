//go:build gc && !purego

package asm

import "fmt"

//go:generate sh -c "cd _asm && go run ./winograd -out ../winograd_amd64.s -stubs ../winograd_stubs_amd64.go -pkg asm"

// The Winograd F(4x4,3x3) and F(2x2,3x3) tile transforms (Lavin & Gray,
// arXiv:1509.09308), n channels per call, each tile element a vector of n
// contiguous floats; generated (winograd_amd64.s, by _asm/winograd) for
// AVX2+FMA, 8 channels a step (n%8 == 0), and AVX-512F, 16 a step
// (n%16 == 0), the same operations in the same order, so the two give the
// same bits. With the matrices
//
//	BT = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//	G  = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
//	AT = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
//
// a 3x3 convolution of a 6x6 input tile d with weights g is
// AT ((G g G^T) .* (BT d BT^T)) AT^T, a 4x4 output tile. Each transform
// applies its matrix to the columns first, then to the rows, in the order
// of operations of _asm/winograd/transforms.go; results agree with the
// plain matrix products up to float32 rounding (no bit-exactness: FMAs).

// WinoInput4x4AVX2 is the input transform: for c < n and i, j < 6,
//
//	dst[(i*6+j)*ds+c] = sum over a, b < 6 of BT[i][a] * src[a*sa+b*sb+c] * BT[j][b]
//
// It requires n%8 == 0, ds >= n, sa, sb >= 0, len(src) >= 5*sa+5*sb+n,
// len(dst) >= 35*ds+n, dst not overlapping src, and AVX2 and FMA.
func WinoInput4x4AVX2(dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWinoIn("WinoInput4x4AVX2", 8, 36, 6, dst, ds, src, sa, sb, n)
	winoInput4x4AVX2(dst, ds, src, sa, sb, n)
}

// WinoOutput4x4AVX2 is the output transform with a bias: for c < n and
// i, j < 4,
//
//	dst[i*da+j*db+c] = bias[c] + sum over a, b < 6 of AT[i][a] * src[(a*6+b)*ss+c] * AT[j][b]
//
// src is used as scratch: its contents are undefined afterwards. It
// requires n%8 == 0, ss >= n, da, db >= 0, len(src) >= 35*ss+n, len(dst)
// >= 3*da+3*db+n, len(bias) >= n, dst not overlapping src, and AVX2 and
// FMA.
func WinoOutput4x4AVX2(dst []float32, da, db int, src []float32, ss int, bias []float32, n int) {
	checkWinoOut("WinoOutput4x4AVX2", 8, 36, 4, dst, da, db, src, ss, bias, n)
	winoOutput4x4AVX2(dst, da, db, src, ss, bias, n)
}

// WinoWeight4x4AVX2 is the weight transform: for c < n and i, j < 6,
//
//	dst[(i*6+j)*ds+c] = sum over a, b < 3 of G[i][a] * src[a*sa+b*sb+c] * G[j][b]
//
// It requires n%8 == 0, ds >= n, sa, sb >= 0, len(src) >= 2*sa+2*sb+n,
// len(dst) >= 35*ds+n, dst not overlapping src, and AVX2 and FMA.
func WinoWeight4x4AVX2(dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWinoIn("WinoWeight4x4AVX2", 8, 36, 3, dst, ds, src, sa, sb, n)
	winoWeight4x4AVX2(dst, ds, src, sa, sb, n)
}

// WinoInput2x2AVX2, WinoOutput2x2AVX2 and WinoWeight2x2AVX2 are the
// transforms of F(2x2,3x3), with 4x4 transformed tiles and 2x2 output
// tiles, the contracts of the 4x4 ones with 6 replaced by 4 (and 4
// outputs by 2) and
//
//	BT = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//	G  = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//	AT = [1 1 1 0; 0 1 -1 -1]
//
// WinoInput2x2AVX2 requires len(src) >= 3*sa+3*sb+n and len(dst) >= 15*ds+n.
func WinoInput2x2AVX2(dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWinoIn("WinoInput2x2AVX2", 8, 16, 4, dst, ds, src, sa, sb, n)
	winoInput2x2AVX2(dst, ds, src, sa, sb, n)
}

// WinoOutput2x2AVX2: see WinoInput2x2AVX2; it requires len(src) >=
// 15*ss+n, len(dst) >= da+db+n and len(bias) >= n, and overwrites src.
func WinoOutput2x2AVX2(dst []float32, da, db int, src []float32, ss int, bias []float32, n int) {
	checkWinoOut("WinoOutput2x2AVX2", 8, 16, 2, dst, da, db, src, ss, bias, n)
	winoOutput2x2AVX2(dst, da, db, src, ss, bias, n)
}

// WinoWeight2x2AVX2: see WinoInput2x2AVX2; it requires len(src) >=
// 2*sa+2*sb+n and len(dst) >= 15*ds+n.
func WinoWeight2x2AVX2(dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWinoIn("WinoWeight2x2AVX2", 8, 16, 3, dst, ds, src, sa, sb, n)
	winoWeight2x2AVX2(dst, ds, src, sa, sb, n)
}

// WinoInput4x4AVX512, WinoOutput4x4AVX512, WinoWeight4x4AVX512,
// WinoInput2x2AVX512, WinoOutput2x2AVX512 and WinoWeight2x2AVX512 are the
// AVX2 transforms above with AVX-512F, 16 channels a step: the same
// contracts with n%16 == 0, and a CPU with AVX-512F.
func WinoInput4x4AVX512(dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWinoIn("WinoInput4x4AVX512", 16, 36, 6, dst, ds, src, sa, sb, n)
	winoInput4x4AVX512(dst, ds, src, sa, sb, n)
}

// WinoOutput4x4AVX512: see WinoInput4x4AVX512.
func WinoOutput4x4AVX512(dst []float32, da, db int, src []float32, ss int, bias []float32, n int) {
	checkWinoOut("WinoOutput4x4AVX512", 16, 36, 4, dst, da, db, src, ss, bias, n)
	winoOutput4x4AVX512(dst, da, db, src, ss, bias, n)
}

// WinoWeight4x4AVX512: see WinoInput4x4AVX512.
func WinoWeight4x4AVX512(dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWinoIn("WinoWeight4x4AVX512", 16, 36, 3, dst, ds, src, sa, sb, n)
	winoWeight4x4AVX512(dst, ds, src, sa, sb, n)
}

// WinoInput2x2AVX512: see WinoInput4x4AVX512.
func WinoInput2x2AVX512(dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWinoIn("WinoInput2x2AVX512", 16, 16, 4, dst, ds, src, sa, sb, n)
	winoInput2x2AVX512(dst, ds, src, sa, sb, n)
}

// WinoOutput2x2AVX512: see WinoInput4x4AVX512.
func WinoOutput2x2AVX512(dst []float32, da, db int, src []float32, ss int, bias []float32, n int) {
	checkWinoOut("WinoOutput2x2AVX512", 16, 16, 2, dst, da, db, src, ss, bias, n)
	winoOutput2x2AVX512(dst, da, db, src, ss, bias, n)
}

// WinoWeight2x2AVX512: see WinoInput4x4AVX512.
func WinoWeight2x2AVX512(dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWinoIn("WinoWeight2x2AVX512", 16, 16, 3, dst, ds, src, sa, sb, n)
	winoWeight2x2AVX512(dst, ds, src, sa, sb, n)
}

// checkWinoIn panics unless a transform of n channels (a multiple of
// lanes) from a q x q grid of src, sa and sb floats apart, to ne elements
// of dst, ds floats apart, fits its slices.
func checkWinoIn(name string, lanes, ne, q int, dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWino(name, lanes, n, ds, len(dst), (ne-1)*ds+n, sa, sb, len(src), (q-1)*(sa+sb)+n)
}

// checkWinoOut panics unless an output transform of n channels (a
// multiple of lanes) from ne elements of src, ss floats apart, to an m x m
// grid of dst, da and db floats apart, with n biases, fits its slices.
func checkWinoOut(name string, lanes, ne, m int, dst []float32, da, db int, src []float32, ss int, bias []float32, n int) {
	checkWino(name, lanes, n, ss, len(src), (ne-1)*ss+n, da, db, len(dst), (m-1)*(da+db)+n)
	if len(bias) < n {
		panic(fmt.Sprintf("asm: %s: len(bias)=%d < n=%d", name, len(bias), n))
	}
}

// checkWino panics unless a transform of n channels (a multiple of lanes)
// fits its slices: the one with element stride es (length l, at least
// need) and the one with strides s1, s2 (length l2, at least need2).
func checkWino(name string, lanes, n, es, l, need, s1, s2, l2, need2 int) {
	switch {
	case n < 0 || n%lanes != 0:
		panic(fmt.Sprintf("asm: %s: n=%d not a multiple of %d", name, n, lanes))
	case es < n:
		panic(fmt.Sprintf("asm: %s: element stride %d < n=%d", name, es, n))
	case s1 < 0 || s2 < 0:
		panic(fmt.Sprintf("asm: %s: negative stride %d, %d", name, s1, s2))
	case n > 0 && l < need:
		panic(fmt.Sprintf("asm: %s: tile slice length %d < %d", name, l, need))
	case n > 0 && l2 < need2:
		panic(fmt.Sprintf("asm: %s: strided slice length %d < %d", name, l2, need2))
	}
}
