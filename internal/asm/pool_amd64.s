//go:build gc && !purego

#include "textflag.h"

// AVX2 max-pool over one output pixel: for each group of 8 channels, the
// maximum over the window's cells (PyTorch's rule: a greater value or a NaN
// replaces the best, so the first maximum and the last NaN win) and the
// index of the winning cell.

// func maxPoolCells(y []float32, arg []int32, x []float32, offs []int, idxs []int32, c int)
TEXT ·maxPoolCells(SB), NOSPLIT, $0-128
	MOVQ y_base+0(FP), DI             // y: c maxima
	MOVQ arg_base+24(FP), R8          // arg: c cell indices
	MOVQ x_base+48(FP), SI            // x
	MOVQ offs_base+72(FP), R9         // offs: cell offsets into x (floats)
	MOVQ offs_len+80(FP), R10         // number of cells (>= 1)
	MOVQ idxs_base+96(FP), R11        // idxs: cell indices
	MOVQ c+120(FP), CX                // channels, a multiple of 8
	MOVL $0xff800000, AX              // -Inf
	MOVQ AX, X15
	VPBROADCASTD X15, Y15             // Y15 = -Inf in every lane
	XORQ DX, DX                       // DX = channel offset in bytes

chan:
	CMPQ CX, $0
	JLE  done
	VMOVAPS      Y15, Y0              // best = -Inf
	VPBROADCASTD (R11), Y1            // arg = index of the first cell
	XORQ         BX, BX               // cell counter

cell:
	MOVQ         (R9)(BX*8), AX       // offs[i]
	LEAQ         (SI)(AX*4), AX       // &x[offs[i]]
	VMOVUPS      (AX)(DX*1), Y2       // v = x[offs[i]+j : +8]
	VCMPPS       $0x1e, Y0, Y2, Y3    // v > best (ordered, quiet)
	VCMPPS       $3, Y2, Y2, Y4       // v is NaN (unordered)
	VORPS        Y4, Y3, Y3           // take v where either holds
	VBLENDVPS    Y3, Y2, Y0, Y0       // best = take ? v : best
	VPBROADCASTD (R11)(BX*4), Y5      // idxs[i] in every lane
	VBLENDVPS    Y3, Y5, Y1, Y1       // arg = take ? idxs[i] : arg
	INCQ         BX
	CMPQ         BX, R10
	JLT          cell

	VMOVUPS Y0, (DI)(DX*1)            // y[j : j+8]
	VMOVUPS Y1, (R8)(DX*1)            // arg[j : j+8]
	ADDQ    $32, DX                   // next 8 channels
	SUBQ    $8, CX
	JMP     chan

done:
	VZEROUPPER
	RET

// Four groups of 8 channels against one cell: v = x[cell + j : +32]; where
// v > best (ordered) or v is NaN, best = v and arg = the cell's index (Y14).
#define CELL4(off, b, a) \
	VMOVUPS   off(AX)(DX*1), Y8      \
	VCMPPS    $0x1e, b, Y8, Y12      \ // v > best (ordered, quiet)
	VCMPPS    $3, Y8, Y8, Y13        \ // v is NaN
	VORPS     Y13, Y12, Y12          \
	VBLENDVPS Y12, Y8, b, b          \
	VBLENDVPS Y12, Y14, a, a

// func maxPoolSpan(y []float32, arg []int32, x []float32, offs []int, idxs []int32, c, n, xstep, istep int)
TEXT ·maxPoolSpan(SB), NOSPLIT, $0-152
	MOVQ y_base+0(FP), DI             // y: n pixels of c maxima
	MOVQ arg_base+24(FP), R8          // arg: n pixels of c cell indices
	MOVQ x_base+48(FP), SI            // x, moved xstep floats per pixel
	MOVQ offs_base+72(FP), R9         // offs: the first pixel's cell offsets (floats)
	MOVQ offs_len+80(FP), R10         // number of cells (>= 1)
	MOVQ idxs_base+96(FP), R11        // idxs: the first pixel's cell indices
	MOVQ n+128(FP), R12               // pixels left
	MOVQ xstep+136(FP), R13
	SHLQ $2, R13                      // xstep in bytes
	XORQ R14, R14                     // q*istep: added to every index of pixel q
	MOVL $0xff800000, AX              // -Inf
	MOVQ AX, X15
	VPBROADCASTD X15, Y15             // Y15 = -Inf in every lane

pixel:
	TESTQ R12, R12
	JEQ   spandone
	MOVQ  c+120(FP), CX               // channels left (a multiple of 8)
	XORQ  DX, DX                      // channel offset in bytes

group4:
	CMPQ         CX, $32
	JLT          group1
	VMOVAPS      Y15, Y0              // best = -Inf, four groups
	VMOVAPS      Y15, Y1
	VMOVAPS      Y15, Y2
	VMOVAPS      Y15, Y3
	MOVL         (R11), AX
	ADDL         R14, AX
	MOVQ         AX, X14
	VPBROADCASTD X14, Y4              // arg = index of the first cell
	VMOVAPS      Y4, Y5
	VMOVAPS      Y4, Y6
	VMOVAPS      Y4, Y7
	XORQ         BX, BX               // cell counter

cell4:
	MOVL         (R11)(BX*4), AX      // idxs[i] + q*istep
	ADDL         R14, AX
	MOVQ         AX, X14
	VPBROADCASTD X14, Y14
	MOVQ         (R9)(BX*8), AX       // offs[i]
	LEAQ         (SI)(AX*4), AX       // &x[offs[i] + q*xstep]
	CELL4(0, Y0, Y4)
	CELL4(32, Y1, Y5)
	CELL4(64, Y2, Y6)
	CELL4(96, Y3, Y7)
	INCQ         BX
	CMPQ         BX, R10
	JLT          cell4

	VMOVUPS Y0, (DI)(DX*1)
	VMOVUPS Y1, 32(DI)(DX*1)
	VMOVUPS Y2, 64(DI)(DX*1)
	VMOVUPS Y3, 96(DI)(DX*1)
	VMOVUPS Y4, (R8)(DX*1)
	VMOVUPS Y5, 32(R8)(DX*1)
	VMOVUPS Y6, 64(R8)(DX*1)
	VMOVUPS Y7, 96(R8)(DX*1)
	ADDQ    $128, DX                  // next 32 channels
	SUBQ    $32, CX
	JMP     group4

group1:
	TESTQ        CX, CX
	JEQ          nextpixel
	VMOVAPS      Y15, Y0
	MOVL         (R11), AX
	ADDL         R14, AX
	MOVQ         AX, X14
	VPBROADCASTD X14, Y4
	XORQ         BX, BX

cell1:
	MOVL         (R11)(BX*4), AX
	ADDL         R14, AX
	MOVQ         AX, X14
	VPBROADCASTD X14, Y14
	MOVQ         (R9)(BX*8), AX
	LEAQ         (SI)(AX*4), AX
	CELL4(0, Y0, Y4)
	INCQ         BX
	CMPQ         BX, R10
	JLT          cell1

	VMOVUPS Y0, (DI)(DX*1)
	VMOVUPS Y4, (R8)(DX*1)
	ADDQ    $32, DX                   // next 8 channels
	SUBQ    $8, CX
	JMP     group1

nextpixel:
	ADDQ DX, DI                       // y, arg: c floats on
	ADDQ DX, R8
	ADDQ R13, SI                      // x: xstep floats on
	ADDQ istep+144(FP), R14
	DECQ R12
	JMP  pixel

spandone:
	VZEROUPPER
	RET
