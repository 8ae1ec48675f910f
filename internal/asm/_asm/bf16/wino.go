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
// BT d B of nt 4x4 windows of bf16 values (2*sb apart), rounded to bf16.
func winoInput(p func(string, ...any)) {
	p(`
// func winoIn2x2BF16AVX512BF16(dst []uint16, ds, dt int, src []uint16, sa, sb, n, nt int)
// Tile t's window element (i, j), channel c at src[2*t*sb+i*sa+j*sb+c];
// its transformed element 4i+j at dst[t*dt+(4i+j)*ds+c]; 16 channels a
// step, unmasked, then the last channels masked. Registers: t[i][j] of the
// column pass in Z(4i+j), loads in Z16..Z19, the row pass in Z20..Z23, the
// rounded element in Z24.
#define WR0 SI   // window row 0 at the current channel
#define WR1 R8   // window row 1
#define WR2 R9   // window row 2
#define WR3 R10  // window row 3
#define WSB BX   // sb in bytes
#define WSB3 AX  // 3*sb in bytes
#define WD0 DI   // elements 0..3 at the current channel
#define WTS R11  // this tile's window
#define WTD R12  // this tile's elements
#define WTN R13  // tiles left
#define WDS R14  // ds in bytes
#define WDS3 R15 // 3*ds in bytes
#define WLEFT CX // channels left
#define WTMP DX  // mask, row pointers, elements 4i..4i+3
TEXT ·winoIn2x2BF16AVX512BF16(SB), NOSPLIT, $0-96
	MOVQ src_base+40(FP), WTS
	MOVQ dst_base+0(FP), WTD
	MOVQ nt+88(FP), WTN
	MOVQ sb+72(FP), WSB
	SHLQ $1, WSB                 // sb in bytes
	LEAQ (WSB)(WSB*2), WSB3
	MOVQ ds+24(FP), WDS
	SHLQ $1, WDS                 // ds in bytes
	LEAQ (WDS)(WDS*2), WDS3

wintile:
	MOVQ WTS, WR0
	MOVQ sa+64(FP), WTMP
	SHLQ $1, WTMP                // sa in bytes
	LEAQ (WR0)(WTMP*1), WR1
	LEAQ (WR1)(WTMP*1), WR2
	LEAQ (WR2)(WTMP*1), WR3
	MOVQ WTD, WD0
	MOVQ n+80(FP), WLEFT
	CMPQ WLEFT, $16
	JLT  wintail

winfull:
`)
	winInputStep(p, false)
	p(`	SUBQ $16, WLEFT
	CMPQ WLEFT, $16
	JGE  winfull

wintail:
	TESTQ WLEFT, WLEFT
	JLE  winnext
	MOVL $1, WTMP                // (1<<left)-1: the last channels
	SHLL CL, WTMP
	DECL WTMP
	KMOVD WTMP, K1
`)
	winInputStep(p, true)
	p(`
winnext:
	LEAQ (WTS)(WSB*2), WTS       // next tile's window: 2 pixels on
	MOVQ dt+32(FP), WTMP
	LEAQ (WTD)(WTMP*2), WTD      // next tile's elements
	DECQ WTN
	JG   wintile
	VZEROUPPER
	RET
`)
}

// winInputStep writes one step of 16 channels of the input transform,
// masked by K1 or not, and moves the pointers on.
func winInputStep(p func(string, ...any), masked bool) {
	load, store := "VPMOVZXWD", "VMOVDQU16 Y24, "
	if masked {
		load, store = "VPMOVZXWD.Z", "VMOVDQU16 Y24, K1, "
	}
	k1 := ""
	if masked {
		k1 = ", K1"
	}
	rows := []string{"WR0", "WR1", "WR2", "WR3"}
	col := []string{"", "(WSB*1)", "(WSB*2)", "(WSB3*1)"}
	for _, r := range rows {
		p("\tPREFETCHT0 (%s)(WSB*8)     // 4 tiles on\n", r)
	}
	for j := 0; j < 4; j++ {
		for i := 0; i < 4; i++ {
			p("\t%s (%s)%s%s, Z%d  // d[%d][%d], bf16 in 32-bit lanes\n", load, rows[i], col[j], k1, 16+i, i, j)
			p("\tVPSLLD $16, Z%d, Z%d         // to float32\n", 16+i, 16+i)
		}
		p("\tVSUBPS Z18, Z16, Z%d          // t[0][%d] = d0 - d2\n", j, j)
		p("\tVADDPS Z18, Z17, Z%d          // t[1][%d] = d1 + d2\n", 4+j, j)
		p("\tVSUBPS Z17, Z18, Z%d          // t[2][%d] = d2 - d1\n", 8+j, j)
		p("\tVSUBPS Z19, Z17, Z%d          // t[3][%d] = d1 - d3\n", 12+j, j)
	}
	dcol := []string{"", "(WDS*1)", "(WDS*2)", "(WDS3*1)"}
	p("\tMOVQ WD0, WTMP               // elements 0..3\n")
	for i := 0; i < 4; i++ {
		r := 4 * i
		if i > 0 {
			p("\tLEAQ (WTMP)(WDS*4), WTMP    // elements %d..%d\n", 4*i, 4*i+3)
		}
		p("\tVSUBPS Z%d, Z%d, Z20          // row %d: r0 - r2\n", r+2, r, i)
		p("\tVADDPS Z%d, Z%d, Z21          // r1 + r2\n", r+2, r+1)
		p("\tVSUBPS Z%d, Z%d, Z22          // r2 - r1\n", r+1, r+2)
		p("\tVSUBPS Z%d, Z%d, Z23          // r1 - r3\n", r+3, r+1)
		for j := 0; j < 4; j++ {
			p("%s", vcvtne2ps2bf16(24, 20+j, 20+j))
			p("\t%s(WTMP)%s   // element %d\n", store, dcol[j], 4*i+j)
		}
	}
	p("\tADDQ $32, WR0                // next 16 channels\n")
	p("\tADDQ $32, WR1\n")
	p("\tADDQ $32, WR2\n")
	p("\tADDQ $32, WR3\n")
	p("\tADDQ $32, WD0\n")
}

