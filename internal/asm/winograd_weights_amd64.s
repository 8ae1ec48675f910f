//go:build gc && !purego

#include "textflag.h"

// WinoDy2x2 with AVX2: 8 channels per step. The four inputs y00, y01
// (row 0), y10, y11 (row 1) give the rows of Ah dY, (y00, y01),
// (y00+y10, y01+y11), (y00-y10, y01-y11), (y10, y11); each row (c0, c1)
// gives four elements (c0, c0+c1, c0-c1, c1).

#define DST0  DI   // element 0 of row 0 of dst
#define DST1  R11 // element 0 of row 1 (dst + 4*ELEM)
#define DST2  R12 // row 2 (dst + 8*ELEM)
#define DST3  R13 // row 3 (dst + 12*ELEM)
#define ELEM  DX   // bytes between elements of dst
#define ELEM3 R10 // 3*ELEM
#define SRC0  SI   // src row 0
#define SRC1  BX   // src row 1
#define COLB  R9   // bytes between the columns of src

// ROWDY stores the four elements of the row (c0, c1) at row base p.
#define ROWDY(c0, c1, p) \
	VADDPS  c1, c0, Y8     \ // c0 + c1
	VSUBPS  c1, c0, Y9     \ // c0 - c1
	VMOVUPS c0, (p)        \ // element 0
	VMOVUPS Y8, (p)(ELEM*1)  \ // element 1
	VMOVUPS Y9, (p)(ELEM*2)  \ // element 2
	VMOVUPS c1, (p)(ELEM3*1)   // element 3

// func winoDy2x2AVX2(dst []float32, ds int, src []float32, sa, sb, n int)
TEXT ·winoDy2x2AVX2(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DST0
	MOVQ ds+24(FP), ELEM
	SHLQ $2, ELEM                      // ds in bytes
	MOVQ src_base+32(FP), SRC0
	MOVQ sa+56(FP), R8
	SHLQ $2, R8                      // sa in bytes
	LEAQ (SRC0)(R8*1), SRC1          // src row 1
	MOVQ sb+64(FP), COLB
	SHLQ $2, COLB                      // sb in bytes
	MOVQ n+72(FP), CX
	SHRQ $3, CX                      // steps of 8 channels
	JZ   dydone
	LEAQ (ELEM)(ELEM*2), ELEM3             // 3*ELEM
	LEAQ (DST0)(ELEM*4), DST1          // row 1 of dst
	LEAQ (DST1)(ELEM*4), DST2          // row 2
	LEAQ (DST2)(ELEM*4), DST3          // row 3

dyloop:
	VMOVUPS (SRC0), Y0               // y00
	VMOVUPS (SRC0)(COLB*1), Y1         // y01
	VMOVUPS (SRC1), Y2               // y10
	VMOVUPS (SRC1)(COLB*1), Y3         // y11
	ROWDY(Y0, Y1, DST0)              // row 0: (y00, y01)
	VADDPS  Y2, Y0, Y4               // y00 + y10
	VADDPS  Y3, Y1, Y5               // y01 + y11
	ROWDY(Y4, Y5, DST1)              // row 1
	VSUBPS  Y2, Y0, Y6               // y00 - y10
	VSUBPS  Y3, Y1, Y7               // y01 - y11
	ROWDY(Y6, Y7, DST2)              // row 2
	ROWDY(Y2, Y3, DST3)              // row 3: (y10, y11)
	ADDQ    $32, SRC0                // next 8 channels
	ADDQ    $32, SRC1
	ADDQ    $32, DST0
	ADDQ    $32, DST1
	ADDQ    $32, DST2
	ADDQ    $32, DST3
	DECQ    CX
	JNZ     dyloop

dydone:
	VZEROUPPER
	RET
