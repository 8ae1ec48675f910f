//go:build gc && !purego

#include "textflag.h"
#include "neon_arm64.h"

// Hand-written NEON kernels for bf16 inference (FEAT_BF16). See
// bf16_arm64.go: BFMLALT then BFMLALB per pair, under FPCR.FZ = 1, are
// VDPBF16PS's arithmetic (odd product first, one rounding to nearest even
// per product, denormals flushed), so the sums equal the generic kernel's
// bit for bit.

// FPCR.FZ: flush float32 denormal inputs and results to zero.
#define FPCR_FZ 0x1000000

// func sumsBF16_4x16NEONBF16(a []uint16, lda, rowStride, rows, kp int, b []uint16, bstride int, c []float32, ldc int)
// c[i*ldc/4+j] = sum over r < rows, p < kp of the pairs of A row i
// (a + i*lda + r*rowStride + 4*p bytes) times those of channel j of B
// (b + (r*kp+p)*bstride + 4*j bytes), i < 4, j < 16. Strides in bytes.
// V0..V15 accumulators (row i, channels 4j.. in V(4i+j)), V16..V19 the B
// pairs of 16 channels, V20..V23 the A pair of rows 0..3 in every lane.
TEXT ·sumsBF16_4x16NEONBF16(SB), NOSPLIT, $0-120
	MOVD a_base+0(FP), R0        // A row 0 at the current kernel row
	MOVD lda+24(FP), R1          // A row stride in bytes
	MOVD rowStride+32(FP), R2    // kernel-row stride of A in bytes
	MOVD rows+40(FP), R3         // kernel rows left
	MOVD b_base+56(FP), R5       // B panel at the current pair step
	MOVD bstride+80(FP), R6      // B bytes per pair step
	MRS  FPCR, R7                // caller's FPCR, restored at the end
	ORR  $FPCR_FZ, R7, R8
	MSR  R8, FPCR                // flush denormals (VDPBF16PS's DAZ and FTZ)
	VEOR V0.B16, V0.B16, V0.B16 // accumulator 0 = 0
	VEOR V1.B16, V1.B16, V1.B16 // accumulator 1 = 0
	VEOR V2.B16, V2.B16, V2.B16 // accumulator 2 = 0
	VEOR V3.B16, V3.B16, V3.B16 // accumulator 3 = 0
	VEOR V4.B16, V4.B16, V4.B16 // accumulator 4 = 0
	VEOR V5.B16, V5.B16, V5.B16 // accumulator 5 = 0
	VEOR V6.B16, V6.B16, V6.B16 // accumulator 6 = 0
	VEOR V7.B16, V7.B16, V7.B16 // accumulator 7 = 0
	VEOR V8.B16, V8.B16, V8.B16 // accumulator 8 = 0
	VEOR V9.B16, V9.B16, V9.B16 // accumulator 9 = 0
	VEOR V10.B16, V10.B16, V10.B16 // accumulator 10 = 0
	VEOR V11.B16, V11.B16, V11.B16 // accumulator 11 = 0
	VEOR V12.B16, V12.B16, V12.B16 // accumulator 12 = 0
	VEOR V13.B16, V13.B16, V13.B16 // accumulator 13 = 0
	VEOR V14.B16, V14.B16, V14.B16 // accumulator 14 = 0
	VEOR V15.B16, V15.B16, V15.B16 // accumulator 15 = 0

krow:
	MOVD R0, R9                  // A row 0
	ADD  R1, R9, R10             // A row 1
	ADD  R1, R10, R11            // A row 2
	ADD  R1, R11, R12            // A row 3
	MOVD kp+48(FP), R4           // pair steps of this kernel row
	CBZ  R4, knext