// winoOutput writes winoOut2x2BF16AVX512BF16, the F(2x2,3x3) output
// transform AT m A + bias (+ residual), max with floor, rounded to bf16,
// of nt tiles side by side.
func winoOutput(p func(string, ...any)) {
	p(`
// func winoOut2x2BF16AVX512BF16(dst []uint16, da, db int, src []float32, ss, st int, bias []float32, res []uint16, ra, rb int, floor float32, rows, cols, n, nt int)
// Tile t's element e, channel c at src[t*st+e*ss+c]; its output (i, j)
// (i < rows, j < 2, or j < cols for the last tile) at
// dst[2*t*db+i*da+j*db+c], its residual at res[2*t*rb+i*ra+j*rb+c]; 16
// channels a step, unmasked, then the last channels masked. Registers:
// m[q][b] in Z(4q+b), t[i][b] of the column pass in Z(16+4i+b), outputs
// in Z24..Z27, bias Z28, floor Z29, the rounded output Z30, residual Z31.
#define OS0 SI   // elements 0..3 at the current channel
#define OSS BX   // ss in bytes
#define OSS3 AX  // 3*ss in bytes
#define OD0 DI   // output row 0 at the current channel
#define ODB R12  // db in bytes
#define OR0 R13  // residual row 0 at the current channel
#define ORB R15  // rb in bytes
#define OTS R8   // this tile's elements
#define OTD R9   // this tile's output
#define OTR R10  // this tile's residual
#define OTN R11  // tiles left
#define OCOLS R14 // this tile's columns
#define OLEFT CX // channels left
#define OTMP DX  // mask, element and row pointers, bias
TEXT ·winoOut2x2BF16AVX512BF16(SB), NOSPLIT, $0-184
	MOVQ src_base+40(FP), OTS
	MOVQ dst_base+0(FP), OTD
	MOVQ res_base+104(FP), OTR
	MOVQ nt+176(FP), OTN
	MOVQ ss+64(FP), OSS
	SHLQ $2, OSS                 // ss in bytes
	LEAQ (OSS)(OSS*2), OSS3
	MOVQ db+32(FP), ODB
	SHLQ $1, ODB                 // db in bytes
	MOVQ rb+136(FP), ORB
	SHLQ $1, ORB                 // rb in bytes
	VBROADCASTSS floor+144(FP), Z29 // 0 for ReLU, -Inf for none

wontile:
	MOVQ OTS, OS0
	MOVQ OTD, OD0
	MOVQ OTR, OR0
	MOVQ $2, OCOLS               // every tile but the last: 2 columns
	CMPQ OTN, $1
	JNE  woncols
	MOVQ cols+160(FP), OCOLS

woncols:
	MOVQ n+168(FP), OLEFT
	CMPQ OLEFT, $16
	JLT  wontail

wonfull:
`)
	wonOutputStep(p, false)
	p(`	SUBQ $16, OLEFT
	CMPQ OLEFT, $16
	JGE  wonfull

wontail:
	TESTQ OLEFT, OLEFT
	JLE  wonnext
	MOVL $1, OTMP                // (1<<left)-1: the last channels
	SHLL CL, OTMP
	DECL OTMP
	KMOVD OTMP, K1
`)
	wonOutputStep(p, true)
	p(`
wonnext:
	MOVQ st+72(FP), OTMP
	LEAQ (OTS)(OTMP*4), OTS      // next tile's elements
	LEAQ (OTD)(ODB*2), OTD       // next tile's output: 2 pixels on
	LEAQ (OTR)(ORB*2), OTR       // and its residual
	DECQ OTN
	JG   wontile
	VZEROUPPER
	RET
`)
}

