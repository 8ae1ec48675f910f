//go:build gc && !purego

#include "textflag.h"

// ---------------------------------------------------------------------------
// AVX2+FMA 6x16 micro-kernel: C[6x16] += A[6xk] (row stride lda) * B[kx16]
// (row stride ldb).
// Accumulators: Y0..Y11 (row i in Y(2i), Y(2i+1)); B row in Y12, Y13;
// broadcasts of A alternate between Y14 and Y15.
// Rows of A: row0 = (ROW0), row1 = (ROW0)(LDA*1), row2 = (ROW0)(LDA*2),
// row3 = (ROW3), row4 = (ROW3)(LDA*1), row5 = (ROW3)(LDA*2).
// ---------------------------------------------------------------------------

#define K    CX
#define ROW0 SI
#define ROW3 R8
#define LDA  DX
#define BPAN DI
#define CP   R9
#define LDC  R10
#define LDB  R11
#define NB   R9   // blocks left (CP's register: C is loaded by then)
#define ADV  R10  // bytes from the end of a block of A to the next (LDC's)

// One step of k: load a row of B, broadcast one A element per row, 12 FMAs.
#define STEP6x16 \
	VMOVUPS      (BPAN), Y12           \ // B[p, 0:8]
	VMOVUPS      32(BPAN), Y13         \ // B[p, 8:16]
	VBROADCASTSS (ROW0), Y14         \ // A[0, p]
	VFMADD231PS  Y12, Y14, Y0        \ // C[0, 0:8]  += A[0,p]*B[p, 0:8]
	VFMADD231PS  Y13, Y14, Y1        \ // C[0, 8:16] += A[0,p]*B[p, 8:16]
	VBROADCASTSS (ROW0)(LDA*1), Y15  \ // A[1, p]
	VFMADD231PS  Y12, Y15, Y2        \
	VFMADD231PS  Y13, Y15, Y3        \
	VBROADCASTSS (ROW0)(LDA*2), Y14  \ // A[2, p]
	VFMADD231PS  Y12, Y14, Y4        \
	VFMADD231PS  Y13, Y14, Y5        \
	VBROADCASTSS (ROW3), Y15         \ // A[3, p]
	VFMADD231PS  Y12, Y15, Y6        \
	VFMADD231PS  Y13, Y15, Y7        \
	VBROADCASTSS (ROW3)(LDA*1), Y14  \ // A[4, p]
	VFMADD231PS  Y12, Y14, Y8        \
	VFMADD231PS  Y13, Y14, Y9        \
	VBROADCASTSS (ROW3)(LDA*2), Y15  \ // A[5, p]
	VFMADD231PS  Y12, Y15, Y10       \
	VFMADD231PS  Y13, Y15, Y11       \
	ADDQ         $4, ROW0            \ // next column of A
	ADDQ         $4, ROW3            \
	ADDQ         LDB, BPAN               // next row of B

// Load (LOADC) or store (STOREC) row r of the C tile at CP.
#define LOADROW16(lo, hi) \
	VMOVUPS (CP), lo    \
	VMOVUPS 32(CP), hi  \
	ADDQ    LDC, CP

#define STOREROW16(lo, hi) \
	VMOVUPS lo, (CP)    \
	VMOVUPS hi, 32(CP)  \
	ADDQ    LDC, CP

// func sgemm6x16(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, nb, adv int)
TEXT ·sgemm6x16(SB), NOSPLIT, $0-120
	MOVQ k+0(FP), K
	MOVQ a_base+8(FP), ROW0
	MOVQ lda+32(FP), LDA
	SHLQ $2, LDA                      // lda in bytes
	LEAQ (ROW0)(LDA*2), ROW3
	ADDQ LDA, ROW3                    // ROW3 = row 3 of A
	MOVQ b_base+40(FP), BPAN
	MOVQ ldb+64(FP), LDB
	SHLQ $2, LDB                      // ldb in bytes
	MOVQ c_base+72(FP), CP
	MOVQ ldc+96(FP), LDC
	SHLQ $2, LDC                      // ldc in bytes

	// Accumulators start from C.
	LOADROW16(Y0, Y1)
	LOADROW16(Y2, Y3)
	LOADROW16(Y4, Y5)
	LOADROW16(Y6, Y7)
	LOADROW16(Y8, Y9)
	LOADROW16(Y10, Y11)

	MOVQ nb+104(FP), NB               // blocks of k steps
	MOVQ adv+112(FP), ADV
	SHLQ $2, ADV                      // adv in bytes

