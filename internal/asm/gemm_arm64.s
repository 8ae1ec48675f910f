//go:build gc && !purego

#include "textflag.h"

// NEON 8x12 micro-kernel: C[8x12] += A[8xk] (row stride lda) * B[kx12]
// (row stride ldb).
// Accumulators: V0..V23 (row i in V(3i), V(3i+1), V(3i+2)); B row in
// V24..V26; broadcasts of A (VLD1R) rotate through V27..V31.
// Rows of A: R6..R13 (one pointer per row, post-incremented by 4 bytes).
// Go's assembler has VFMLA (Vd += Vn*Vm) but no vector FADD, so the
// accumulators are loaded from C and stored back: no add at the end.

// func sgemm8x12NEON(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, nb, adv int)
TEXT ·sgemm8x12NEON(SB), NOSPLIT, $0-120
	MOVD k+0(FP), R0                  // k
	MOVD a_base+8(FP), R6             // row 0 of A
	MOVD lda+32(FP), R2
	LSL  $2, R2                       // lda in bytes
	ADD  R2, R6, R7                 // row 1 of A
	ADD  R2, R7, R8                 // row 2 of A
	ADD  R2, R8, R9                 // row 3 of A
	ADD  R2, R9, R10                 // row 4 of A
	ADD  R2, R10, R11                 // row 5 of A
	ADD  R2, R11, R12                 // row 6 of A
	ADD  R2, R12, R13                 // row 7 of A
	MOVD b_base+40(FP), R3            // B
	MOVD ldb+64(FP), R15
	LSL  $2, R15                      // ldb in bytes
	MOVD c_base+72(FP), R4            // C tile
	MOVD ldc+96(FP), R5
	LSL  $2, R5                       // ldc in bytes
	MOVD R4, R14
	VLD1 (R14), [V0.S4, V1.S4, V2.S4] // accumulators of row 0 start from C
	ADD  R5, R14, R14
	VLD1 (R14), [V3.S4, V4.S4, V5.S4] // accumulators of row 1 start from C
	ADD  R5, R14, R14
	VLD1 (R14), [V6.S4, V7.S4, V8.S4] // accumulators of row 2 start from C
	ADD  R5, R14, R14
	VLD1 (R14), [V9.S4, V10.S4, V11.S4] // accumulators of row 3 start from C
	ADD  R5, R14, R14
	VLD1 (R14), [V12.S4, V13.S4, V14.S4] // accumulators of row 4 start from C
	ADD  R5, R14, R14
	VLD1 (R14), [V15.S4, V16.S4, V17.S4] // accumulators of row 5 start from C
	ADD  R5, R14, R14
	VLD1 (R14), [V18.S4, V19.S4, V20.S4] // accumulators of row 6 start from C
	ADD  R5, R14, R14
	VLD1 (R14), [V21.S4, V22.S4, V23.S4] // accumulators of row 7 start from C
	ADD  R5, R14, R14
	MOVD nb+104(FP), R19              // blocks of k steps
	MOVD adv+112(FP), R20
	LSL  $2, R20                      // bytes from the end of a block of A to the next

block8x12:
	MOVD k+0(FP), R0                  // k steps per block
	CBZ  R0, next8x12

loop8x12:
	VLD1 (R3), [V24.S4, V25.S4, V26.S4] // B[p, 0:12]
	ADD  R15, R3, R3                  // next row of B
	VLD1R.P 4(R6), [V27.S4]         // broadcast A[0, p]
	VFMLA V24.S4, V27.S4, V0.S4 // C[0, 0:4] += A[0,p]*B[p, 0:4]
	VFMLA V25.S4, V27.S4, V1.S4 // C[0, 4:8] += A[0,p]*B[p, 4:8]
	VFMLA V26.S4, V27.S4, V2.S4 // C[0, 8:12] += A[0,p]*B[p, 8:12]
	VLD1R.P 4(R7), [V28.S4]         // broadcast A[1, p]
	VFMLA V24.S4, V28.S4, V3.S4 // C[1, 0:4] += A[1,p]*B[p, 0:4]
	VFMLA V25.S4, V28.S4, V4.S4 // C[1, 4:8] += A[1,p]*B[p, 4:8]
	VFMLA V26.S4, V28.S4, V5.S4 // C[1, 8:12] += A[1,p]*B[p, 8:12]
	VLD1R.P 4(R8), [V29.S4]         // broadcast A[2, p]
	VFMLA V24.S4, V29.S4, V6.S4 // C[2, 0:4] += A[2,p]*B[p, 0:4]
	VFMLA V25.S4, V29.S4, V7.S4 // C[2, 4:8] += A[2,p]*B[p, 4:8]
	VFMLA V26.S4, V29.S4, V8.S4 // C[2, 8:12] += A[2,p]*B[p, 8:12]
	VLD1R.P 4(R9), [V30.S4]         // broadcast A[3, p]
	VFMLA V24.S4, V30.S4, V9.S4 // C[3, 0:4] += A[3,p]*B[p, 0:4]
	VFMLA V25.S4, V30.S4, V10.S4 // C[3, 4:8] += A[3,p]*B[p, 4:8]
	VFMLA V26.S4, V30.S4, V11.S4 // C[3, 8:12] += A[3,p]*B[p, 8:12]
	VLD1R.P 4(R10), [V31.S4]         // broadcast A[4, p]
	VFMLA V24.S4, V31.S4, V12.S4 // C[4, 0:4] += A[4,p]*B[p, 0:4]
	VFMLA V25.S4, V31.S4, V13.S4 // C[4, 4:8] += A[4,p]*B[p, 4:8]
	VFMLA V26.S4, V31.S4, V14.S4 // C[4, 8:12] += A[4,p]*B[p, 8:12]
	VLD1R.P 4(R11), [V27.S4]         // broadcast A[5, p]
	VFMLA V24.S4, V27.S4, V15.S4 // C[5, 0:4] += A[5,p]*B[p, 0:4]
	VFMLA V25.S4, V27.S4, V16.S4 // C[5, 4:8] += A[5,p]*B[p, 4:8]
	VFMLA V26.S4, V27.S4, V17.S4 // C[5, 8:12] += A[5,p]*B[p, 8:12]
	VLD1R.P 4(R12), [V28.S4]         // broadcast A[6, p]
	VFMLA V24.S4, V28.S4, V18.S4 // C[6, 0:4] += A[6,p]*B[p, 0:4]
	VFMLA V25.S4, V28.S4, V19.S4 // C[6, 4:8] += A[6,p]*B[p, 4:8]
	VFMLA V26.S4, V28.S4, V20.S4 // C[6, 8:12] += A[6,p]*B[p, 8:12]
	VLD1R.P 4(R13), [V29.S4]         // broadcast A[7, p]
	VFMLA V24.S4, V29.S4, V21.S4 // C[7, 0:4] += A[7,p]*B[p, 0:4]
	VFMLA V25.S4, V29.S4, V22.S4 // C[7, 4:8] += A[7,p]*B[p, 4:8]
	VFMLA V26.S4, V29.S4, V23.S4 // C[7, 8:12] += A[7,p]*B[p, 8:12]
	SUB  $1, R0
	CBNZ R0, loop8x12

