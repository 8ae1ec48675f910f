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