// wonOutputStep writes one step of 16 channels of the output transform,
// masked by K1 or not, and moves the pointers on.
func wonOutputStep(p func(string, ...any), masked bool) {
	sfx, k1, z := "f", "", ""
	if masked {
		sfx, k1, z = "m", ", K1", ".Z"
	}
	col := []string{"", "(OSS*1)", "(OSS*2)", "(OSS3*1)"}
	p("\tMOVQ OS0, OTMP               // elements 0..3\n")
	for q := 0; q < 4; q++ {
		if q > 0 {
			p("\tLEAQ (OTMP)(OSS*4), OTMP    // elements %d..%d\n", 4*q, 4*q+3)
		}
		for b := 0; b < 4; b++ {
			p("\tVMOVUPS%s (OTMP)%s%s, Z%d  // m[%d][%d]\n", z, col[b], k1, 4*q+b, q, b)
		}
	}
	for b := 0; b < 4; b++ {
		p("\tVADDPS Z%d, Z%d, Z%d          // t[0][%d] = m0 + m1\n", 4+b, b, 16+b, b)
		p("\tVADDPS Z%d, Z%d, Z%d          //          + m2\n", 8+b, 16+b, 16+b)
		p("\tVSUBPS Z%d, Z%d, Z%d          // t[1][%d] = m1 - m2\n", 8+b, 4+b, 20+b, b)
		p("\tVSUBPS Z%d, Z%d, Z%d          //          - m3\n", 12+b, 20+b, 20+b)
	}
	p("\tMOVQ n+168(FP), OTMP\n")
	p("\tSUBQ OLEFT, OTMP              // channels done\n")
	p("\tSHLQ $2, OTMP\n")
	p("\tADDQ bias_base+80(FP), OTMP   // bias of this step's channels\n")
	p("\tVMOVUPS%s (OTMP)%s, Z28     // bias\n", z, k1)
	for i := 0; i < 2; i++ {
		r := 16 + 4*i
		o := 24 + 2*i
		p("\tVADDPS Z%d, Z%d, Z%d          // row %d: r0 + r1\n", r+1, r, o, i)
		p("\tVADDPS Z%d, Z%d, Z%d          //        + r2\n", r+2, o, o)
		p("\tVADDPS Z28, Z%d, Z%d          //        + bias\n", o, o)
		p("\tVSUBPS Z%d, Z%d, Z%d          // r1 - r2\n", r+2, r+1, o+1)
		p("\tVSUBPS Z%d, Z%d, Z%d          //        - r3\n", r+3, o+1, o+1)
		p("\tVADDPS Z28, Z%d, Z%d          //        + bias\n", o+1, o+1)
	}
	// Each output inside the tile: + residual, floor, round, store.
	for i := 0; i < 2; i++ {
		for j := 0; j < 2; j++ {
			zo := 24 + 2*i + j
			skip := fmt.Sprintf("wonskip%d%d%s", i, j, sfx)
			nores := fmt.Sprintf("wonnores%d%d%s", i, j, sfx)
			if i == 1 {
				p("\tCMPQ rows+152(FP), $2          // output (%d, %d) inside?\n", i, j)
				p("\tJLT  %s\n", skip)
			}
			if j == 1 {
				p("\tCMPQ OCOLS, $2\n")
				p("\tJLT  %s\n", skip)
			}
			d, r := "(OD0)", "(OR0)"
			if j == 1 {
				d, r = "(OD0)(ODB*1)", "(OR0)(ORB*1)"
			}
			if i == 1 {
				d, r = "(OTMP)", "(OTMP)"
				if j == 1 {
					d, r = "(OTMP)(ODB*1)", "(OTMP)(ORB*1)"
				}
			}
			p("\tCMPQ res_base+104(FP), $0\n")
			p("\tJEQ  %s\n", nores)
			if i == 1 {
				p("\tMOVQ ra+128(FP), OTMP\n")
				p("\tLEAQ (OR0)(OTMP*2), OTMP     // residual row 1\n")
			}
			p("\tVPMOVZXWD%s %s%s, Z31  // residual (%d, %d), bf16 in 32-bit lanes\n", z, r, k1, i, j)
			p("\tVPSLLD $16, Z31, Z31          // to float32\n")
			p("\tVADDPS Z31, Z%d, Z%d          // + residual\n", zo, zo)
			p("\n%s:\n", nores)
			p("\tVMAXPS Z29, Z%d, Z%d          // ReLU (or nothing with floor -Inf)\n", zo, zo)
			p("%s", vcvtne2ps2bf16(30, zo, zo))
			if i == 1 {
				p("\tMOVQ da+24(FP), OTMP\n")
				p("\tLEAQ (OD0)(OTMP*2), OTMP     // output row 1\n")
			}
			p("\tVMOVDQU16 Y30%s, %s      // store output (%d, %d)\n", k1, d, i, j)
			p("\n%s:\n", skip)
		}
	}
	p("\tADDQ $64, OS0                // next 16 channels\n")
	p("\tADDQ $32, OD0\n")
	p("\tADDQ $32, OR0\n")
}
