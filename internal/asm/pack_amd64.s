//go:build gc && !purego

#include "textflag.h"

// func packRow32(dst *float32, ds int, src *float32, n int)
// n >= 1 runs of 32 floats (four ymm), src contiguous, dst ds floats apart.
TEXT ·packRow32(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ ds+8(FP), BX
	SHLQ $2, BX                       // ds in bytes
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), CX
packRun:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, SI
	ADDQ    BX, DI
	DECQ    CX
	JNE     packRun
	VZEROUPPER
	RET
