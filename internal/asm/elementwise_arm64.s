//go:build gc && !purego

#include "textflag.h"
#include "neon_arm64.h"

// NEON flat elementwise kernels, 4 floats per iteration; R1 counts the
// elements down (a positive multiple of 4). Vector FMAX, FADD and FCMGT
// (compare with zero) are neon_arm64.h's WORD macros.

// func reluNEON(y, x []float32)
TEXT ·reluNEON(SB), NOSPLIT, $0-48
	MOVD y_base+0(FP), R0            // y
	MOVD y_len+8(FP), R1             // n
	MOVD x_base+24(FP), R2           // x
	VEOR V31.B16, V31.B16, V31.B16   // zero

reluloop:
	VLD1.P 16(R2), [V0.S4]           // x[k:k+4]
	FMAX_4S(0, 0, 31)        // max(x, 0), NaN propagates
	VST1.P [V0.S4], 16(R0)           // y[k:k+4]
	LOOP_DOWN(R1, 4, reluloop)
	RET

// func reluBackwardNEON(dx, dy, y []float32)
TEXT ·reluBackwardNEON(SB), NOSPLIT, $0-72
	MOVD dx_base+0(FP), R0           // dx
	MOVD dx_len+8(FP), R1            // n
	MOVD dy_base+24(FP), R2          // dy
	MOVD y_base+48(FP), R3           // y

rbloop:
	VLD1.P 16(R3), [V0.S4]           // y[k:k+4]
	FCMGT0_4S(0, 0)          // mask = y > 0 (false for NaN)
	VLD1.P 16(R2), [V1.S4]           // dy[k:k+4]
	VAND   V0.B16, V1.B16, V1.B16    // dy where y > 0, else +0
	VST1.P [V1.S4], 16(R0)           // dx[k:k+4]
	LOOP_DOWN(R1, 4, rbloop)
	RET

// func addNEON(y, a, b []float32)
TEXT ·addNEON(SB), NOSPLIT, $0-72
	MOVD y_base+0(FP), R0            // y
	MOVD y_len+8(FP), R1             // n
	MOVD a_base+24(FP), R2           // a
	MOVD b_base+48(FP), R3           // b

addloop:
	VLD1.P 16(R2), [V0.S4]           // a[k:k+4]
	VLD1.P 16(R3), [V1.S4]           // b[k:k+4]
	FADD_4S(0, 0, 1)         // a + b
	VST1.P [V0.S4], 16(R0)           // y[k:k+4]
	LOOP_DOWN(R1, 4, addloop)
	RET