next8x12:
	ADD  R20, R6, R6
	ADD  R20, R7, R7
	ADD  R20, R8, R8
	ADD  R20, R9, R9
	ADD  R20, R10, R10
	ADD  R20, R11, R11
	ADD  R20, R12, R12
	ADD  R20, R13, R13
	SUB  $1, R19
	CBNZ R19, block8x12

store8x12:
	MOVD R4, R14
	VST1 [V0.S4, V1.S4, V2.S4], (R14) // row 0 of C
	ADD  R5, R14, R14
	VST1 [V3.S4, V4.S4, V5.S4], (R14) // row 1 of C
	ADD  R5, R14, R14
	VST1 [V6.S4, V7.S4, V8.S4], (R14) // row 2 of C
	ADD  R5, R14, R14
	VST1 [V9.S4, V10.S4, V11.S4], (R14) // row 3 of C
	ADD  R5, R14, R14
	VST1 [V12.S4, V13.S4, V14.S4], (R14) // row 4 of C
	ADD  R5, R14, R14
	VST1 [V15.S4, V16.S4, V17.S4], (R14) // row 5 of C
	ADD  R5, R14, R14
	VST1 [V18.S4, V19.S4, V20.S4], (R14) // row 6 of C
	ADD  R5, R14, R14
	VST1 [V21.S4, V22.S4, V23.S4], (R14) // row 7 of C
	ADD  R5, R14, R14
	RET

// FMA peak probe: 12 independent VFMLA chains, nothing else.

// func fmaLoopNEON(n int)
TEXT ·fmaLoopNEON(SB), NOSPLIT, $0-8
	MOVD n+0(FP), R0
	VEOR V0.B16, V0.B16, V0.B16 // zeros: no denormals
	VEOR V1.B16, V1.B16, V1.B16 // zeros: no denormals
	VEOR V2.B16, V2.B16, V2.B16 // zeros: no denormals
	VEOR V3.B16, V3.B16, V3.B16 // zeros: no denormals
	VEOR V4.B16, V4.B16, V4.B16 // zeros: no denormals
	VEOR V5.B16, V5.B16, V5.B16 // zeros: no denormals
	VEOR V6.B16, V6.B16, V6.B16 // zeros: no denormals
	VEOR V7.B16, V7.B16, V7.B16 // zeros: no denormals
	VEOR V8.B16, V8.B16, V8.B16 // zeros: no denormals
	VEOR V9.B16, V9.B16, V9.B16 // zeros: no denormals
	VEOR V10.B16, V10.B16, V10.B16 // zeros: no denormals
	VEOR V11.B16, V11.B16, V11.B16 // zeros: no denormals
	VEOR V12.B16, V12.B16, V12.B16 // zeros: no denormals
	VEOR V13.B16, V13.B16, V13.B16 // zeros: no denormals

peakneon:
	VFMLA V12.S4, V13.S4, V0.S4 // chain 0
	VFMLA V12.S4, V13.S4, V1.S4 // chain 1
	VFMLA V12.S4, V13.S4, V2.S4 // chain 2
	VFMLA V12.S4, V13.S4, V3.S4 // chain 3
	VFMLA V12.S4, V13.S4, V4.S4 // chain 4
	VFMLA V12.S4, V13.S4, V5.S4 // chain 5
	VFMLA V12.S4, V13.S4, V6.S4 // chain 6
	VFMLA V12.S4, V13.S4, V7.S4 // chain 7
	VFMLA V12.S4, V13.S4, V8.S4 // chain 8
	VFMLA V12.S4, V13.S4, V9.S4 // chain 9
	VFMLA V12.S4, V13.S4, V10.S4 // chain 10
	VFMLA V12.S4, V13.S4, V11.S4 // chain 11
	SUB  $1, R0
	CBNZ R0, peakneon
	RET
