//go:build gc && !purego

package asm

import "fmt"

// The Winograd F(4x4,3x3) tile transforms (Lavin & Gray, arXiv:1509.09308)
// with AVX2+FMA, n channels per call (n%8 == 0), each tile element a
// vector of n contiguous floats. With the matrices
//
//	BT = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//	G  = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
//	AT = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
//
// a 3x3 convolution of a 6x6 input tile d with weights g is
// AT ((G g G^T) .* (BT d BT^T)) AT^T, a 4x4 output tile. Each transform
// applies its matrix to the columns first, then to the rows, with the
// simplifications spelt out in winograd_amd64.s; results agree with the
// plain matrix products up to float32 rounding (no bit-exactness: FMAs).

// WinoInput4x4 is the input transform: for c < n and i, j < 6,
//
//	dst[(i*6+j)*ds+c] = sum over a, b < 6 of BT[i][a] * src[a*sa+b*sb+c] * BT[j][b]
//
// It requires n%8 == 0, ds >= n, sa, sb >= 0, len(src) >= 5*sa+5*sb+n,
// len(dst) >= 35*ds+n, dst not overlapping src, and AVX2 and FMA.
func WinoInput4x4(dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWino("WinoInput4x4", n, ds, len(dst), 35*ds+n, sa, sb, len(src), 5*sa+5*sb+n)
	winoInput4x4AVX2(dst, ds, src, sa, sb, n)
}

// WinoOutput4x4 is the output transform with a bias: for c < n and
// i, j < 4,
//
//	dst[i*da+j*db+c] = bias[c] + sum over a, b < 6 of AT[i][a] * src[(a*6+b)*ss+c] * AT[j][b]
//
// src is used as scratch: its contents are undefined afterwards. It
// requires n%8 == 0, ss >= n, da, db >= 0, len(src) >= 35*ss+n, len(dst)
// >= 3*da+3*db+n, len(bias) >= n, dst not overlapping src, and AVX2 and
// FMA.
func WinoOutput4x4(dst []float32, da, db int, src []float32, ss int, bias []float32, n int) {
	checkWino("WinoOutput4x4", n, ss, len(src), 35*ss+n, da, db, len(dst), 3*da+3*db+n)
	if len(bias) < n {
		panic(fmt.Sprintf("asm: WinoOutput4x4: len(bias)=%d < n=%d", len(bias), n))
	}
	winoOutput4x4AVX2(dst, da, db, src, ss, bias, n)
}

// WinoWeight4x4 is the weight transform: for c < n and i, j < 6,
//
//	dst[(i*6+j)*ds+c] = sum over a, b < 3 of G[i][a] * src[a*sa+b*sb+c] * G[j][b]
//
// It requires n%8 == 0, ds >= n, sa, sb >= 0, len(src) >= 2*sa+2*sb+n,
// len(dst) >= 35*ds+n, dst not overlapping src, and AVX2 and FMA.
func WinoWeight4x4(dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWino("WinoWeight4x4", n, ds, len(dst), 35*ds+n, sa, sb, len(src), 2*sa+2*sb+n)
	winoWeight4x4AVX2(dst, ds, src, sa, sb, n)
}

// WinoInput2x2, WinoOutput2x2 and WinoWeight2x2 are the transforms of
// F(2x2,3x3), with 4x4 transformed tiles and 2x2 output tiles, the
// contracts of the 4x4 ones with 6 replaced by 4 (and 4 outputs by 2) and
//
//	BT = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//	G  = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//	AT = [1 1 1 0; 0 1 -1 -1]
//
// WinoInput2x2 requires len(src) >= 3*sa+3*sb+n and len(dst) >= 15*ds+n.
func WinoInput2x2(dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWino("WinoInput2x2", n, ds, len(dst), 15*ds+n, sa, sb, len(src), 3*sa+3*sb+n)
	winoInput2x2AVX2(dst, ds, src, sa, sb, n)
}

// WinoOutput2x2: see WinoInput2x2; it requires len(src) >= 15*ss+n,
// len(dst) >= da+db+n and len(bias) >= n, and overwrites src.
func WinoOutput2x2(dst []float32, da, db int, src []float32, ss int, bias []float32, n int) {
	checkWino("WinoOutput2x2", n, ss, len(src), 15*ss+n, da, db, len(dst), da+db+n)
	if len(bias) < n {
		panic(fmt.Sprintf("asm: WinoOutput2x2: len(bias)=%d < n=%d", len(bias), n))
	}
	winoOutput2x2AVX2(dst, da, db, src, ss, bias, n)
}

// WinoWeight2x2: see WinoInput2x2; it requires len(src) >= 2*sa+2*sb+n and
// len(dst) >= 15*ds+n.
func WinoWeight2x2(dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWino("WinoWeight2x2", n, ds, len(dst), 15*ds+n, sa, sb, len(src), 2*sa+2*sb+n)
	winoWeight2x2AVX2(dst, ds, src, sa, sb, n)
}