block6x16:
	MOVQ k+0(FP), K                   // k steps per block
	CMPQ K, $4
	JLT  tail6x16

loop6x16:                             // four steps of k per iteration
	STEP6x16
	STEP6x16
	STEP6x16
	STEP6x16
	SUBQ $4, K
	CMPQ K, $4
	JGE  loop6x16

tail6x16:                             // the remaining k%4 steps
	TESTQ K, K
	JEQ   next6x16
	STEP6x16
	DECQ  K
	JMP   tail6x16

next6x16:                             // move the rows of A to the next block
	ADDQ ADV, ROW0
	ADDQ ADV, ROW3
	DECQ NB
	JNE  block6x16

store6x16:
	MOVQ c_base+72(FP), CP
	MOVQ ldc+96(FP), LDC
	SHLQ $2, LDC                      // ldc in bytes
	STOREROW16(Y0, Y1)
	STOREROW16(Y2, Y3)
	STOREROW16(Y4, Y5)
	STOREROW16(Y6, Y7)
	STOREROW16(Y8, Y9)
	STOREROW16(Y10, Y11)
	VZEROUPPER
	RET

// sgemm6x16SetTiles sets rt x np tiles of C: tile (r, q) is the product of
// the 6 rows of A from a[6*r*lda:] and the k x 16 panel of B from
// b[q*pstride:] (ldb apart), written at c[6*r*ldc+16*q:]; accumulators
// start at zero, C is never read. AX holds the row tile's A, R12 the
// tile's C, R13 the row tiles left, BX the panels left, R14 the panel of
// B; the row tile's C lives at crow-8(SP).
// func sgemm6x16SetTiles(k int, a []float32, lda, rt int, b []float32, ldb, pstride, np int, c []float32, ldc int)
TEXT ·sgemm6x16SetTiles(SB), NOSPLIT, $8-128
	MOVQ  rt+40(FP), R13
	TESTQ R13, R13
	JEQ   doneST6
	MOVQ  a_base+8(FP), AX
	MOVQ  c_base+96(FP), CX
	MOVQ  CX, crow-8(SP)

rowST6:
	MOVQ np+88(FP), BX
	MOVQ b_base+48(FP), R14
	MOVQ crow-8(SP), R12

panelST6:
	MOVQ AX, ROW0
	MOVQ lda+32(FP), LDA
	SHLQ $2, LDA                      // lda in bytes
	LEAQ (ROW0)(LDA*2), ROW3
	ADDQ LDA, ROW3                    // ROW3 = row 3 of A
	MOVQ R14, BPAN
	MOVQ ldb+72(FP), LDB
	SHLQ $2, LDB                      // ldb in bytes
	VXORPS Y0, Y0, Y0                 // accumulators start at zero
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	MOVQ k+0(FP), K
	CMPQ K, $4
	JLT  tailST6

loopST6:                              // four steps of k per iteration
	STEP6x16
	STEP6x16
	STEP6x16
	STEP6x16
	SUBQ $4, K
	CMPQ K, $4
	JGE  loopST6

tailST6:
	TESTQ K, K
	JEQ   storeST6
	STEP6x16
	DECQ  K
	JMP   tailST6

storeST6:
	MOVQ R12, CP
	MOVQ ldc+120(FP), LDC
	SHLQ $2, LDC                      // ldc in bytes
	STOREROW16(Y0, Y1)
	STOREROW16(Y2, Y3)
	STOREROW16(Y4, Y5)
	STOREROW16(Y6, Y7)
	STOREROW16(Y8, Y9)
	STOREROW16(Y10, Y11)
	ADDQ $64, R12                     // next panel: C 16 floats on,
	MOVQ pstride+80(FP), CX
	LEAQ (R14)(CX*4), R14             // B pstride floats on
	DECQ BX
	JNE  panelST6

	MOVQ  lda+32(FP), CX              // next row tile: A and C 6 rows on
	IMULQ $24, CX
	ADDQ  CX, AX
	MOVQ  ldc+120(FP), CX
	IMULQ $24, CX
	ADDQ  CX, crow-8(SP)
	DECQ  R13
	JNE   rowST6

