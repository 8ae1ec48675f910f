package main

import "fmt"

// The bf16 Winograd F(2x2,3x3) kernels: the batched products of the
// transformed tiles (VDPBF16PS, float32 results), and the input and output
// transforms (float32 arithmetic on bf16 data, 16 channels a step).

// winoGemm writes winoBF16_<mr>x<nr>AVX512BF16: rt row tiles of mr rows
// of A times np panels of B, each product set (not added) into C as
// float32.
func winoGemm(p func(string, ...any), addr func(int) string, mr, nr int) {
	nv := nr / 16
	l := func(s string) string { return fmt.Sprintf("%s%d_%d", s, mr, nr) }
	p("\n// func winoBF16_%dx%dAVX512BF16(a []uint16, lda, kp int, b []uint16, np, rt int, c []float32, ldc int)\n", mr, nr)
	p("TEXT ·winoBF16_%dx%dAVX512BF16(SB), NOSPLIT, $0-112\n", mr, nr)
	p("\tMOVQ a_base+0(FP), RBASE     // A row 0 of the current row tile\n")
	p("\tMOVQ lda+24(FP), LDA\n")
	p("\tSHLQ $1, LDA                 // lda in bytes\n")
	p("\tLEAQ (LDA)(LDA*2), LDA3      // 3*lda bytes\n")
	p("\tMOVQ c_base+80(FP), CROW     // C row 0 of the current row tile\n")
	p("\tMOVQ ldc+104(FP), LDC\n")
	p("\tSHLQ $2, LDC                 // ldc in bytes\n")
	p("\tMOVQ rt+72(FP), RT           // row tiles left\n")
	p("\n%s:                         // one row tile: np panels\n", l("wtile"))
	p("\tMOVQ b_base+40(FP), BPAN     // panel 0, pair step 0\n")
	p("\tMOVQ np+64(FP), NP           // panels left\n")
	p("\tMOVQ CROW, CP                // C columns of panel 0\n")
	p("\n%s:                        // one panel: kp pair steps\n", l("wpanel"))
	for i := 0; i < nv*mr; i++ {
		p("\tVPXORD Z%d, Z%d, Z%d        // accumulator %d = 0\n", i, i, i, i)
	}
	p("\tMOVQ RBASE, ROW0\n")
	p("\tLEAQ (ROW0)(LDA3*1), ROW3\n")
	p("\tLEAQ (ROW3)(LDA3*1), ROW6\n")
	p("\tLEAQ (ROW6)(LDA3*1), ROW9\n")
	p("\tMOVQ kp+32(FP), KP\n")
	p("\tTESTQ KP, KP\n")
	p("\tJEQ  %s\n", l("wstore"))
	p("\n%s:                         // one pair step: %d B vectors, %d broadcasts, %d dot products\n", l("wstep"), nv, mr, nv*mr)
	p("\tVMOVDQU32 (BPAN), Z24       // B pairs of channels 0..15\n")
	if nv == 2 {
		p("\tVMOVDQU32 64(BPAN), Z25     // B pairs of channels 16..31\n")
	}
	for i := 0; i < mr; i++ {
		bc := 26 + i%4
		p("\tVPBROADCASTD %s, Z%d   // A pair of row %d\n", addr(i), bc, i)
		for j := 0; j < nv; j++ {
			p("%s", vdpbf16ps(nv*i+j, 24+j, bc))
		}
	}
	p("\tADDQ $4, ROW0               // next pair of A\n")
	p("\tADDQ $4, ROW3\n")
	p("\tADDQ $4, ROW6\n")
	p("\tADDQ $4, ROW9\n")
	p("\tADDQ $%d, BPAN             // next pair step of B\n", 4*nr)
	p("\tDECQ KP\n")
	p("\tJNE  %s\n", l("wstep"))
	p("\n%s:                        // store the float32 tile\n", l("wstore"))
	p("\tMOVQ CP, ROW0               // C row 0 of this panel\n")
	for i := 0; i < mr; i++ {
		for j := 0; j < nv; j++ {
			p("\tVMOVUPS Z%d, %d(ROW0)       // row %d, channels %d..%d\n", nv*i+j, 64*j, i, 16*j, 16*j+15)
		}
		if i < mr-1 {
			p("\tADDQ LDC, ROW0\n")
		}
	}
	p("\tADDQ $%d, CP              // next panel's columns of C\n", 4*nr)
	p("\tDECQ NP\n")
	p("\tJNE  %s\n", l("wpanel"))
	p("\tIMUL3Q $%d, LDA, BPAN      // mr rows of A in bytes (BPAN is free here)\n", mr)
	p("\tADDQ BPAN, RBASE            // next row tile of A\n")
	p("\tIMUL3Q $%d, LDC, BPAN      // mr rows of C in bytes\n", mr)
	p("\tADDQ BPAN, CROW             // next row tile of C\n")
	p("\tDECQ RT\n")
	p("\tJNE  %s\n", l("wtile"))
	p("\tVZEROUPPER\n\tRET\n")
}

