//go:build gc && !purego

#include "textflag.h"

// ---------------------------------------------------------------------------
// Winograd F(4x4,3x3) tile transforms, AVX2+FMA, eight channels per step.
// Each transform is two passes of a 1-D transform (columns, then rows) over
// one tile whose elements are vectors of n channels (contiguous floats);
// the first pass keeps its results in the destination (or, for the output
// transform, in the source) and the second reads them back from L1.
// Strides are in bytes inside the code, in floats in the Go declarations.
// ---------------------------------------------------------------------------

// Constants, broadcast into registers once per call.
DATA winoConst<>+0(SB)/4, $0x40800000  // 4
DATA winoConst<>+4(SB)/4, $0x40a00000  // 5
DATA winoConst<>+8(SB)/4, $0x40000000  // 2
DATA winoConst<>+12(SB)/4, $0x41000000 // 8
DATA winoConst<>+16(SB)/4, $0x3e800000 // 1/4
DATA winoConst<>+20(SB)/4, $0x3e2aaaab // 1/6
DATA winoConst<>+24(SB)/4, $0xbe2aaaab // -1/6
DATA winoConst<>+28(SB)/4, $0x3d2aaaab // 1/24
DATA winoConst<>+32(SB)/4, $0x3daaaaab // 1/12
DATA winoConst<>+36(SB)/4, $0x3f000000 // 1/2
GLOBL winoConst<>(SB), RODATA|NOPTR, $40

// IN1D: t = B^T d for d0..d5 loaded from l0..l5, stored to s0..s5.
// Y13 = 4, Y14 = 5, Y15 = 2.
//   t0 = 4d0 - 5d2 + d4             t5 = 4d1 - 5d3 + d5
//   t1 = (d4 + d3) - 4(d1 + d2)     t2 = (d4 - d3) + 4(d1 - d2)
//   t3 = (d4 - d2) + 2(d3 - d1)     t4 = (d4 - d2) - 2(d3 - d1)
#define IN1D(l0, l1, l2, l3, l4, l5, s0, s1, s2, s3, s4, s5) \
	VMOVUPS      l0, Y0        \ // d0
	VMOVUPS      l1, Y1        \ // d1
	VMOVUPS      l2, Y2        \ // d2
	VMOVUPS      l3, Y3        \ // d3
	VMOVUPS      l4, Y4        \ // d4
	VMOVUPS      l5, Y5        \ // d5
	VMOVAPS      Y4, Y6        \ // d4
	VFMADD231PS  Y13, Y0, Y6   \ // + 4d0
	VFNMADD231PS Y14, Y2, Y6   \ // - 5d2 = t0
	VMOVAPS      Y5, Y7        \ // d5
	VFMADD231PS  Y13, Y1, Y7   \ // + 4d1
	VFNMADD231PS Y14, Y3, Y7   \ // - 5d3 = t5
	VADDPS       Y2, Y1, Y8    \ // d1 + d2
	VADDPS       Y3, Y4, Y9    \ // d4 + d3
	VFNMADD231PS Y13, Y8, Y9   \ // - 4(d1 + d2) = t1
	VSUBPS       Y2, Y1, Y8    \ // d1 - d2
	VSUBPS       Y3, Y4, Y10   \ // d4 - d3
	VFMADD231PS  Y13, Y8, Y10  \ // + 4(d1 - d2) = t2
	VSUBPS       Y1, Y3, Y8    \ // d3 - d1
	VSUBPS       Y2, Y4, Y11   \ // d4 - d2
	VMOVAPS      Y11, Y12      \ // d4 - d2
	VFMADD231PS  Y15, Y8, Y11  \ // + 2(d3 - d1) = t3
	VFNMADD231PS Y15, Y8, Y12  \ // - 2(d3 - d1) = t4
	VMOVUPS      Y6, s0        \
	VMOVUPS      Y9, s1        \
	VMOVUPS      Y10, s2       \
	VMOVUPS      Y11, s3       \
	VMOVUPS      Y12, s4       \
	VMOVUPS      Y7, s5

