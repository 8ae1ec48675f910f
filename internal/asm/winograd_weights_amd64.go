//go:build gc && !purego

package asm

// WinoDy2x2AVX2 is the transform of a 2x2 block of output gradients dY
// for Winograd F(2x2,3x3) backward-weights (dM = A dY AT, A = AT^T with
// AT = [1 1 1 0; 0 1 -1 -1]), with its last row and column negated so that
// no element needs a negation: with
//
//	Ah = [1 0; 1 1; 1 -1; 0 1]
//
// it computes, for c < n and i, j < 4,
//
//	dst[(i*4+j)*ds+c] = sum over a, b < 2 of Ah[i][a] * src[a*sa+b*sb+c] * Ah[j][b]
//
// (rows a along H, sa floats apart; columns b along W, sb apart). It
// requires n%8 == 0, ds >= n, sa, sb >= 0, len(src) >= sa+sb+n, len(dst)
// >= 15*ds+n, dst not overlapping src, and AVX2. The assembly is
// generated with the other transforms (winograd_amd64.go).
func WinoDy2x2AVX2(dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWinoIn("WinoDy2x2AVX2", 8, 16, 2, dst, ds, src, sa, sb, n)
	winoDy2x2AVX2(dst, ds, src, sa, sb, n)
}

// WinoDy2x2AVX512 is WinoDy2x2AVX2 with AVX-512F, 16 channels a step: the
// same contract with n%16 == 0.
func WinoDy2x2AVX512(dst []float32, ds int, src []float32, sa, sb, n int) {
	checkWinoIn("WinoDy2x2AVX512", 16, 16, 2, dst, ds, src, sa, sb, n)
	winoDy2x2AVX512(dst, ds, src, sa, sb, n)
}