// winoInput writes winoIn2x2BF16AVX512BF16, the F(2x2,3x3) input transform
// BT d B of a 4x4 window of bf16 values, rounded to bf16.
func winoInput(p func(string, ...any)) {
	p(`
// func winoIn2x2BF16AVX512BF16(dst []uint16, ds int, src []uint16, sa, sb, n int)
// Window element (i, j), channel c at src[i*sa+j*sb+c]; transformed
// element 4i+j at dst[(4i+j)*ds+c]; 16 channels a step (the last masked).
// Registers: t[i][j] of the column pass in Z(4i+j), loads in Z16..Z19,
// the row pass in Z20..Z23, the rounded element in Z24.
#define WR0 SI   // window row 0 at the current channel
#define WR1 R8   // window row 1
#define WR2 R9   // window row 2
#define WR3 R10  // window row 3
#define WSB BX   // sb in bytes
#define WSB3 AX  // 3*sb in bytes
#define WD0 DI   // elements 0..3 at the current channel
#define WD4 R11  // elements 4..7
#define WD8 R12  // elements 8..11
#define WD12 R13 // elements 12..15
#define WDS R14  // ds in bytes
#define WDS3 R15 // 3*ds in bytes
#define WLEFT CX // channels left
#define WTMP DX
TEXT ·winoIn2x2BF16AVX512BF16(SB), NOSPLIT, $0-80
	MOVQ src_base+32(FP), WR0
	MOVQ sa+56(FP), WTMP
	SHLQ $1, WTMP                // sa in bytes
	LEAQ (WR0)(WTMP*1), WR1
	LEAQ (WR1)(WTMP*1), WR2
	LEAQ (WR2)(WTMP*1), WR3
	MOVQ sb+64(FP), WSB
	SHLQ $1, WSB                 // sb in bytes
	LEAQ (WSB)(WSB*2), WSB3
	MOVQ dst_base+0(FP), WD0
	MOVQ ds+24(FP), WDS
	SHLQ $1, WDS                 // ds in bytes
	LEAQ (WDS)(WDS*2), WDS3
	LEAQ (WD0)(WDS*4), WD4
	LEAQ (WD4)(WDS*4), WD8
	LEAQ (WD8)(WDS*4), WD12
	MOVQ n+72(FP), WLEFT
	TESTQ WLEFT, WLEFT
	JLE  windone

winstep:
	MOVL $0xffff, WTMP           // all 16 channels
	CMPQ WLEFT, $16
	JGE  winmask
	MOVL $1, WTMP                // (1<<left)-1: the last channels
	SHLL CL, WTMP
	DECL WTMP

winmask:
	KMOVD WTMP, K1
`)
	rows := []string{"WR0", "WR1", "WR2", "WR3"}
	col := []string{"", "(WSB*1)", "(WSB*2)", "(WSB3*1)"}
	for j := 0; j < 4; j++ {
		for i := 0; i < 4; i++ {
			p("\tVPMOVZXWD.Z (%s)%s, K1, Z%d  // d[%d][%d], bf16 in 32-bit lanes\n", rows[i], col[j], 16+i, i, j)
			p("\tVPSLLD $16, Z%d, Z%d         // to float32\n", 16+i, 16+i)
		}
		p("\tVSUBPS Z18, Z16, Z%d          // t[0][%d] = d0 - d2\n", j, j)
		p("\tVADDPS Z18, Z17, Z%d          // t[1][%d] = d1 + d2\n", 4+j, j)
		p("\tVSUBPS Z17, Z18, Z%d          // t[2][%d] = d2 - d1\n", 8+j, j)
		p("\tVSUBPS Z19, Z17, Z%d          // t[3][%d] = d1 - d3\n", 12+j, j)
	}
	dsts := []string{"WD0", "WD4", "WD8", "WD12"}
	dcol := []string{"", "(WDS*1)", "(WDS*2)", "(WDS3*1)"}
	for i := 0; i < 4; i++ {
		r := 4 * i
		p("\tVSUBPS Z%d, Z%d, Z20          // row %d: r0 - r2\n", r+2, r, i)
		p("\tVADDPS Z%d, Z%d, Z21          // r1 + r2\n", r+2, r+1)
		p("\tVSUBPS Z%d, Z%d, Z22          // r2 - r1\n", r+1, r+2)
		p("\tVSUBPS Z%d, Z%d, Z23          // r1 - r3\n", r+3, r+1)
		for j := 0; j < 4; j++ {
			p("%s", vcvtne2ps2bf16(24, 20+j, 20+j))
			p("\tVMOVDQU16 Y24, K1, (%s)%s   // element %d\n", dsts[i], dcol[j], 4*i+j)
		}
	}
	p(`	ADDQ $32, WR0                // next 16 channels
	ADDQ $32, WR1
	ADDQ $32, WR2
	ADDQ $32, WR3
	ADDQ $32, WD0
	ADDQ $32, WD4
	ADDQ $32, WD8
	ADDQ $32, WD12
	SUBQ $16, WLEFT
	JG   winstep

windone:
	VZEROUPPER
	RET
`)
}