// checkWino panics unless a transform of n channels fits its slices: the
// one with element stride es (length l, at least need) and the one with
// strides s1, s2 (length l2, at least need2).
func checkWino(name string, n, es, l, need, s1, s2, l2, need2 int) {
	switch {
	case n < 0 || n%8 != 0:
		panic(fmt.Sprintf("asm: %s: n=%d not a multiple of 8", name, n))
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

//go:noescape
func winoInput4x4AVX2(dst []float32, ds int, src []float32, sa, sb, n int)

//go:noescape
func winoOutput4x4AVX2(dst []float32, da, db int, src []float32, ss int, bias []float32, n int)

//go:noescape
func winoWeight4x4AVX2(dst []float32, ds int, src []float32, sa, sb, n int)

//go:noescape
func winoInput2x2AVX2(dst []float32, ds int, src []float32, sa, sb, n int)

//go:noescape
func winoOutput2x2AVX2(dst []float32, da, db int, src []float32, ss int, bias []float32, n int)

//go:noescape
func winoWeight2x2AVX2(dst []float32, ds int, src []float32, sa, sb, n int)

// WinoInput4x4AVX512, WinoOutput4x4AVX512, WinoWeight4x4AVX512,
// WinoInput2x2AVX512, WinoOutput2x2AVX512 and WinoWeight2x2AVX512 are the
// transforms above with AVX-512F, 16 channels per step: the same contracts
// with n%16 == 0, and a CPU with AVX-512F.
func WinoInput4x4AVX512(dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWino16("WinoInput4x4AVX512", n)
	checkWino("WinoInput4x4AVX512", n, ds, len(dst), 35*ds+n, sa, sb, len(src), 5*sa+5*sb+n)
	winoInput4x4AVX512(dst, ds, src, sa, sb, n)
}

// WinoOutput4x4AVX512: see WinoInput4x4AVX512.
func WinoOutput4x4AVX512(dst []float32, da, db int, src []float32, ss int, bias []float32, n int) {
	checkWino16("WinoOutput4x4AVX512", n)
	checkWino("WinoOutput4x4AVX512", n, ss, len(src), 35*ss+n, da, db, len(dst), 3*da+3*db+n)
	if len(bias) < n {
		panic(fmt.Sprintf("asm: WinoOutput4x4AVX512: len(bias)=%d < n=%d", len(bias), n))
	}
	winoOutput4x4AVX512(dst, da, db, src, ss, bias, n)
}

// WinoWeight4x4AVX512: see WinoInput4x4AVX512.
func WinoWeight4x4AVX512(dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWino16("WinoWeight4x4AVX512", n)
	checkWino("WinoWeight4x4AVX512", n, ds, len(dst), 35*ds+n, sa, sb, len(src), 2*sa+2*sb+n)
	winoWeight4x4AVX512(dst, ds, src, sa, sb, n)
}

// WinoInput2x2AVX512: see WinoInput4x4AVX512.
func WinoInput2x2AVX512(dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWino16("WinoInput2x2AVX512", n)
	checkWino("WinoInput2x2AVX512", n, ds, len(dst), 15*ds+n, sa, sb, len(src), 3*sa+3*sb+n)
	winoInput2x2AVX512(dst, ds, src, sa, sb, n)
}

// WinoOutput2x2AVX512: see WinoInput4x4AVX512.
func WinoOutput2x2AVX512(dst []float32, da, db int, src []float32, ss int, bias []float32, n int) {
	checkWino16("WinoOutput2x2AVX512", n)
	checkWino("WinoOutput2x2AVX512", n, ss, len(src), 15*ss+n, da, db, len(dst), da+db+n)
	if len(bias) < n {
		panic(fmt.Sprintf("asm: WinoOutput2x2AVX512: len(bias)=%d < n=%d", len(bias), n))
	}
	winoOutput2x2AVX512(dst, da, db, src, ss, bias, n)
}

// WinoWeight2x2AVX512: see WinoInput4x4AVX512.
func WinoWeight2x2AVX512(dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWino16("WinoWeight2x2AVX512", n)
	checkWino("WinoWeight2x2AVX512", n, ds, len(dst), 15*ds+n, sa, sb, len(src), 2*sa+2*sb+n)
	winoWeight2x2AVX512(dst, ds, src, sa, sb, n)
}

func checkWino16(name string, n int) {
	if n%16 != 0 {
		panic(fmt.Sprintf("asm: %s: n=%d not a multiple of 16", name, n))
	}
}

//go:noescape
func winoInput4x4AVX512(dst []float32, ds int, src []float32, sa, sb, n int)

//go:noescape
func winoOutput4x4AVX512(dst []float32, da, db int, src []float32, ss int, bias []float32, n int)

//go:noescape
func winoWeight4x4AVX512(dst []float32, ds int, src []float32, sa, sb, n int)

//go:noescape
func winoInput2x2AVX512(dst []float32, ds int, src []float32, sa, sb, n int)

//go:noescape
func winoOutput2x2AVX512(dst []float32, da, db int, src []float32, ss int, bias []float32, n int)

//go:noescape
func winoWeight2x2AVX512(dst []float32, ds int, src []float32, sa, sb, n int)
