//go:build gc && !purego

#include "textflag.h"

// AVX2 flat elementwise kernels, 8 floats per iteration; AX is the byte
// offset, CX the byte length (a positive multiple of 32).

// func reluAVX2(y, x []float32)
TEXT ·reluAVX2(SB), NOSPLIT, $0-48
	MOVQ   y_base+0(FP), DI           // y
	MOVQ   y_len+8(FP), CX
	SHLQ   $2, CX                     // bytes
	MOVQ   x_base+24(FP), SI          // x
	VXORPS Y15, Y15, Y15              // zero
	XORQ   AX, AX

reluloop:
	VMOVUPS (SI)(AX*1), Y0            // x[k:k+8]
	VMAXPS  Y0, Y15, Y0               // max(0, x): x where x is NaN
	VMOVUPS Y0, (DI)(AX*1)            // y[k:k+8]
	ADDQ    $32, AX
	CMPQ    AX, CX
	JLT     reluloop
	VZEROUPPER
	RET

// func reluBackwardAVX2(dx, dy, y []float32)
TEXT ·reluBackwardAVX2(SB), NOSPLIT, $0-72
	MOVQ   dx_base+0(FP), DI          // dx
	MOVQ   dx_len+8(FP), CX
	SHLQ   $2, CX                     // bytes
	MOVQ   dy_base+24(FP), SI         // dy
	MOVQ   y_base+48(FP), R8          // y
	VXORPS Y15, Y15, Y15              // zero
	XORQ   AX, AX

rbloop:
	VMOVUPS (R8)(AX*1), Y0            // y[k:k+8]
	VCMPPS  $0x1E, Y15, Y0, Y0        // mask = y > 0 (GT_OQ: false for NaN)
	VANDPS  (SI)(AX*1), Y0, Y0        // dy where y > 0, else +0
	VMOVUPS Y0, (DI)(AX*1)            // dx[k:k+8]
	ADDQ    $32, AX
	CMPQ    AX, CX
	JLT     rbloop
	VZEROUPPER
	RET

// func addAVX2(y, a, b []float32)
TEXT ·addAVX2(SB), NOSPLIT, $0-72
	MOVQ y_base+0(FP), DI             // y
	MOVQ y_len+8(FP), CX
	SHLQ $2, CX                       // bytes
	MOVQ a_base+24(FP), SI            // a
	MOVQ b_base+48(FP), R8            // b
	XORQ AX, AX

addloop:
	VMOVUPS (SI)(AX*1), Y0            // a[k:k+8]
	VADDPS  (R8)(AX*1), Y0, Y0        // a + b
	VMOVUPS Y0, (DI)(AX*1)            // y[k:k+8]
	ADDQ    $32, AX
	CMPQ    AX, CX
	JLT     addloop
	VZEROUPPER
	RET