// func winoInput4x4AVX2(dst []float32, ds int, src []float32, sa, sb, n int)
TEXT ·winoInput4x4AVX2(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ ds+24(FP), DX
	SHLQ $2, DX                      // DS: bytes between elements of dst
	MOVQ src_base+32(FP), SI
	MOVQ sa+56(FP), R8
	SHLQ $2, R8                      // SA: bytes between rows of src
	MOVQ sb+64(FP), R9
	SHLQ $2, R9                      // SB: bytes between columns of src
	MOVQ n+72(FP), CX
	SHRQ $3, CX                      // steps of 8 channels
	JZ   indone
	LEAQ (DX)(DX*2), R10
	ADDQ R10, R10                    // X = 6*DS: one row of dst
	VBROADCASTSS winoConst<>+0(SB), Y13 // 4
	VBROADCASTSS winoConst<>+4(SB), Y14 // 5
	VBROADCASTSS winoConst<>+8(SB), Y15 // 2

inchunk:
	// Columns: T[i][b] = sum_a BT[i][a] d[a][b], into dst[(i*6+b)*ds].
	MOVQ SI, AX                      // column b of src
	MOVQ DI, BX                      // dst + b*DS
	MOVQ $6, R11

incol:
	LEAQ (AX)(R8*2), R12
	ADDQ R8, R12                     // src row 3
	LEAQ (BX)(R10*2), R13
	ADDQ R10, R13                    // dst row 3
	IN1D((AX), (AX)(R8*1), (AX)(R8*2), (R12), (R12)(R8*1), (R12)(R8*2), (BX), (BX)(R10*1), (BX)(R10*2), (R13), (R13)(R10*1), (R13)(R10*2))
	ADDQ R9, AX
	ADDQ DX, BX
	DECQ R11
	JNZ  incol

	// Rows: V[i][j] = sum_b T[i][b] BT[j][b], in place.
	MOVQ DI, BX                      // dst row i
	MOVQ $6, R11

inrow:
	LEAQ (BX)(DX*2), R13
	ADDQ DX, R13                     // element 3 of the row
	IN1D((BX), (BX)(DX*1), (BX)(DX*2), (R13), (R13)(DX*1), (R13)(DX*2), (BX), (BX)(DX*1), (BX)(DX*2), (R13), (R13)(DX*1), (R13)(DX*2))
	ADDQ R10, BX
	DECQ R11
	JNZ  inrow

	ADDQ $32, SI                     // next 8 channels
	ADDQ $32, DI
	DECQ CX
	JNZ  inchunk

indone:
	VZEROUPPER
	RET

// OUT1D: o = A^T m for m0..m5 loaded from l0..l5, into Y10, Y11, Y12, Y0.
// Y13 = 4, Y14 = 8, Y15 = 2.
//   o0 = m0 + (m1 + m2) + (m3 + m4)   o1 = (m1 - m2) + 2(m3 - m4)
//   o2 = (m1 + m2) + 4(m3 + m4)       o3 = (m1 - m2) + 8(m3 - m4) + m5
#define OUT1D(l0, l1, l2, l3, l4, l5) \
	VMOVUPS     l0, Y0        \ // m0
	VMOVUPS     l1, Y1        \ // m1
	VMOVUPS     l2, Y2        \ // m2
	VMOVUPS     l3, Y3        \ // m3
	VMOVUPS     l4, Y4        \ // m4
	VMOVUPS     l5, Y5        \ // m5
	VADDPS      Y2, Y1, Y6    \ // m1 + m2
	VSUBPS      Y2, Y1, Y7    \ // m1 - m2
	VADDPS      Y4, Y3, Y8    \ // m3 + m4
	VSUBPS      Y4, Y3, Y9    \ // m3 - m4
	VADDPS      Y6, Y0, Y10   \ // m0 + (m1 + m2)
	VADDPS      Y8, Y10, Y10  \ // + (m3 + m4) = o0
	VMOVAPS     Y7, Y11       \
	VFMADD231PS Y15, Y9, Y11  \ // (m1 - m2) + 2(m3 - m4) = o1
	VMOVAPS     Y6, Y12       \
	VFMADD231PS Y13, Y8, Y12  \ // (m1 + m2) + 4(m3 + m4) = o2
	VADDPS      Y7, Y5, Y0    \ // m5 + (m1 - m2)
	VFMADD231PS Y14, Y9, Y0     // + 8(m3 - m4) = o3

// func winoOutput4x4AVX2(dst []float32, da, db int, src []float32, ss int, bias []float32, n int)
TEXT ·winoOutput4x4AVX2(SB), NOSPLIT, $0-104
	MOVQ dst_base+0(FP), DI
	MOVQ da+24(FP), R8
	SHLQ $2, R8                      // DA: bytes between rows of dst
	MOVQ db+32(FP), R9
	SHLQ $2, R9                      // DB: bytes between columns of dst
	MOVQ src_base+40(FP), SI
	MOVQ ss+64(FP), DX
	SHLQ $2, DX                      // SS: bytes between elements of src
	MOVQ bias_base+72(FP), R12       // bias, 8 channels at a time
	MOVQ n+96(FP), CX
	SHRQ $3, CX                      // steps of 8 channels
	JZ   outdone
	LEAQ (DX)(DX*2), R10
	ADDQ R10, R10                    // X = 6*SS: one row of src
	VBROADCASTSS winoConst<>+0(SB), Y13  // 4
	VBROADCASTSS winoConst<>+12(SB), Y14 // 8
	VBROADCASTSS winoConst<>+8(SB), Y15  // 2

outchunk:
	// Columns: T[i][b] = sum_a AT[i][a] m[a][b], i < 4, into src[(i*6+b)*ss].
	MOVQ SI, BX                      // src + b*SS
	MOVQ $6, R11

outcol:
	LEAQ (BX)(R10*2), R13
	ADDQ R10, R13                    // row 3
	OUT1D((BX), (BX)(R10*1), (BX)(R10*2), (R13), (R13)(R10*1), (R13)(R10*2))
	VMOVUPS Y10, (BX)
	VMOVUPS Y11, (BX)(R10*1)
	VMOVUPS Y12, (BX)(R10*2)
	VMOVUPS Y0, (R13)
	ADDQ DX, BX
	DECQ R11
	JNZ  outcol

	// Rows: out[i][j] = bias + sum_b T[i][b] AT[j][b].
	MOVQ SI, BX                      // src row i
	MOVQ DI, AX                      // dst row i
	MOVQ $4, R11

outrow:
	LEAQ (BX)(DX*2), R13
	ADDQ DX, R13                     // element 3 of the row
	OUT1D((BX), (BX)(DX*1), (BX)(DX*2), (R13), (R13)(DX*1), (R13)(DX*2))
	VADDPS  (R12), Y10, Y10          // + bias
	VADDPS  (R12), Y11, Y11
	VADDPS  (R12), Y12, Y12
	VADDPS  (R12), Y0, Y0
	VMOVUPS Y10, (AX)                // out[i][0]
	VMOVUPS Y11, (AX)(R9*1)          // out[i][1]
	VMOVUPS Y12, (AX)(R9*2)          // out[i][2]
	ADDQ    R9, AX
	VMOVUPS Y0, (AX)(R9*2)           // out[i][3]
	SUBQ    R9, AX
	ADDQ R10, BX
	ADDQ R8, AX
	DECQ R11
	JNZ  outrow

	ADDQ $32, SI                     // next 8 channels
	ADDQ $32, DI
	ADDQ $32, R12
	DECQ CX
	JNZ  outchunk

outdone:
	VZEROUPPER
	RET

// WT1D: u = G g for g0..g2 loaded from l0..l2, stored to s0..s5.
// Y11 = 1/4, Y12 = 1/6, Y13 = -1/6, Y14 = 1/24, Y15 = 1/12.
//   u0 = g0/4        u1 = -(g0 + g1 + g2)/6     u2 = (g1 - g0 - g2)/6
//   u3 = g0/24 + g2/6 + g1/12    u4 = g0/24 + g2/6 - g1/12    u5 = g2
#define WT1D(l0, l1, l2, s0, s1, s2, s3, s4, s5) \
	VMOVUPS      l0, Y0        \ // g0
	VMOVUPS      l1, Y1        \ // g1
	VMOVUPS      l2, Y2        \ // g2
	VADDPS       Y2, Y0, Y3    \ // g0 + g2
	VADDPS       Y1, Y3, Y4    \ // g0 + g1 + g2
	VMULPS       Y13, Y4, Y7   \ // u1
	VSUBPS       Y3, Y1, Y5    \ // g1 - (g0 + g2)
	VMULPS       Y12, Y5, Y8   \ // u2
	VMULPS       Y11, Y0, Y6   \ // u0
	VMULPS       Y14, Y0, Y9   \ // g0/24
	VFMADD231PS  Y12, Y2, Y9   \ // + g2/6
	VMOVAPS      Y9, Y10       \
	VFMADD231PS  Y15, Y1, Y10  \ // + g1/12 = u3
	VFNMADD231PS Y15, Y1, Y9   \ // - g1/12 = u4
	VMOVUPS      Y6, s0        \
	VMOVUPS      Y7, s1        \
	VMOVUPS      Y8, s2        \
	VMOVUPS      Y10, s3       \
	VMOVUPS      Y9, s4        \
	VMOVUPS      Y2, s5

// func winoWeight4x4AVX2(dst []float32, ds int, src []float32, sa, sb, n int)
TEXT ·winoWeight4x4AVX2(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ ds+24(FP), DX
	SHLQ $2, DX                      // DS: bytes between elements of dst
	MOVQ src_base+32(FP), SI
	MOVQ sa+56(FP), R8
	SHLQ $2, R8                      // SA: bytes between rows of src
	MOVQ sb+64(FP), R9
	SHLQ $2, R9                      // SB: bytes between columns of src
	MOVQ n+72(FP), CX
	SHRQ $3, CX                      // steps of 8 channels
	JZ   wtdone
	LEAQ (DX)(DX*2), R10
	ADDQ R10, R10                    // X = 6*DS: one row of dst
	VBROADCASTSS winoConst<>+16(SB), Y11 // 1/4
	VBROADCASTSS winoConst<>+20(SB), Y12 // 1/6
	VBROADCASTSS winoConst<>+24(SB), Y13 // -1/6
	VBROADCASTSS winoConst<>+28(SB), Y14 // 1/24
	VBROADCASTSS winoConst<>+32(SB), Y15 // 1/12

wtchunk:
	// Columns: T[i][b] = sum_a G[i][a] g[a][b], b < 3, into dst[(i*6+b)*ds].
	MOVQ SI, AX                      // column b of src
	MOVQ DI, BX                      // dst + b*DS
	MOVQ $3, R11

wtcol:
	LEAQ (BX)(R10*2), R13
	ADDQ R10, R13                    // dst row 3
	WT1D((AX), (AX)(R8*1), (AX)(R8*2), (BX), (BX)(R10*1), (BX)(R10*2), (R13), (R13)(R10*1), (R13)(R10*2))
	ADDQ R9, AX
	ADDQ DX, BX
	DECQ R11
	JNZ  wtcol

	// Rows: U[i][j] = sum_b T[i][b] G[j][b], in place.
	MOVQ DI, BX                      // dst row i
	MOVQ $6, R11

wtrow:
	LEAQ (BX)(DX*2), R13
	ADDQ DX, R13                     // element 3 of the row
	WT1D((BX), (BX)(DX*1), (BX)(DX*2), (BX), (BX)(DX*1), (BX)(DX*2), (R13), (R13)(DX*1), (R13)(DX*2))
	ADDQ R10, BX
	DECQ R11
	JNZ  wtrow

	ADDQ $32, SI                     // next 8 channels
	ADDQ $32, DI
	DECQ CX
	JNZ  wtchunk

wtdone:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// Winograd F(2x2,3x3): 4x4 input tiles, 2x2 output tiles.
// ---------------------------------------------------------------------------

// IN1D2: t = BT d for d0..d3 from l0..l3, stored to s0..s3.
//   t0 = d0 - d2   t1 = d1 + d2   t2 = d2 - d1   t3 = d1 - d3
#define IN1D2(l0, l1, l2, l3, s0, s1, s2, s3) \
	VMOVUPS l0, Y0      \ // d0
	VMOVUPS l1, Y1      \ // d1
	VMOVUPS l2, Y2      \ // d2
	VMOVUPS l3, Y3      \ // d3
	VSUBPS  Y2, Y0, Y4  \ // t0
	VADDPS  Y2, Y1, Y5  \ // t1
	VSUBPS  Y1, Y2, Y6  \ // t2
	VSUBPS  Y3, Y1, Y7  \ // t3
	VMOVUPS Y4, s0      \
	VMOVUPS Y5, s1      \
	VMOVUPS Y6, s2      \
	VMOVUPS Y7, s3

// func winoInput2x2AVX2(dst []float32, ds int, src []float32, sa, sb, n int)
TEXT ·winoInput2x2AVX2(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ ds+24(FP), DX
	SHLQ $2, DX                      // DS: bytes between elements of dst
	MOVQ src_base+32(FP), SI
	MOVQ sa+56(FP), R8
	SHLQ $2, R8                      // SA: bytes between rows of src
	MOVQ sb+64(FP), R9
	SHLQ $2, R9                      // SB: bytes between columns of src
	MOVQ n+72(FP), CX
	SHRQ $3, CX                      // steps of 8 channels
	JZ   in2done
	LEAQ (DX*4), R10                 // X = 4*DS: one row of dst

in2chunk:
	MOVQ SI, AX                      // column b of src
	MOVQ DI, BX                      // dst + b*DS
	MOVQ $4, R11

in2col:
	LEAQ (AX)(R8*2), R12
	ADDQ R8, R12                     // src row 3
	LEAQ (BX)(R10*2), R13
	ADDQ R10, R13                    // dst row 3
	IN1D2((AX), (AX)(R8*1), (AX)(R8*2), (R12), (BX), (BX)(R10*1), (BX)(R10*2), (R13))
	ADDQ R9, AX
	ADDQ DX, BX
	DECQ R11
	JNZ  in2col

	MOVQ DI, BX                      // dst row i
	MOVQ $4, R11

in2row:
	LEAQ (BX)(DX*2), R13
	ADDQ DX, R13                     // element 3 of the row
	IN1D2((BX), (BX)(DX*1), (BX)(DX*2), (R13), (BX), (BX)(DX*1), (BX)(DX*2), (R13))
	ADDQ R10, BX
	DECQ R11
	JNZ  in2row

	ADDQ $32, SI                     // next 8 channels
	ADDQ $32, DI
	DECQ CX
	JNZ  in2chunk

in2done:
	VZEROUPPER
	RET

// OUT1D2: o = AT m for m0..m3 from l0..l3, into Y4, Y5.
//   o0 = m0 + m1 + m2   o1 = m1 - m2 - m3
#define OUT1D2(l0, l1, l2, l3) \
	VMOVUPS l0, Y0      \ // m0
	VMOVUPS l1, Y1      \ // m1
	VMOVUPS l2, Y2      \ // m2
	VMOVUPS l3, Y3      \ // m3
	VADDPS  Y1, Y0, Y4  \ // m0 + m1
	VADDPS  Y2, Y4, Y4  \ // + m2 = o0
	VSUBPS  Y2, Y1, Y5  \ // m1 - m2
	VSUBPS  Y3, Y5, Y5    // - m3 = o1

// func winoOutput2x2AVX2(dst []float32, da, db int, src []float32, ss int, bias []float32, n int)
TEXT ·winoOutput2x2AVX2(SB), NOSPLIT, $0-104
	MOVQ dst_base+0(FP), DI
	MOVQ da+24(FP), R8
	SHLQ $2, R8                      // DA: bytes between rows of dst
	MOVQ db+32(FP), R9
	SHLQ $2, R9                      // DB: bytes between columns of dst
	MOVQ src_base+40(FP), SI
	MOVQ ss+64(FP), DX
	SHLQ $2, DX                      // SS: bytes between elements of src
	MOVQ bias_base+72(FP), R12       // bias, 8 channels at a time
	MOVQ n+96(FP), CX
	SHRQ $3, CX                      // steps of 8 channels
	JZ   out2done
	LEAQ (DX*4), R10                 // X = 4*SS: one row of src

out2chunk:
	MOVQ SI, BX                      // src + b*SS
	MOVQ $4, R11

out2col:
	LEAQ (BX)(R10*2), R13
	ADDQ R10, R13                    // row 3
	OUT1D2((BX), (BX)(R10*1), (BX)(R10*2), (R13))
	VMOVUPS Y4, (BX)                 // T[0][b]
	VMOVUPS Y5, (BX)(R10*1)          // T[1][b]
	ADDQ DX, BX
	DECQ R11
	JNZ  out2col

	MOVQ SI, BX                      // src row i
	MOVQ DI, AX                      // dst row i
	MOVQ $2, R11

out2row:
	LEAQ (BX)(DX*2), R13
	ADDQ DX, R13                     // element 3 of the row
	OUT1D2((BX), (BX)(DX*1), (BX)(DX*2), (R13))
	VADDPS  (R12), Y4, Y4            // + bias
	VADDPS  (R12), Y5, Y5
	VMOVUPS Y4, (AX)                 // out[i][0]
	VMOVUPS Y5, (AX)(R9*1)           // out[i][1]
	ADDQ R10, BX
	ADDQ R8, AX
	DECQ R11
	JNZ  out2row

	ADDQ $32, SI                     // next 8 channels
	ADDQ $32, DI
	ADDQ $32, R12
	DECQ CX
	JNZ  out2chunk

out2done:
	VZEROUPPER
	RET

// WT1D2: u = G g for g0..g2 from l0..l2, stored to s0..s3. Y15 = 1/2.
//   u0 = g0   u1 = (g0 + g1 + g2)/2   u2 = (g0 - g1 + g2)/2   u3 = g2
#define WT1D2(l0, l1, l2, s0, s1, s2, s3) \
	VMOVUPS l0, Y0       \ // g0
	VMOVUPS l1, Y1       \ // g1
	VMOVUPS l2, Y2       \ // g2
	VADDPS  Y2, Y0, Y3   \ // g0 + g2
	VADDPS  Y1, Y3, Y4   \ // + g1
	VMULPS  Y15, Y4, Y4  \ // u1
	VSUBPS  Y1, Y3, Y5   \ // g0 + g2 - g1
	VMULPS  Y15, Y5, Y5  \ // u2
	VMOVUPS Y0, s0       \
	VMOVUPS Y4, s1       \
	VMOVUPS Y5, s2       \
	VMOVUPS Y2, s3

// func winoWeight2x2AVX2(dst []float32, ds int, src []float32, sa, sb, n int)
TEXT ·winoWeight2x2AVX2(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ ds+24(FP), DX
	SHLQ $2, DX                      // DS: bytes between elements of dst
	MOVQ src_base+32(FP), SI
	MOVQ sa+56(FP), R8
	SHLQ $2, R8                      // SA: bytes between rows of src
	MOVQ sb+64(FP), R9
	SHLQ $2, R9                      // SB: bytes between columns of src
	MOVQ n+72(FP), CX
	SHRQ $3, CX                      // steps of 8 channels
	JZ   wt2done
	LEAQ (DX*4), R10                 // X = 4*DS: one row of dst
	VBROADCASTSS winoConst<>+36(SB), Y15 // 1/2

wt2chunk:
	MOVQ SI, AX                      // column b of src
	MOVQ DI, BX                      // dst + b*DS
	MOVQ $3, R11

wt2col:
	LEAQ (BX)(R10*2), R13
	ADDQ R10, R13                    // dst row 3
	WT1D2((AX), (AX)(R8*1), (AX)(R8*2), (BX), (BX)(R10*1), (BX)(R10*2), (R13))
	ADDQ R9, AX
	ADDQ DX, BX
	DECQ R11
	JNZ  wt2col

	MOVQ DI, BX                      // dst row i
	MOVQ $4, R11

wt2row:
	LEAQ (BX)(DX*2), R13
	ADDQ DX, R13                     // element 3 of the row
	WT1D2((BX), (BX)(DX*1), (BX)(DX*2), (BX), (BX)(DX*1), (BX)(DX*2), (R13))
	ADDQ R10, BX
	DECQ R11
	JNZ  wt2row

	ADDQ $32, SI                     // next 8 channels
	ADDQ $32, DI
	DECQ CX
	JNZ  wt2chunk

wt2done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// AVX-512F: the transforms above on zmm registers, 16 channels per step
// (n%16 == 0); macros and labels carry a Z suffix.
// ---------------------------------------------------------------------------


// IN1DZ: t = B^T d for d0..d5 loaded from l0..l5, stored to s0..s5.
// Z13 = 4, Z14 = 5, Z15 = 2.
//   t0 = 4d0 - 5d2 + d4             t5 = 4d1 - 5d3 + d5
//   t1 = (d4 + d3) - 4(d1 + d2)     t2 = (d4 - d3) + 4(d1 - d2)
//   t3 = (d4 - d2) + 2(d3 - d1)     t4 = (d4 - d2) - 2(d3 - d1)
#define IN1DZ(l0, l1, l2, l3, l4, l5, s0, s1, s2, s3, s4, s5) \
	VMOVUPS      l0, Z0        \ // d0
	VMOVUPS      l1, Z1        \ // d1
	VMOVUPS      l2, Z2        \ // d2
	VMOVUPS      l3, Z3        \ // d3
	VMOVUPS      l4, Z4        \ // d4
	VMOVUPS      l5, Z5        \ // d5
	VMOVAPS      Z4, Z6        \ // d4
	VFMADD231PS  Z13, Z0, Z6   \ // + 4d0
	VFNMADD231PS Z14, Z2, Z6   \ // - 5d2 = t0
	VMOVAPS      Z5, Z7        \ // d5
	VFMADD231PS  Z13, Z1, Z7   \ // + 4d1
	VFNMADD231PS Z14, Z3, Z7   \ // - 5d3 = t5
	VADDPS       Z2, Z1, Z8    \ // d1 + d2
	VADDPS       Z3, Z4, Z9    \ // d4 + d3
	VFNMADD231PS Z13, Z8, Z9   \ // - 4(d1 + d2) = t1
	VSUBPS       Z2, Z1, Z8    \ // d1 - d2
	VSUBPS       Z3, Z4, Z10   \ // d4 - d3
	VFMADD231PS  Z13, Z8, Z10  \ // + 4(d1 - d2) = t2
	VSUBPS       Z1, Z3, Z8    \ // d3 - d1
	VSUBPS       Z2, Z4, Z11   \ // d4 - d2
	VMOVAPS      Z11, Z12      \ // d4 - d2
	VFMADD231PS  Z15, Z8, Z11  \ // + 2(d3 - d1) = t3
	VFNMADD231PS Z15, Z8, Z12  \ // - 2(d3 - d1) = t4
	VMOVUPS      Z6, s0        \
	VMOVUPS      Z9, s1        \
	VMOVUPS      Z10, s2       \
	VMOVUPS      Z11, s3       \
	VMOVUPS      Z12, s4       \
	VMOVUPS      Z7, s5

// func winoInput4x4AVX512(dst []float32, ds int, src []float32, sa, sb, n int)
TEXT ·winoInput4x4AVX512(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ ds+24(FP), DX
	SHLQ $2, DX                      // DS: bytes between elements of dst
	MOVQ src_base+32(FP), SI
	MOVQ sa+56(FP), R8
	SHLQ $2, R8                      // SA: bytes between rows of src
	MOVQ sb+64(FP), R9
	SHLQ $2, R9                      // SB: bytes between columns of src
	MOVQ n+72(FP), CX
	SHRQ $4, CX                      // steps of 16 channels
	JZ   indonez
	LEAQ (DX)(DX*2), R10
	ADDQ R10, R10                    // X = 6*DS: one row of dst
	VBROADCASTSS winoConst<>+0(SB), Z13 // 4
	VBROADCASTSS winoConst<>+4(SB), Z14 // 5
	VBROADCASTSS winoConst<>+8(SB), Z15 // 2

inchunkz:
	// Columns: T[i][b] = sum_a BT[i][a] d[a][b], into dst[(i*6+b)*ds].
	MOVQ SI, AX                      // column b of src
	MOVQ DI, BX                      // dst + b*DS
	MOVQ $6, R11

incolz:
	LEAQ (AX)(R8*2), R12
	ADDQ R8, R12                     // src row 3
	LEAQ (BX)(R10*2), R13
	ADDQ R10, R13                    // dst row 3
	IN1DZ((AX), (AX)(R8*1), (AX)(R8*2), (R12), (R12)(R8*1), (R12)(R8*2), (BX), (BX)(R10*1), (BX)(R10*2), (R13), (R13)(R10*1), (R13)(R10*2))
	ADDQ R9, AX
	ADDQ DX, BX
	DECQ R11
	JNZ  incolz

	// Rows: V[i][j] = sum_b T[i][b] BT[j][b], in place.
	MOVQ DI, BX                      // dst row i
	MOVQ $6, R11

inrowz:
	LEAQ (BX)(DX*2), R13
	ADDQ DX, R13                     // element 3 of the row
	IN1DZ((BX), (BX)(DX*1), (BX)(DX*2), (R13), (R13)(DX*1), (R13)(DX*2), (BX), (BX)(DX*1), (BX)(DX*2), (R13), (R13)(DX*1), (R13)(DX*2))
	ADDQ R10, BX
	DECQ R11
	JNZ  inrowz

	ADDQ $64, SI                     // next 16 channels
	ADDQ $64, DI
	DECQ CX
	JNZ  inchunkz

indonez:
	VZEROUPPER
	RET

// OUT1DZ: o = A^T m for m0..m5 loaded from l0..l5, into Z10, Z11, Z12, Z0.
// Z13 = 4, Z14 = 8, Z15 = 2.
//   o0 = m0 + (m1 + m2) + (m3 + m4)   o1 = (m1 - m2) + 2(m3 - m4)
//   o2 = (m1 + m2) + 4(m3 + m4)       o3 = (m1 - m2) + 8(m3 - m4) + m5
#define OUT1DZ(l0, l1, l2, l3, l4, l5) \
	VMOVUPS     l0, Z0        \ // m0
	VMOVUPS     l1, Z1        \ // m1
	VMOVUPS     l2, Z2        \ // m2
	VMOVUPS     l3, Z3        \ // m3
	VMOVUPS     l4, Z4        \ // m4
	VMOVUPS     l5, Z5        \ // m5
	VADDPS      Z2, Z1, Z6    \ // m1 + m2
	VSUBPS      Z2, Z1, Z7    \ // m1 - m2
	VADDPS      Z4, Z3, Z8    \ // m3 + m4
	VSUBPS      Z4, Z3, Z9    \ // m3 - m4
	VADDPS      Z6, Z0, Z10   \ // m0 + (m1 + m2)
	VADDPS      Z8, Z10, Z10  \ // + (m3 + m4) = o0
	VMOVAPS     Z7, Z11       \
	VFMADD231PS Z15, Z9, Z11  \ // (m1 - m2) + 2(m3 - m4) = o1
	VMOVAPS     Z6, Z12       \
	VFMADD231PS Z13, Z8, Z12  \ // (m1 + m2) + 4(m3 + m4) = o2
	VADDPS      Z7, Z5, Z0    \ // m5 + (m1 - m2)
	VFMADD231PS Z14, Z9, Z0     // + 8(m3 - m4) = o3

// func winoOutput4x4AVX512(dst []float32, da, db int, src []float32, ss int, bias []float32, n int)
TEXT ·winoOutput4x4AVX512(SB), NOSPLIT, $0-104
	MOVQ dst_base+0(FP), DI
	MOVQ da+24(FP), R8
	SHLQ $2, R8                      // DA: bytes between rows of dst
	MOVQ db+32(FP), R9
	SHLQ $2, R9                      // DB: bytes between columns of dst
	MOVQ src_base+40(FP), SI
	MOVQ ss+64(FP), DX
	SHLQ $2, DX                      // SS: bytes between elements of src
	MOVQ bias_base+72(FP), R12       // bias, 16 channels at a time
	MOVQ n+96(FP), CX
	SHRQ $4, CX                      // steps of 16 channels
	JZ   outdonez
	LEAQ (DX)(DX*2), R10
	ADDQ R10, R10                    // X = 6*SS: one row of src
	VBROADCASTSS winoConst<>+0(SB), Z13  // 4
	VBROADCASTSS winoConst<>+12(SB), Z14 // 8
	VBROADCASTSS winoConst<>+8(SB), Z15  // 2

outchunkz:
	// Columns: T[i][b] = sum_a AT[i][a] m[a][b], i < 4, into src[(i*6+b)*ss].
	MOVQ SI, BX                      // src + b*SS
	MOVQ $6, R11

outcolz:
	LEAQ (BX)(R10*2), R13
	ADDQ R10, R13                    // row 3
	OUT1DZ((BX), (BX)(R10*1), (BX)(R10*2), (R13), (R13)(R10*1), (R13)(R10*2))
	VMOVUPS Z10, (BX)
	VMOVUPS Z11, (BX)(R10*1)
	VMOVUPS Z12, (BX)(R10*2)
	VMOVUPS Z0, (R13)
	ADDQ DX, BX
	DECQ R11
	JNZ  outcolz

	// Rows: out[i][j] = bias + sum_b T[i][b] AT[j][b].
	MOVQ SI, BX                      // src row i
	MOVQ DI, AX                      // dst row i
	MOVQ $4, R11

outrowz:
	LEAQ (BX)(DX*2), R13
	ADDQ DX, R13                     // element 3 of the row
	OUT1DZ((BX), (BX)(DX*1), (BX)(DX*2), (R13), (R13)(DX*1), (R13)(DX*2))
	VADDPS  (R12), Z10, Z10          // + bias
	VADDPS  (R12), Z11, Z11
	VADDPS  (R12), Z12, Z12
	VADDPS  (R12), Z0, Z0
	VMOVUPS Z10, (AX)                // out[i][0]
	VMOVUPS Z11, (AX)(R9*1)          // out[i][1]
	VMOVUPS Z12, (AX)(R9*2)          // out[i][2]
	ADDQ    R9, AX
	VMOVUPS Z0, (AX)(R9*2)           // out[i][3]
	SUBQ    R9, AX
	ADDQ R10, BX
	ADDQ R8, AX
	DECQ R11
	JNZ  outrowz

	ADDQ $64, SI                     // next 16 channels
	ADDQ $64, DI
	ADDQ $64, R12
	DECQ CX
	JNZ  outchunkz

outdonez:
	VZEROUPPER
	RET

// WT1DZ: u = G g for g0..g2 loaded from l0..l2, stored to s0..s5.
// Z11 = 1/4, Z12 = 1/6, Z13 = -1/6, Z14 = 1/24, Z15 = 1/12.
//   u0 = g0/4        u1 = -(g0 + g1 + g2)/6     u2 = (g1 - g0 - g2)/6
//   u3 = g0/24 + g2/6 + g1/12    u4 = g0/24 + g2/6 - g1/12    u5 = g2
#define WT1DZ(l0, l1, l2, s0, s1, s2, s3, s4, s5) \
	VMOVUPS      l0, Z0        \ // g0
	VMOVUPS      l1, Z1        \ // g1
	VMOVUPS      l2, Z2        \ // g2
	VADDPS       Z2, Z0, Z3    \ // g0 + g2
	VADDPS       Z1, Z3, Z4    \ // g0 + g1 + g2
	VMULPS       Z13, Z4, Z7   \ // u1
	VSUBPS       Z3, Z1, Z5    \ // g1 - (g0 + g2)
	VMULPS       Z12, Z5, Z8   \ // u2
	VMULPS       Z11, Z0, Z6   \ // u0
	VMULPS       Z14, Z0, Z9   \ // g0/24
	VFMADD231PS  Z12, Z2, Z9   \ // + g2/6
	VMOVAPS      Z9, Z10       \
	VFMADD231PS  Z15, Z1, Z10  \ // + g1/12 = u3
	VFNMADD231PS Z15, Z1, Z9   \ // - g1/12 = u4
	VMOVUPS      Z6, s0        \
	VMOVUPS      Z7, s1        \
	VMOVUPS      Z8, s2        \
	VMOVUPS      Z10, s3       \
	VMOVUPS      Z9, s4        \
	VMOVUPS      Z2, s5

// func winoWeight4x4AVX512(dst []float32, ds int, src []float32, sa, sb, n int)
TEXT ·winoWeight4x4AVX512(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ ds+24(FP), DX
	SHLQ $2, DX                      // DS: bytes between elements of dst
	MOVQ src_base+32(FP), SI
	MOVQ sa+56(FP), R8
	SHLQ $2, R8                      // SA: bytes between rows of src
	MOVQ sb+64(FP), R9
	SHLQ $2, R9                      // SB: bytes between columns of src
	MOVQ n+72(FP), CX
	SHRQ $4, CX                      // steps of 16 channels
	JZ   wtdonez
	LEAQ (DX)(DX*2), R10
	ADDQ R10, R10                    // X = 6*DS: one row of dst
	VBROADCASTSS winoConst<>+16(SB), Z11 // 1/4
	VBROADCASTSS winoConst<>+20(SB), Z12 // 1/6
	VBROADCASTSS winoConst<>+24(SB), Z13 // -1/6
	VBROADCASTSS winoConst<>+28(SB), Z14 // 1/24
	VBROADCASTSS winoConst<>+32(SB), Z15 // 1/12

wtchunkz:
	// Columns: T[i][b] = sum_a G[i][a] g[a][b], b < 3, into dst[(i*6+b)*ds].
	MOVQ SI, AX                      // column b of src
	MOVQ DI, BX                      // dst + b*DS
	MOVQ $3, R11

wtcolz:
	LEAQ (BX)(R10*2), R13
	ADDQ R10, R13                    // dst row 3
	WT1DZ((AX), (AX)(R8*1), (AX)(R8*2), (BX), (BX)(R10*1), (BX)(R10*2), (R13), (R13)(R10*1), (R13)(R10*2))
	ADDQ R9, AX
	ADDQ DX, BX
	DECQ R11
	JNZ  wtcolz

	// Rows: U[i][j] = sum_b T[i][b] G[j][b], in place.
	MOVQ DI, BX                      // dst row i
	MOVQ $6, R11

wtrowz:
	LEAQ (BX)(DX*2), R13
	ADDQ DX, R13                     // element 3 of the row
	WT1DZ((BX), (BX)(DX*1), (BX)(DX*2), (BX), (BX)(DX*1), (BX)(DX*2), (R13), (R13)(DX*1), (R13)(DX*2))
	ADDQ R10, BX
	DECQ R11
	JNZ  wtrowz

	ADDQ $64, SI                     // next 16 channels
	ADDQ $64, DI
	DECQ CX
	JNZ  wtchunkz

wtdonez:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// Winograd F(2x2,3x3): 4x4 input tiles, 2x2 output tiles.
// ---------------------------------------------------------------------------

// IN1D2Z: t = BT d for d0..d3 from l0..l3, stored to s0..s3.
//   t0 = d0 - d2   t1 = d1 + d2   t2 = d2 - d1   t3 = d1 - d3
#define IN1D2Z(l0, l1, l2, l3, s0, s1, s2, s3) \
	VMOVUPS l0, Z0      \ // d0
	VMOVUPS l1, Z1      \ // d1
	VMOVUPS l2, Z2      \ // d2
	VMOVUPS l3, Z3      \ // d3
	VSUBPS  Z2, Z0, Z4  \ // t0
	VADDPS  Z2, Z1, Z5  \ // t1
	VSUBPS  Z1, Z2, Z6  \ // t2
	VSUBPS  Z3, Z1, Z7  \ // t3
	VMOVUPS Z4, s0      \
	VMOVUPS Z5, s1      \
	VMOVUPS Z6, s2      \
	VMOVUPS Z7, s3

// func winoInput2x2AVX512(dst []float32, ds int, src []float32, sa, sb, n int)
TEXT ·winoInput2x2AVX512(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ ds+24(FP), DX
	SHLQ $2, DX                      // DS: bytes between elements of dst
	MOVQ src_base+32(FP), SI
	MOVQ sa+56(FP), R8
	SHLQ $2, R8                      // SA: bytes between rows of src
	MOVQ sb+64(FP), R9
	SHLQ $2, R9                      // SB: bytes between columns of src
	MOVQ n+72(FP), CX
	SHRQ $4, CX                      // steps of 16 channels
	JZ   in2donez
	LEAQ (DX*4), R10                 // X = 4*DS: one row of dst

in2chunkz:
	MOVQ SI, AX                      // column b of src
	MOVQ DI, BX                      // dst + b*DS
	MOVQ $4, R11

in2colz:
	LEAQ (AX)(R8*2), R12
	ADDQ R8, R12                     // src row 3
	LEAQ (BX)(R10*2), R13
	ADDQ R10, R13                    // dst row 3
	IN1D2Z((AX), (AX)(R8*1), (AX)(R8*2), (R12), (BX), (BX)(R10*1), (BX)(R10*2), (R13))
	ADDQ R9, AX
	ADDQ DX, BX
	DECQ R11
	JNZ  in2colz

	MOVQ DI, BX                      // dst row i
	MOVQ $4, R11

in2rowz:
	LEAQ (BX)(DX*2), R13
	ADDQ DX, R13                     // element 3 of the row
	IN1D2Z((BX), (BX)(DX*1), (BX)(DX*2), (R13), (BX), (BX)(DX*1), (BX)(DX*2), (R13))
	ADDQ R10, BX
	DECQ R11
	JNZ  in2rowz

	ADDQ $64, SI                     // next 16 channels
	ADDQ $64, DI
	DECQ CX
	JNZ  in2chunkz

in2donez:
	VZEROUPPER
	RET

// OUT1D2Z: o = AT m for m0..m3 from l0..l3, into Z4, Z5.
//   o0 = m0 + m1 + m2   o1 = m1 - m2 - m3
#define OUT1D2Z(l0, l1, l2, l3) \
	VMOVUPS l0, Z0      \ // m0
	VMOVUPS l1, Z1      \ // m1
	VMOVUPS l2, Z2      \ // m2
	VMOVUPS l3, Z3      \ // m3
	VADDPS  Z1, Z0, Z4  \ // m0 + m1
	VADDPS  Z2, Z4, Z4  \ // + m2 = o0
	VSUBPS  Z2, Z1, Z5  \ // m1 - m2
	VSUBPS  Z3, Z5, Z5    // - m3 = o1

// func winoOutput2x2AVX512(dst []float32, da, db int, src []float32, ss int, bias []float32, n int)
TEXT ·winoOutput2x2AVX512(SB), NOSPLIT, $0-104
	MOVQ dst_base+0(FP), DI
	MOVQ da+24(FP), R8
	SHLQ $2, R8                      // DA: bytes between rows of dst
	MOVQ db+32(FP), R9
	SHLQ $2, R9                      // DB: bytes between columns of dst
	MOVQ src_base+40(FP), SI
	MOVQ ss+64(FP), DX
	SHLQ $2, DX                      // SS: bytes between elements of src
	MOVQ bias_base+72(FP), R12       // bias, 16 channels at a time
	MOVQ n+96(FP), CX
	SHRQ $4, CX                      // steps of 16 channels
	JZ   out2donez
	LEAQ (DX*4), R10                 // X = 4*SS: one row of src

out2chunkz:
	MOVQ SI, BX                      // src + b*SS
	MOVQ $4, R11

out2colz:
	LEAQ (BX)(R10*2), R13
	ADDQ R10, R13                    // row 3
	OUT1D2Z((BX), (BX)(R10*1), (BX)(R10*2), (R13))
	VMOVUPS Z4, (BX)                 // T[0][b]
	VMOVUPS Z5, (BX)(R10*1)          // T[1][b]
	ADDQ DX, BX
	DECQ R11
	JNZ  out2colz

	MOVQ SI, BX                      // src row i
	MOVQ DI, AX                      // dst row i
	MOVQ $2, R11

out2rowz:
	LEAQ (BX)(DX*2), R13
	ADDQ DX, R13                     // element 3 of the row
	OUT1D2Z((BX), (BX)(DX*1), (BX)(DX*2), (R13))
	VADDPS  (R12), Z4, Z4            // + bias
	VADDPS  (R12), Z5, Z5
	VMOVUPS Z4, (AX)                 // out[i][0]
	VMOVUPS Z5, (AX)(R9*1)           // out[i][1]
	ADDQ R10, BX
	ADDQ R8, AX
	DECQ R11
	JNZ  out2rowz

	ADDQ $64, SI                     // next 16 channels
	ADDQ $64, DI
	ADDQ $64, R12
	DECQ CX
	JNZ  out2chunkz

out2donez:
	VZEROUPPER
	RET

// WT1D2Z: u = G g for g0..g2 from l0..l2, stored to s0..s3. Z15 = 1/2.
//   u0 = g0   u1 = (g0 + g1 + g2)/2   u2 = (g0 - g1 + g2)/2   u3 = g2
#define WT1D2Z(l0, l1, l2, s0, s1, s2, s3) \
	VMOVUPS l0, Z0       \ // g0
	VMOVUPS l1, Z1       \ // g1
	VMOVUPS l2, Z2       \ // g2
	VADDPS  Z2, Z0, Z3   \ // g0 + g2
	VADDPS  Z1, Z3, Z4   \ // + g1
	VMULPS  Z15, Z4, Z4  \ // u1
	VSUBPS  Z1, Z3, Z5   \ // g0 + g2 - g1
	VMULPS  Z15, Z5, Z5  \ // u2
	VMOVUPS Z0, s0       \
	VMOVUPS Z4, s1       \
	VMOVUPS Z5, s2       \
	VMOVUPS Z2, s3

// func winoWeight2x2AVX512(dst []float32, ds int, src []float32, sa, sb, n int)
TEXT ·winoWeight2x2AVX512(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ ds+24(FP), DX
	SHLQ $2, DX                      // DS: bytes between elements of dst
	MOVQ src_base+32(FP), SI
	MOVQ sa+56(FP), R8
	SHLQ $2, R8                      // SA: bytes between rows of src
	MOVQ sb+64(FP), R9
	SHLQ $2, R9                      // SB: bytes between columns of src
	MOVQ n+72(FP), CX
	SHRQ $4, CX                      // steps of 16 channels
	JZ   wt2donez
	LEAQ (DX*4), R10                 // X = 4*DS: one row of dst
	VBROADCASTSS winoConst<>+36(SB), Z15 // 1/2

wt2chunkz:
	MOVQ SI, AX                      // column b of src
	MOVQ DI, BX                      // dst + b*DS
	MOVQ $3, R11

wt2colz:
	LEAQ (BX)(R10*2), R13
	ADDQ R10, R13                    // dst row 3
	WT1D2Z((AX), (AX)(R8*1), (AX)(R8*2), (BX), (BX)(R10*1), (BX)(R10*2), (R13))
	ADDQ R9, AX
	ADDQ DX, BX
	DECQ R11
	JNZ  wt2colz

	MOVQ DI, BX                      // dst row i
	MOVQ $4, R11

wt2rowz:
	LEAQ (BX)(DX*2), R13
	ADDQ DX, R13                     // element 3 of the row
	WT1D2Z((BX), (BX)(DX*1), (BX)(DX*2), (BX), (BX)(DX*1), (BX)(DX*2), (R13))
	ADDQ R10, BX
	DECQ R11
	JNZ  wt2rowz

	ADDQ $64, SI                     // next 16 channels
	ADDQ $64, DI
	DECQ CX
	JNZ  wt2chunkz

wt2donez:
	VZEROUPPER
	RET
