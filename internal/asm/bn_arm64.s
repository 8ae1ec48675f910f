//go:build gc && !purego

#include "textflag.h"
#include "neon_arm64.h"

// NEON batch-norm row kernels. Each walks rows (R3 counts them down) and,
// within a row, the columns 4 at a time (R7 counts them down) with
// post-incremented pointers; the row pointers advance by the row stride R4
// = 4*ld bytes and the per-column pointers restart each row. The float64
// sums keep their accumulators in memory (one row of them, in L1) and add
// a block's rows in row order. FCVTL/FCVTL2 (float32 to float64) and the
// vector FADD/FSUB/FMAX are neon_arm64.h's WORD macros. Products are fused
// (FMLA), as Go fuses x*y + z on arm64.

// func colSum64NEON(acc []float64, x []float32, rows, ld int)
TEXT ·colSum64NEON(SB), NOSPLIT, $0-64
	MOVD acc_base+0(FP), R0          // acc
	MOVD acc_len+8(FP), R1           // cols, a positive multiple of 4
	MOVD x_base+24(FP), R2           // x, row i
	MOVD rows+48(FP), R3             // rows left, >= 1
	MOVD ld+56(FP), R4
	LSL  $2, R4, R4                  // row stride in bytes

sumrow:
	MOVD R0, R5                      // acc[j]
	MOVD R2, R6                      // x[i, j]
	MOVD R1, R7                      // columns left

sumcol:
	VLD1.P 16(R6), [V0.S4]           // x[i, j:j+4]
	FCVTL_2D(4, 0)           // float64(x[i, j:j+2])
	FCVTL2_2D(5, 0)          // float64(x[i, j+2:j+4])
	VLD1   (R5), [V2.D2, V3.D2]      // acc[j:j+4]
	FADD_2D(2, 2, 4)         // acc + x
	FADD_2D(3, 3, 5)         // (the same, next lanes)
	VST1.P [V2.D2, V3.D2], 32(R5)    // store acc[j:j+4]
	LOOP_DOWN(R7, 4, sumcol)
	ADD    R4, R2, R2                // next row of x
	LOOP_DOWN(R3, 1, sumrow)
	RET

// func colSqDev64NEON(acc, mu []float64, x []float32, rows, ld int)
TEXT ·colSqDev64NEON(SB), NOSPLIT, $0-88
	MOVD acc_base+0(FP), R0          // acc
	MOVD acc_len+8(FP), R1           // cols, a positive multiple of 4
	MOVD mu_base+24(FP), R8          // mu
	MOVD x_base+48(FP), R2           // x, row i
	MOVD rows+72(FP), R3             // rows left, >= 1
	MOVD ld+80(FP), R4
	LSL  $2, R4, R4                  // row stride in bytes

sqrow:
	MOVD R0, R5                      // acc[j]
	MOVD R8, R9                      // mu[j]
	MOVD R2, R6                      // x[i, j]
	MOVD R1, R7                      // columns left

sqcol:
	VLD1.P 16(R6), [V0.S4]           // x[i, j:j+4]
	FCVTL_2D(4, 0)           // float64(x[i, j:j+2])
	FCVTL2_2D(5, 0)          // float64(x[i, j+2:j+4])
	VLD1.P 32(R9), [V6.D2, V7.D2]    // mu[j:j+4]
	FSUB_2D(4, 4, 6)         // d = x - mu
	FSUB_2D(5, 5, 7)         // (the same, next lanes)
	VLD1   (R5), [V2.D2, V3.D2]      // acc[j:j+4]
	VFMLA  V4.D2, V4.D2, V2.D2       // acc += d*d
	VFMLA  V5.D2, V5.D2, V3.D2
	VST1.P [V2.D2, V3.D2], 32(R5)    // store acc[j:j+4]
	LOOP_DOWN(R7, 4, sqcol)
	ADD    R4, R2, R2                // next row of x
	LOOP_DOWN(R3, 1, sqrow)
	RET

// func colGradSums64NEON(s0, s1, mu []float64, dy, x []float32, rows, ld int)
TEXT ·colGradSums64NEON(SB), NOSPLIT, $0-136
	MOVD s0_base+0(FP), R0           // s0
	MOVD s0_len+8(FP), R1            // cols, a positive multiple of 4
	MOVD s1_base+24(FP), R10         // s1
	MOVD mu_base+48(FP), R8          // mu
	MOVD dy_base+72(FP), R2          // dy, row i
	MOVD x_base+96(FP), R11          // x, row i
	MOVD rows+120(FP), R3            // rows left, >= 1
	MOVD ld+128(FP), R4
	LSL  $2, R4, R4                  // row stride in bytes

gsrow:
	MOVD R0, R5                      // s0[j]
	MOVD R10, R12                    // s1[j]
	MOVD R8, R9                      // mu[j]
	MOVD R2, R6                      // dy[i, j]
	MOVD R11, R13                    // x[i, j]
	MOVD R1, R7                      // columns left

