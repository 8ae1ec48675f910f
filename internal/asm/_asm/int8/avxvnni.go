package main

import "fmt"

// The AVX-VNNI kernel (VEX-encoded VPDPBUSD on ymm, for CPUs with AVX2 and
// AVX-VNNI but not AVX-512): a 4 x 16 tile, Y(2i), Y(2i+1) the int32
// accumulators of row i. Go's assembler encodes VPDPBUSD as EVEX (AVX-512
// VNNI + VL) only, so the VEX form is emitted as bytes.

// vexVPDPBUSD is VPDPBUSD ydst, ysrc1 (unsigned bytes), ysrc2 (signed
// bytes), all registers below 16: VEX.256.66.0F38.W0 50 /r.
func vexVPDPBUSD(dst, src1, src2 int) string {
	b1 := byte((1-dst>>3&1)<<7 | 1<<6 | (1-src2>>3&1)<<5 | 0x02) // R̄ X̄ B̄, map 0F38
	b2 := byte((^src1&15)<<3 | 1<<2 | 0x01)                      // W0, v̄v̄v̄v̄, L=1, pp=66
	modrm := byte(3<<6 | (dst&7)<<3 | src2&7)
	return fmt.Sprintf("\tBYTE $0xc4; BYTE $0x%02x; BYTE $0x%02x; BYTE $0x50; BYTE $0x%02x // VPDPBUSD Y%d, Y%d, Y%d (Intel order; VEX, AVX-VNNI)\n",
		b1, b2, modrm, dst, src1, src2)
}

// avxvnni writes convU8S8_4x16AVXVNNI.
func avxvnni(p func(string, ...any), addr func(int) string) {
	p(`
// func convU8S8_4x16AVXVNNI(a []uint8, lda, rowStride, rows, kp int, b []int8, bstride int, comp []int32, mul, add []float32, res []uint8, ldr int, c []uint8, ldc int, rmul float32, rzero int32, floor float32)
// The AVX-VNNI 4 x 16 tile: Y0..Y7 accumulators (row i in Y(2i), Y(2i+1)),
// Y8, Y9 the B quads of 16 channels, Y10..Y13 the broadcast A quads; it
// stores 16 bytes a row (ConvU8S8AVXVNNI masks through a buffer).
TEXT ·convU8S8_4x16AVXVNNI(SB), NOSPLIT, $0-236
	MOVQ a_base+0(FP), RBASE
	MOVQ lda+24(FP), LDA         // lda in bytes
	LEAQ (LDA)(LDA*2), LDA3      // 3*lda
	MOVQ rowStride+32(FP), RSTR  // kernel-row stride in bytes
	MOVQ rows+40(FP), RLEFT
	MOVQ b_base+56(FP), BPAN
	MOVQ bstride+80(FP), R15     // B bytes per quad step
`)
	for i := 0; i < 8; i++ {
		p("\tVPXOR Y%d, Y%d, Y%d          // accumulator %d = 0\n", i, i, i, i)
	}
	p(`
vkrow:                           // one kernel row: kp quad steps
	MOVQ RBASE, ROW0
	LEAQ (ROW0)(LDA3*1), ROW3
	MOVQ kp+48(FP), KP
	TESTQ KP, KP
	JEQ  vknext

vkstep:                          // one quad step: 2 B vectors, 4 broadcasts, 8 dot products
	VMOVDQU (BPAN), Y8           // B quads of channels 0..7
	VMOVDQU 32(BPAN), Y9         // B quads of channels 8..15
`)
	for i := 0; i < 4; i++ {
		p("\tVPBROADCASTD %s, Y%d      // A quad of row %d\n", addr(i), 10+i, i)
		for j := 0; j < 2; j++ {
			p("%s", vexVPDPBUSD(2*i+j, 10+i, 8+j))
		}
	}
	p(`	ADDQ $4, ROW0                // next quad of A
	ADDQ $4, ROW3
	ADDQ R15, BPAN               // next quad step of B
	DECQ KP
	JNE  vkstep

vknext:
	ADDQ RSTR, RBASE             // next kernel row of A
	DECQ RLEFT
	JNE  vkrow

	// Epilogue: requantize (see kernels' int8 notes), 16 bytes a row.
	MOVQ comp_base+88(FP), COMP
	MOVQ mul_base+112(FP), MUL
	MOVQ add_base+136(FP), ADD
	VBROADCASTSS floor+232(FP), Y12 // zero point for ReLU, else 0
	MOVL $0x437f0000, AX         // 255.0
	MOVD AX, X13
	VPBROADCASTD X13, Y13
	VBROADCASTSS rmul+224(FP), Y14 // residual multiplier
	MOVL rzero+228(FP), AX
	MOVD AX, X15
	VPBROADCASTD X15, Y15        // residual zero point
	MOVQ c_base+192(FP), CP
	MOVQ ldc+216(FP), LDC        // ldc in bytes
	MOVQ res_base+160(FP), RP
	MOVQ ldr+184(FP), LDR        // ldr in bytes
`)
	for i := 0; i < 4; i++ {
		for j := 0; j < 2; j++ {
			a := 2*i + j
			p("\tVPSUBD %d(COMP), Y%d, Y%d    // row %d: sum - compensation\n", 32*j, a, a, i)
			p("\tVCVTDQ2PS Y%d, Y%d          // to float32 (nearest even)\n", a, a)
			p("\tVMULPS %d(MUL), Y%d, Y%d     // * multiplier\n", 32*j, a, a)
			p("\tVADDPS %d(ADD), Y%d, Y%d     // + addend\n", 32*j, a, a)
		}
		p("\tTESTQ RP, RP\n\tJEQ  vnores%d\n", i)
		for j := 0; j < 2; j++ {
			a := 2*i + j
			p("\tVPMOVZXBD %d(RP), Y8         // residual bytes -> int32\n", 8*j)
			p("\tVPSUBD Y15, Y8, Y8          // - residual zero point\n")
			p("\tVCVTDQ2PS Y8, Y8\n")
			p("\tVMULPS Y14, Y8, Y8          // * residual multiplier\n")
			p("\tVADDPS Y8, Y%d, Y%d          // + residual\n", a, a)
		}
		p("\tADDQ LDR, RP                // next residual row\n")
		p("vnores%d:\n", i)
		for j := 0; j < 2; j++ {
			a := 2*i + j
			p("\tVMAXPS Y12, Y%d, Y%d         // floor\n", a, a)
			p("\tVMINPS Y13, Y%d, Y%d         // at most 255\n", a, a)
			p("\tVCVTPS2DQ Y%d, Y%d           // round half even\n", a, a)
		}
		p("\tVPACKUSDW Y%d, Y%d, Y8        // words: 0-3 8-11 | 4-7 12-15\n", 2*i+1, 2*i)
		p("\tVPERMQ $0xd8, Y8, Y8        // words 0-15 in order\n")
		p("\tVEXTRACTI128 $1, Y8, X9     // words 8-15\n")
		p("\tVPACKUSWB X9, X8, X8        // bytes 0-15\n")
		p("\tVMOVDQU X8, (CP)            // store row %d\n", i)
		p("\tADDQ LDC, CP\n")
	}
	p("\tVZEROUPPER\n\tRET\n")
}