doneST6:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// AVX-512 12x32 micro-kernel: C[12x32] += A[12xk] (row stride lda) * B[kx32]
// (row stride ldb).
// Accumulators: Z0..Z23 (row i in Z(2i), Z(2i+1)); B row in Z24, Z25;
// broadcasts of A rotate through Z26..Z31.
// Rows of A: four bases R0=ROW0, ROW3, ROW6, ROW9, each with rows
// (base), (base)(LDA*1), (base)(LDA*2).
// ---------------------------------------------------------------------------

#define ROW6 R12
#define ROW9 R13

#define BC2(mem, t, acc0, acc1) \
	VBROADCASTSS mem, t         \ // A[i, p]
	VFMADD231PS  Z24, t, acc0   \ // C[i, 0:16]  += A[i,p]*B[p, 0:16]
	VFMADD231PS  Z25, t, acc1     // C[i, 16:32] += A[i,p]*B[p, 16:32]

#define STEP12x32 \
	VMOVUPS (BPAN), Z24                      \ // B[p, 0:16]
	VMOVUPS 64(BPAN), Z25                    \ // B[p, 16:32]
	BC2((ROW0), Z26, Z0, Z1)               \ // row 0
	BC2((ROW0)(LDA*1), Z27, Z2, Z3)        \ // row 1
	BC2((ROW0)(LDA*2), Z28, Z4, Z5)        \ // row 2
	BC2((ROW3), Z29, Z6, Z7)               \ // row 3
	BC2((ROW3)(LDA*1), Z30, Z8, Z9)        \ // row 4
	BC2((ROW3)(LDA*2), Z31, Z10, Z11)      \ // row 5
	BC2((ROW6), Z26, Z12, Z13)             \ // row 6
	BC2((ROW6)(LDA*1), Z27, Z14, Z15)      \ // row 7
	BC2((ROW6)(LDA*2), Z28, Z16, Z17)      \ // row 8
	BC2((ROW9), Z29, Z18, Z19)             \ // row 9
	BC2((ROW9)(LDA*1), Z30, Z20, Z21)      \ // row 10
	BC2((ROW9)(LDA*2), Z31, Z22, Z23)      \ // row 11
	ADDQ $4, ROW0                          \ // next column of A
	ADDQ $4, ROW3                          \
	ADDQ $4, ROW6                          \
	ADDQ $4, ROW9                          \
	ADDQ LDB, BPAN                             // next row of B

#define LOADROW32(lo, hi) \
	VMOVUPS (CP), lo    \
	VMOVUPS 64(CP), hi  \
	ADDQ    LDC, CP

#define STOREROW32(lo, hi) \
	VMOVUPS lo, (CP)    \
	VMOVUPS hi, 64(CP)  \
	ADDQ    LDC, CP

// func sgemm12x32(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, nb, adv int)
TEXT ·sgemm12x32(SB), NOSPLIT, $0-120
	MOVQ k+0(FP), K
	MOVQ a_base+8(FP), ROW0
	MOVQ lda+32(FP), LDA
	SHLQ $2, LDA                      // lda in bytes
	LEAQ (LDA)(LDA*2), AX             // AX = 3*lda bytes
	LEAQ (ROW0)(AX*1), ROW3           // row 3
	LEAQ (ROW3)(AX*1), ROW6           // row 6
	LEAQ (ROW6)(AX*1), ROW9           // row 9
	MOVQ b_base+40(FP), BPAN
	MOVQ ldb+64(FP), LDB
	SHLQ $2, LDB                      // ldb in bytes
	MOVQ c_base+72(FP), CP
	MOVQ ldc+96(FP), LDC
	SHLQ $2, LDC                      // ldc in bytes

	// Accumulators start from C.
	LOADROW32(Z0, Z1)
	LOADROW32(Z2, Z3)
	LOADROW32(Z4, Z5)
	LOADROW32(Z6, Z7)
	LOADROW32(Z8, Z9)
	LOADROW32(Z10, Z11)
	LOADROW32(Z12, Z13)
	LOADROW32(Z14, Z15)
	LOADROW32(Z16, Z17)
	LOADROW32(Z18, Z19)
	LOADROW32(Z20, Z21)
	LOADROW32(Z22, Z23)

	MOVQ nb+104(FP), NB               // blocks of k steps
	MOVQ adv+112(FP), ADV
	SHLQ $2, ADV                      // adv in bytes