gscol:
	VLD1.P 16(R6), [V0.S4]           // dy[i, j:j+4]
	VLD1.P 16(R13), [V1.S4]          // x[i, j:j+4]
	FCVTL_2D(4, 0)           // g = float64(dy[i, j:j+2])
	FCVTL2_2D(5, 0)          // g = float64(dy[i, j+2:j+4])
	FCVTL_2D(6, 1)           // float64(x[i, j:j+2])
	FCVTL2_2D(7, 1)          // float64(x[i, j+2:j+4])
	VLD1.P 32(R9), [V16.D2, V17.D2]  // mu[j:j+4]
	FSUB_2D(6, 6, 16)        // x - mu
	FSUB_2D(7, 7, 17)        // (the same, next lanes)
	VLD1   (R5), [V18.D2, V19.D2]    // s0[j:j+4]
	VLD1   (R12), [V20.D2, V21.D2]   // s1[j:j+4]
	FADD_2D(18, 18, 4)       // s0 + g
	FADD_2D(19, 19, 5)       // (the same, next lanes)
	VFMLA  V6.D2, V4.D2, V20.D2      // s1 += g*(x - mu)
	VFMLA  V7.D2, V5.D2, V21.D2
	VST1.P [V18.D2, V19.D2], 32(R5)  // store s0[j:j+4]
	VST1.P [V20.D2, V21.D2], 32(R12) // store s1[j:j+4]
	LOOP_DOWN(R7, 4, gscol)
	ADD    R4, R2, R2                // next row of dy
	ADD    R4, R11, R11              // next row of x
	LOOP_DOWN(R3, 1, gsrow)
	RET

// func bnApplyRowsNEON(y, x, res, mean, scale, shift []float32, rows, ld, flags int)
TEXT ·bnApplyRowsNEON(SB), NOSPLIT, $0-168
	MOVD y_base+0(FP), R0            // y, row i
	MOVD x_base+24(FP), R2           // x, row i
	MOVD res_base+48(FP), R10        // res, row i (BNResidual only)
	MOVD mean_base+72(FP), R8        // mean
	MOVD mean_len+80(FP), R1         // cols, a positive multiple of 4
	MOVD scale_base+96(FP), R11      // scale
	MOVD shift_base+120(FP), R12     // shift
	MOVD rows+144(FP), R3            // rows left, >= 1
	MOVD ld+152(FP), R4
	LSL  $2, R4, R4                  // row stride in bytes
	MOVD flags+160(FP), R14          // BNResidual | BNReLU
	VEOR V31.B16, V31.B16, V31.B16   // zero

aprow:
	MOVD R0, R5                      // y[i, j]
	MOVD R2, R6                      // x[i, j]
	MOVD R10, R13                    // res[i, j]
	MOVD R8, R9                      // mean[j]
	MOVD R11, R15                    // scale[j]
	MOVD R12, R16                    // shift[j]
	MOVD R1, R7                      // columns left

apcol:
	VLD1.P 16(R6), [V0.S4]           // x[i, j:j+4]
	VLD1.P 16(R9), [V1.S4]           // mean[j:j+4]
	FSUB_4S(0, 0, 1)         // x - mean
	VLD1.P 16(R15), [V2.S4]          // scale[j:j+4]
	VLD1.P 16(R16), [V3.S4]          // z = shift[j:j+4]
	VFMLA  V2.S4, V0.S4, V3.S4       // z += (x - mean)*scale
	TBZ    $0, R14, apnores          // BNResidual?
	VLD1.P 16(R13), [V4.S4]          // res[i, j:j+4]
	FADD_4S(3, 3, 4)         // z += res

apnores:
	TBZ  $1, R14, apstore            // BNReLU?
	FMAX_4S(3, 3, 31)        // max(z, 0), NaN propagates

apstore:
	VST1.P [V3.S4], 16(R5)           // y[i, j:j+4] = z
	LOOP_DOWN(R7, 4, apcol)
	ADD    R4, R0, R0                // next rows
	ADD    R4, R2, R2
	ADD    R4, R10, R10
	LOOP_DOWN(R3, 1, aprow)
	RET

// func bnGradRowsNEON(dx, dy, x, mean, a, b, d []float32, rows, ld int)
TEXT ·bnGradRowsNEON(SB), NOSPLIT, $0-184
	MOVD dx_base+0(FP), R0           // dx, row i
	MOVD dy_base+24(FP), R2          // dy, row i
	MOVD x_base+48(FP), R10          // x, row i
	MOVD mean_base+72(FP), R8        // mean
	MOVD mean_len+80(FP), R1         // cols, a positive multiple of 4
	MOVD a_base+96(FP), R11          // a
	MOVD b_base+120(FP), R12         // b
	MOVD d_base+144(FP), R14         // d
	MOVD rows+168(FP), R3            // rows left, >= 1
	MOVD ld+176(FP), R4
	LSL  $2, R4, R4                  // row stride in bytes

grrow:
	MOVD R0, R5                      // dx[i, j]
	MOVD R2, R6                      // dy[i, j]
	MOVD R10, R13                    // x[i, j]
	MOVD R8, R9                      // mean[j]
	MOVD R11, R15                    // a[j]
	MOVD R12, R16                    // b[j]
	MOVD R14, R17                    // d[j]
	MOVD R1, R7                      // columns left

grcol:
	VLD1.P 16(R13), [V0.S4]          // x[i, j:j+4]
	VLD1.P 16(R9), [V1.S4]           // mean[j:j+4]
	FSUB_4S(0, 0, 1)         // x - mean
	VLD1.P 16(R17), [V2.S4]          // r = d[j:j+4]
	VLD1.P 16(R16), [V3.S4]          // b[j:j+4]
	VFMLA  V3.S4, V0.S4, V2.S4       // r += b*(x - mean)
	VLD1.P 16(R6), [V4.S4]           // dy[i, j:j+4]
	VLD1.P 16(R15), [V5.S4]          // a[j:j+4]
	VFMLA  V5.S4, V4.S4, V2.S4       // r += a*dy
	VST1.P [V2.S4], 16(R5)           // dx[i, j:j+4] = r
	LOOP_DOWN(R7, 4, grcol)
	ADD    R4, R0, R0                // next rows
	ADD    R4, R2, R2
	ADD    R4, R10, R10
	LOOP_DOWN(R3, 1, grrow)
	RET
