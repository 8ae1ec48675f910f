//go:build gc && !purego

#include "textflag.h"

// func transpose8(dst *float32, ldd int, src *float32, lds int, blocks int)
// blocks >= 1 blocks of 8x8: rows r of src (lds floats apart) columns
// 8b..8b+7 go to rows 8b..8b+7 of dst (ldd floats apart) column r.
// Rows of src: R8 = row 0, R9 = row 4; R10 = 3*lds bytes.
TEXT ·transpose8(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), DX
	SHLQ $2, DX                       // ldd in bytes
	MOVQ src+16(FP), R8
	MOVQ lds+24(FP), BX
	SHLQ $2, BX                       // lds in bytes
	MOVQ blocks+32(FP), CX
	LEAQ (BX)(BX*2), R10              // 3*lds bytes
	LEAQ (R8)(BX*4), R9               // row 4
	LEAQ (DX)(DX*2), R11              // 3*ldd bytes

block:
	VMOVUPS (R8), Y0                  // a0..a7
	VMOVUPS (R8)(BX*1), Y1            // b
	VMOVUPS (R8)(BX*2), Y2            // c
	VMOVUPS (R8)(R10*1), Y3           // d
	VMOVUPS (R9), Y4                  // e
	VMOVUPS (R9)(BX*1), Y5            // f
	VMOVUPS (R9)(BX*2), Y6            // g
	VMOVUPS (R9)(R10*1), Y7           // h
	VUNPCKLPS Y1, Y0, Y8              // a0 b0 a1 b1 | a4 b4 a5 b5
	VUNPCKHPS Y1, Y0, Y9              // a2 b2 a3 b3 | a6 b6 a7 b7
	VUNPCKLPS Y3, Y2, Y10             // c0 d0 c1 d1 | c4 d4 c5 d5
	VUNPCKHPS Y3, Y2, Y11             // c2 d2 c3 d3 | c6 d6 c7 d7
	VUNPCKLPS Y5, Y4, Y12             // e f, columns 0 1 | 4 5
	VUNPCKHPS Y5, Y4, Y13             // e f, columns 2 3 | 6 7
	VUNPCKLPS Y7, Y6, Y14             // g h, columns 0 1 | 4 5
	VUNPCKHPS Y7, Y6, Y15             // g h, columns 2 3 | 6 7
	VSHUFPS   $0x44, Y10, Y8, Y0      // a0 b0 c0 d0 | a4 b4 c4 d4
	VSHUFPS   $0xEE, Y10, Y8, Y1      // a1 b1 c1 d1 | a5 b5 c5 d5
	VSHUFPS   $0x44, Y11, Y9, Y2      // a2 b2 c2 d2 | a6 b6 c6 d6
	VSHUFPS   $0xEE, Y11, Y9, Y3      // a3 b3 c3 d3 | a7 b7 c7 d7
	VSHUFPS   $0x44, Y14, Y12, Y4     // e0 f0 g0 h0 | e4 f4 g4 h4
	VSHUFPS   $0xEE, Y14, Y12, Y5     // e1 f1 g1 h1 | e5 f5 g5 h5
	VSHUFPS   $0x44, Y15, Y13, Y6     // e2 f2 g2 h2 | e6 f6 g6 h6
	VSHUFPS   $0xEE, Y15, Y13, Y7     // e3 f3 g3 h3 | e7 f7 g7 h7
	VPERM2F128 $0x20, Y4, Y0, Y8      // column 0: a0 .. h0
	VPERM2F128 $0x20, Y5, Y1, Y9      // column 1
	VPERM2F128 $0x20, Y6, Y2, Y10     // column 2
	VPERM2F128 $0x20, Y7, Y3, Y11     // column 3
	VPERM2F128 $0x31, Y4, Y0, Y12     // column 4
	VPERM2F128 $0x31, Y5, Y1, Y13     // column 5
	VPERM2F128 $0x31, Y6, Y2, Y14     // column 6
	VPERM2F128 $0x31, Y7, Y3, Y15     // column 7
	VMOVUPS Y8, (DI)                  // dst row 8b
	VMOVUPS Y9, (DI)(DX*1)
	VMOVUPS Y10, (DI)(DX*2)
	VMOVUPS Y11, (DI)(R11*1)
	LEAQ    (DI)(DX*4), DI            // dst row 8b+4
	VMOVUPS Y12, (DI)
	VMOVUPS Y13, (DI)(DX*1)
	VMOVUPS Y14, (DI)(DX*2)
	VMOVUPS Y15, (DI)(R11*1)
	LEAQ    (DI)(DX*4), DI            // dst row 8b+8
	ADDQ    $32, R8                   // next 8 columns of src
	ADDQ    $32, R9
	DECQ    CX
	JNE     block
	VZEROUPPER
	RET
