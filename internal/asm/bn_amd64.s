//go:build gc && !purego

#include "textflag.h"

// AVX2 batch-norm row kernels. Each walks rows (BX counts them down) and,
// within a row, the columns 8 at a time (AX, the column index); row
// pointers advance by the row stride DX = 4*ld bytes. The float64 sums
// keep their accumulators in memory (one row of them, in L1): a block of
// rows adds into them in row order, exactly as the Go loop does.

// func colSum64AVX2(acc []float64, x []float32, rows, ld int)
TEXT ·colSum64AVX2(SB), NOSPLIT, $0-64
	MOVQ acc_base+0(FP), DI           // acc
	MOVQ acc_len+8(FP), CX            // cols, a positive multiple of 8
	MOVQ x_base+24(FP), SI            // x, row i
	MOVQ rows+48(FP), BX              // rows left, >= 1
	MOVQ ld+56(FP), DX
	SHLQ $2, DX                       // row stride in bytes

sumrow:
	XORQ AX, AX                       // j = 0

sumcol:
	VCVTPS2PD (SI)(AX*4), Y0          // float64(x[i, j:j+4])
	VCVTPS2PD 16(SI)(AX*4), Y1        // float64(x[i, j+4:j+8])
	VADDPD    (DI)(AX*8), Y0, Y0      // acc[j:j+4] + x
	VADDPD    32(DI)(AX*8), Y1, Y1    // acc[j+4:j+8] + x
	VMOVUPD   Y0, (DI)(AX*8)          // store acc[j:j+4]
	VMOVUPD   Y1, 32(DI)(AX*8)        // store acc[j+4:j+8]
	ADDQ      $8, AX                  // j += 8
	CMPQ      AX, CX
	JLT       sumcol
	ADDQ      DX, SI                  // next row of x
	DECQ      BX
	JNZ       sumrow
	VZEROUPPER
	RET

// func colSqDev64AVX2(acc, mu []float64, x []float32, rows, ld int)
TEXT ·colSqDev64AVX2(SB), NOSPLIT, $0-88
	MOVQ acc_base+0(FP), DI           // acc
	MOVQ acc_len+8(FP), CX            // cols, a positive multiple of 8
	MOVQ mu_base+24(FP), R8           // mu
	MOVQ x_base+48(FP), SI            // x, row i
	MOVQ rows+72(FP), BX              // rows left, >= 1
	MOVQ ld+80(FP), DX
	SHLQ $2, DX                       // row stride in bytes

sqrow:
	XORQ AX, AX                       // j = 0

sqcol:
	VCVTPS2PD (SI)(AX*4), Y0          // float64(x[i, j:j+4])
	VCVTPS2PD 16(SI)(AX*4), Y1        // float64(x[i, j+4:j+8])
	VSUBPD    (R8)(AX*8), Y0, Y0      // d = x - mu[j:j+4]
	VSUBPD    32(R8)(AX*8), Y1, Y1    // d = x - mu[j+4:j+8]
	VMULPD    Y0, Y0, Y0              // d*d, rounded
	VMULPD    Y1, Y1, Y1
	VADDPD    (DI)(AX*8), Y0, Y0      // acc + d*d
	VADDPD    32(DI)(AX*8), Y1, Y1
	VMOVUPD   Y0, (DI)(AX*8)          // store acc[j:j+4]
	VMOVUPD   Y1, 32(DI)(AX*8)        // store acc[j+4:j+8]
	ADDQ      $8, AX                  // j += 8
	CMPQ      AX, CX
	JLT       sqcol
	ADDQ      DX, SI                  // next row of x
	DECQ      BX
	JNZ       sqrow
	VZEROUPPER
	RET

// func colGradSums64AVX2(s0, s1, mu []float64, dy, x []float32, rows, ld int)
TEXT ·colGradSums64AVX2(SB), NOSPLIT, $0-136
	MOVQ s0_base+0(FP), DI            // s0
	MOVQ s0_len+8(FP), CX             // cols, a positive multiple of 8
	MOVQ s1_base+24(FP), R9           // s1
	MOVQ mu_base+48(FP), R8           // mu
	MOVQ dy_base+72(FP), SI           // dy, row i
	MOVQ x_base+96(FP), R10           // x, row i
	MOVQ rows+120(FP), BX             // rows left, >= 1
	MOVQ ld+128(FP), DX
	SHLQ $2, DX                       // row stride in bytes

gsrow:
	XORQ AX, AX                       // j = 0