block12x32:
	MOVQ k+0(FP), K                   // k steps per block
	CMPQ K, $2
	JLT  tail12x32

loop12x32:                            // two steps of k per iteration
	STEP12x32
	STEP12x32
	SUBQ $2, K
	CMPQ K, $2
	JGE  loop12x32

tail12x32:
	TESTQ K, K
	JEQ   next12x32
	STEP12x32                         // k was odd: one last step

next12x32:                            // move the rows of A to the next block
	ADDQ ADV, ROW0
	ADDQ ADV, ROW3
	ADDQ ADV, ROW6
	ADDQ ADV, ROW9
	DECQ NB
	JNE  block12x32

store12x32:
	MOVQ c_base+72(FP), CP
	MOVQ ldc+96(FP), LDC
	SHLQ $2, LDC                      // ldc in bytes
	STOREROW32(Z0, Z1)
	STOREROW32(Z2, Z3)
	STOREROW32(Z4, Z5)
	STOREROW32(Z6, Z7)
	STOREROW32(Z8, Z9)
	STOREROW32(Z10, Z11)
	STOREROW32(Z12, Z13)
	STOREROW32(Z14, Z15)
	STOREROW32(Z16, Z17)
	STOREROW32(Z18, Z19)
	STOREROW32(Z20, Z21)
	STOREROW32(Z22, Z23)
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// FMA peak probes: 12 independent accumulator chains, nothing else.
// ---------------------------------------------------------------------------

// func fmaLoopAVX2(n int)
TEXT ·fmaLoopAVX2(SB), NOSPLIT, $0-8
	MOVQ   n+0(FP), CX
	VXORPS Y0, Y0, Y0                 // zeros: no denormals, no overflow
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13

peakavx2:
	VFMADD231PS Y12, Y13, Y0          // 12 independent chains
	VFMADD231PS Y12, Y13, Y1
	VFMADD231PS Y12, Y13, Y2
	VFMADD231PS Y12, Y13, Y3
	VFMADD231PS Y12, Y13, Y4
	VFMADD231PS Y12, Y13, Y5
	VFMADD231PS Y12, Y13, Y6
	VFMADD231PS Y12, Y13, Y7
	VFMADD231PS Y12, Y13, Y8
	VFMADD231PS Y12, Y13, Y9
	VFMADD231PS Y12, Y13, Y10
	VFMADD231PS Y12, Y13, Y11
	DECQ        CX
	JNE         peakavx2
	VZEROUPPER
	RET

// func fmaLoopAVX512(n int)
TEXT ·fmaLoopAVX512(SB), NOSPLIT, $0-8
	MOVQ   n+0(FP), CX
	VXORPS Y0, Y0, Y0                 // VEX zeroing clears the whole zmm
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13

peakavx512:
	VFMADD231PS Z12, Z13, Z0          // 12 independent chains
	VFMADD231PS Z12, Z13, Z1
	VFMADD231PS Z12, Z13, Z2
	VFMADD231PS Z12, Z13, Z3
	VFMADD231PS Z12, Z13, Z4
	VFMADD231PS Z12, Z13, Z5
	VFMADD231PS Z12, Z13, Z6
	VFMADD231PS Z12, Z13, Z7
	VFMADD231PS Z12, Z13, Z8
	VFMADD231PS Z12, Z13, Z9
	VFMADD231PS Z12, Z13, Z10
	VFMADD231PS Z12, Z13, Z11
	DECQ        CX
	JNE         peakavx512
	VZEROUPPER
	RET