kstep:
	VLD1 (R5), [V16.H8, V17.H8, V18.H8, V19.H8] // B pairs of channels 0..15
	ADD  R6, R5, R5              // next pair step of B
	VLD1R (R9), [V20.S4]         // A pair of row 0 in every lane
	VLD1R (R10), [V21.S4]        // row 1
	VLD1R (R11), [V22.S4]        // row 2
	VLD1R (R12), [V23.S4]        // row 3
	ADD  $4, R9, R9              // next pair of A
	ADD  $4, R10, R10
	ADD  $4, R11, R11
	ADD  $4, R12, R12
	BFMLALT_4S(0, 16, 20) // BFMLALT V0.4S, V16.8H, V20.8H
	BFMLALT_4S(1, 17, 20) // BFMLALT V1.4S, V17.8H, V20.8H
	BFMLALT_4S(2, 18, 20) // BFMLALT V2.4S, V18.8H, V20.8H
	BFMLALT_4S(3, 19, 20) // BFMLALT V3.4S, V19.8H, V20.8H
	BFMLALT_4S(4, 16, 21) // BFMLALT V4.4S, V16.8H, V21.8H
	BFMLALT_4S(5, 17, 21) // BFMLALT V5.4S, V17.8H, V21.8H
	BFMLALT_4S(6, 18, 21) // BFMLALT V6.4S, V18.8H, V21.8H
	BFMLALT_4S(7, 19, 21) // BFMLALT V7.4S, V19.8H, V21.8H
	BFMLALT_4S(8, 16, 22) // BFMLALT V8.4S, V16.8H, V22.8H
	BFMLALT_4S(9, 17, 22) // BFMLALT V9.4S, V17.8H, V22.8H
	BFMLALT_4S(10, 18, 22) // BFMLALT V10.4S, V18.8H, V22.8H
	BFMLALT_4S(11, 19, 22) // BFMLALT V11.4S, V19.8H, V22.8H
	BFMLALT_4S(12, 16, 23) // BFMLALT V12.4S, V16.8H, V23.8H
	BFMLALT_4S(13, 17, 23) // BFMLALT V13.4S, V17.8H, V23.8H
	BFMLALT_4S(14, 18, 23) // BFMLALT V14.4S, V18.8H, V23.8H
	BFMLALT_4S(15, 19, 23) // BFMLALT V15.4S, V19.8H, V23.8H
	BFMLALB_4S(0, 16, 20) // BFMLALB V0.4S, V16.8H, V20.8H
	BFMLALB_4S(1, 17, 20) // BFMLALB V1.4S, V17.8H, V20.8H
	BFMLALB_4S(2, 18, 20) // BFMLALB V2.4S, V18.8H, V20.8H
	BFMLALB_4S(3, 19, 20) // BFMLALB V3.4S, V19.8H, V20.8H
	BFMLALB_4S(4, 16, 21) // BFMLALB V4.4S, V16.8H, V21.8H
	BFMLALB_4S(5, 17, 21) // BFMLALB V5.4S, V17.8H, V21.8H
	BFMLALB_4S(6, 18, 21) // BFMLALB V6.4S, V18.8H, V21.8H
	BFMLALB_4S(7, 19, 21) // BFMLALB V7.4S, V19.8H, V21.8H
	BFMLALB_4S(8, 16, 22) // BFMLALB V8.4S, V16.8H, V22.8H
	BFMLALB_4S(9, 17, 22) // BFMLALB V9.4S, V17.8H, V22.8H
	BFMLALB_4S(10, 18, 22) // BFMLALB V10.4S, V18.8H, V22.8H
	BFMLALB_4S(11, 19, 22) // BFMLALB V11.4S, V19.8H, V22.8H
	BFMLALB_4S(12, 16, 23) // BFMLALB V12.4S, V16.8H, V23.8H
	BFMLALB_4S(13, 17, 23) // BFMLALB V13.4S, V17.8H, V23.8H
	BFMLALB_4S(14, 18, 23) // BFMLALB V14.4S, V18.8H, V23.8H
	BFMLALB_4S(15, 19, 23) // BFMLALB V15.4S, V19.8H, V23.8H
	SUBS $1, R4, R4
	BNE  kstep

knext:
	ADD  R2, R0, R0              // next kernel row of A
	SUBS $1, R3, R3
	BNE  krow

	MSR  R7, FPCR                // the caller's FPCR again
	MOVD c_base+88(FP), R13      // output row 0
	MOVD ldc+112(FP), R14        // output row stride in bytes
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R13) // row 0
	ADD  R14, R13, R13
	VST1 [V4.S4, V5.S4, V6.S4, V7.S4], (R13) // row 1
	ADD  R14, R13, R13
	VST1 [V8.S4, V9.S4, V10.S4, V11.S4], (R13) // row 2
	ADD  R14, R13, R13
	VST1 [V12.S4, V13.S4, V14.S4, V15.S4], (R13) // row 3
	RET

// func bfmlalProbe(dst []float32, a, b []uint16)
// One BFMLALT then one BFMLALB on dst[0..3] with a[0..7], b[0..7], under
// FPCR.FZ = 1 as in the kernel; the encoding test.
TEXT ·bfmlalProbe(SB), NOSPLIT, $0-72
	MOVD dst_base+0(FP), R0
	MOVD a_base+24(FP), R1
	MOVD b_base+48(FP), R2
	VLD1 (R0), [V0.S4]
	VLD1 (R1), [V1.H8]
	VLD1 (R2), [V2.H8]
	MRS  FPCR, R7
	ORR  $FPCR_FZ, R7, R8
	MSR  R8, FPCR
	BFMLALT_4S(0, 1, 2) // BFMLALT V0.4S, V1.8H, V2.8H
	BFMLALB_4S(0, 1, 2) // BFMLALB V0.4S, V1.8H, V2.8H
	MSR  R7, FPCR
	VST1 [V0.S4], (R0)
	RET