gscol:
	VCVTPS2PD (SI)(AX*4), Y0          // g = float64(dy[i, j:j+4])
	VCVTPS2PD 16(SI)(AX*4), Y1        // g = float64(dy[i, j+4:j+8])
	VCVTPS2PD (R10)(AX*4), Y2         // float64(x[i, j:j+4])
	VCVTPS2PD 16(R10)(AX*4), Y3       // float64(x[i, j+4:j+8])
	VSUBPD    (R8)(AX*8), Y2, Y2      // x - mu
	VSUBPD    32(R8)(AX*8), Y3, Y3
	VMULPD    Y0, Y2, Y2              // g*(x - mu), rounded
	VMULPD    Y1, Y3, Y3
	VADDPD    (DI)(AX*8), Y0, Y0      // s0 + g
	VADDPD    32(DI)(AX*8), Y1, Y1
	VADDPD    (R9)(AX*8), Y2, Y2      // s1 + g*(x - mu)
	VADDPD    32(R9)(AX*8), Y3, Y3
	VMOVUPD   Y0, (DI)(AX*8)          // store s0[j:j+8]
	VMOVUPD   Y1, 32(DI)(AX*8)
	VMOVUPD   Y2, (R9)(AX*8)          // store s1[j:j+8]
	VMOVUPD   Y3, 32(R9)(AX*8)
	ADDQ      $8, AX                  // j += 8
	CMPQ      AX, CX
	JLT       gscol
	ADDQ      DX, SI                  // next row of dy
	ADDQ      DX, R10                 // next row of x
	DECQ      BX
	JNZ       gsrow
	VZEROUPPER
	RET

// func bnApplyRowsAVX2(y, x, res, mean, scale, shift []float32, rows, ld, flags int)
TEXT ·bnApplyRowsAVX2(SB), NOSPLIT, $0-168
	MOVQ   y_base+0(FP), DI           // y, row i
	MOVQ   x_base+24(FP), SI          // x, row i
	MOVQ   res_base+48(FP), R10       // res, row i (BNResidual only)
	MOVQ   mean_base+72(FP), R8       // mean
	MOVQ   mean_len+80(FP), CX        // cols, a positive multiple of 8
	MOVQ   scale_base+96(FP), R9      // scale
	MOVQ   shift_base+120(FP), R11    // shift
	MOVQ   rows+144(FP), BX           // rows left, >= 1
	MOVQ   ld+152(FP), DX
	SHLQ   $2, DX                     // row stride in bytes
	MOVQ   flags+160(FP), R12         // BNResidual | BNReLU
	VXORPS Y15, Y15, Y15              // zero

aprow:
	XORQ AX, AX                       // j = 0

apcol:
	VMOVUPS (SI)(AX*4), Y0            // x[i, j:j+8]
	VSUBPS  (R8)(AX*4), Y0, Y0        // x - mean
	VMULPS  (R9)(AX*4), Y0, Y0        // (x - mean)*scale
	VADDPS  (R11)(AX*4), Y0, Y0       // z = (x - mean)*scale + shift
	TESTQ   $1, R12                   // BNResidual?
	JZ      apnores
	VADDPS  (R10)(AX*4), Y0, Y0       // z += res[i, j:j+8]

apnores:
	TESTQ   $2, R12                   // BNReLU?
	JZ      apstore
	VMAXPS  Y0, Y15, Y0               // max(0, z): z where z is NaN

apstore:
	VMOVUPS Y0, (DI)(AX*4)            // y[i, j:j+8] = z
	ADDQ    $8, AX                    // j += 8
	CMPQ    AX, CX
	JLT     apcol
	ADDQ    DX, SI                    // next rows
	ADDQ    DX, DI
	ADDQ    DX, R10
	DECQ    BX
	JNZ     aprow
	VZEROUPPER
	RET

// func bnGradRowsAVX2(dx, dy, x, mean, a, b, d []float32, rows, ld int)
TEXT ·bnGradRowsAVX2(SB), NOSPLIT, $0-184
	MOVQ dx_base+0(FP), DI            // dx, row i
	MOVQ dy_base+24(FP), SI           // dy, row i
	MOVQ x_base+48(FP), R10           // x, row i
	MOVQ mean_base+72(FP), R8         // mean
	MOVQ mean_len+80(FP), CX          // cols, a positive multiple of 8
	MOVQ a_base+96(FP), R9            // a
	MOVQ b_base+120(FP), R11          // b
	MOVQ d_base+144(FP), R12          // d
	MOVQ rows+168(FP), BX             // rows left, >= 1
	MOVQ ld+176(FP), DX
	SHLQ $2, DX                       // row stride in bytes

grrow:
	XORQ AX, AX                       // j = 0

grcol:
	VMOVUPS (SI)(AX*4), Y0            // dy[i, j:j+8]
	VMULPS  (R9)(AX*4), Y0, Y0        // a*dy
	VMOVUPS (R10)(AX*4), Y1           // x[i, j:j+8]
	VSUBPS  (R8)(AX*4), Y1, Y1        // x - mean
	VMULPS  (R11)(AX*4), Y1, Y1       // b*(x - mean)
	VADDPS  Y1, Y0, Y0                // a*dy + b*(x - mean)
	VADDPS  (R12)(AX*4), Y0, Y0       // ... + d
	VMOVUPS Y0, (DI)(AX*4)            // dx[i, j:j+8]
	ADDQ    $8, AX                    // j += 8
	CMPQ    AX, CX
	JLT     grcol
	ADDQ    DX, SI                    // next rows
	ADDQ    DX, DI
	ADDQ    DX, R10
	DECQ    BX
	JNZ     grrow
	VZEROUPPER
	RET