// winoOutput writes winoOut2x2BF16AVX512BF16, the F(2x2,3x3) output
// transform AT m A + bias (+ residual), max with floor, rounded to bf16.
func winoOutput(p func(string, ...any)) {
	p(`
// func winoOut2x2BF16AVX512BF16(dst []uint16, da, db int, src []float32, ss int, bias []float32, res []uint16, ra, rb int, floor float32, rows, cols, n int)
// Element e, channel c at src[e*ss+c]; output (i, j) (i < rows, j < cols)
// at dst[i*da+j*db+c], its residual at res[i*ra+j*rb+c]; 16 channels a
// step (the last masked). Registers: t[i][j] of the column pass in
// Z(4i+j), loads in Z16..Z19, outputs in Z20..Z23, bias Z28, floor Z29.
#define OS0 SI   // elements 0..3 at the current channel
#define OS4 R8   // elements 4..7
#define OS8 R9   // elements 8..11
#define OS12 R10 // elements 12..15
#define OSS BX   // ss in bytes
#define OSS3 AX  // 3*ss in bytes
#define OD0 DI   // output row 0
#define OD1 R11  // output row 1
#define ODB R12  // db in bytes
#define OR0 R13  // residual row 0 (0: none)
#define OR1 R14  // residual row 1
#define ORB R15  // rb in bytes
#define OLEFT CX // channels left
#define OTMP DX  // mask, then the bias pointer
TEXT ·winoOut2x2BF16AVX512BF16(SB), NOSPLIT, $0-168
	MOVQ src_base+40(FP), OS0
	MOVQ ss+64(FP), OSS
	SHLQ $2, OSS                 // ss in bytes
	LEAQ (OSS)(OSS*2), OSS3
	LEAQ (OS0)(OSS*4), OS4
	LEAQ (OS4)(OSS*4), OS8
	LEAQ (OS8)(OSS*4), OS12
	MOVQ dst_base+0(FP), OD0
	MOVQ da+24(FP), OD1
	LEAQ (OD0)(OD1*2), OD1       // row 1 = row 0 + 2*da bytes
	MOVQ db+32(FP), ODB
	SHLQ $1, ODB                 // db in bytes
	MOVQ res_base+96(FP), OR0
	MOVQ ra+120(FP), OR1
	LEAQ (OR0)(OR1*2), OR1       // residual row 1 (unused when res is nil)
	MOVQ rb+128(FP), ORB
	SHLQ $1, ORB                 // rb in bytes
	VBROADCASTSS floor+136(FP), Z29 // 0 for ReLU, -Inf for none
	MOVQ n+160(FP), OLEFT
	TESTQ OLEFT, OLEFT
	JLE  wondone

wonstep:
	MOVL $0xffff, OTMP           // all 16 channels
	CMPQ OLEFT, $16
	JGE  wonmask
	MOVL $1, OTMP                // (1<<left)-1: the last channels
	SHLL CL, OTMP
	DECL OTMP

wonmask:
	KMOVD OTMP, K1
`)
	bases := []string{"OS0", "OS4", "OS8", "OS12"}
	col := []string{"", "(OSS*1)", "(OSS*2)", "(OSS3*1)"}
	for b := 0; b < 4; b++ {
		for q := 0; q < 4; q++ {
			p("\tVMOVUPS.Z (%s)%s, K1, Z%d  // m[%d][%d]\n", bases[q], col[b], 16+q, q, b)
		}
		p("\tVADDPS Z17, Z16, Z%d          // t[0][%d] = m0 + m1\n", b, b)
		p("\tVADDPS Z18, Z%d, Z%d          //          + m2\n", b, b)
		p("\tVSUBPS Z18, Z17, Z%d          // t[1][%d] = m1 - m2\n", 4+b, b)
		p("\tVSUBPS Z19, Z%d, Z%d          //          - m3\n", 4+b, 4+b)
	}
	p("\tMOVQ n+160(FP), OTMP\n")
	p("\tSUBQ OLEFT, OTMP              // channels done\n")
	p("\tSHLQ $2, OTMP\n")
	p("\tADDQ bias_base+72(FP), OTMP   // bias of this step's channels\n")
	p("\tVMOVUPS.Z (OTMP), K1, Z28     // bias\n")
	for i := 0; i < 2; i++ {
		r := 4 * i
		p("\tVADDPS Z%d, Z%d, Z%d          // row %d: r0 + r1\n", r+1, r, 20+2*i, i)
		p("\tVADDPS Z%d, Z%d, Z%d          //        + r2\n", r+2, 20+2*i, 20+2*i)
		p("\tVADDPS Z28, Z%d, Z%d          //        + bias\n", 20+2*i, 20+2*i)
		p("\tVSUBPS Z%d, Z%d, Z%d          // r1 - r2\n", r+2, r+1, 21+2*i)
		p("\tVSUBPS Z%d, Z%d, Z%d          //        - r3\n", r+3, 21+2*i, 21+2*i)
		p("\tVADDPS Z28, Z%d, Z%d          //        + bias\n", 21+2*i, 21+2*i)
	}
	// Each output inside the tile: + residual, floor, round, masked store.
	for _, o := range []struct {
		i, j int
		d, r string
	}{{0, 0, "(OD0)", "(OR0)"}, {0, 1, "(OD0)(ODB*1)", "(OR0)(ORB*1)"}, {1, 0, "(OD1)", "(OR1)"}, {1, 1, "(OD1)(ODB*1)", "(OR1)(ORB*1)"}} {
		z := 20 + 2*o.i + o.j
		if o.i == 1 {
			p("\tCMPQ rows+144(FP), $2          // output (%d, %d) inside?\n", o.i, o.j)
			p("\tJLT  wonskip%d%d\n", o.i, o.j)
		}
		if o.j == 1 {
			p("\tCMPQ cols+152(FP), $2\n")
			p("\tJLT  wonskip%d%d\n", o.i, o.j)
		}
		p("\tCMPQ res_base+96(FP), $0\n")
		p("\tJEQ  wonnores%d%d\n", o.i, o.j)
		p("\tVPMOVZXWD.Z %s, K1, Z16  // residual (%d, %d), bf16 in 32-bit lanes\n", o.r, o.i, o.j)
		p("\tVPSLLD $16, Z16, Z16          // to float32\n")
		p("\tVADDPS Z16, Z%d, Z%d          // + residual\n", z, z)
		p("\nwonnores%d%d:\n", o.i, o.j)
		p("\tVMAXPS Z29, Z%d, Z%d          // ReLU (or nothing with floor -Inf)\n", z, z)
		p("%s", vcvtne2ps2bf16(24, z, z))
		p("\tVMOVDQU16 Y24, K1, %s      // store output (%d, %d)\n", o.d, o.i, o.j)
		p("\nwonskip%d%d:\n", o.i, o.j)
	}
	p(`	ADDQ $64, OS0                // next 16 channels
	ADDQ $64, OS4
	ADDQ $64, OS8
	ADDQ $64, OS12
	ADDQ $32, OD0
	ADDQ $32, OD1
	ADDQ $32, OR0
	ADDQ $32, OR1
	SUBQ $16, OLEFT
	JG   wonstep

wondone:
	VZEROUPPER
	RET
`)
}
