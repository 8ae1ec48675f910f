//go:build gc && !purego

#include "textflag.h"

// ---------------------------------------------------------------------------
// AVX-512 12x32 micro-kernel that sets C instead of adding to it:
// C[12x32] = A[12xk] (row stride lda) * B[kx32] (row stride ldb), plus a
// bias row when one is given. Register use as sgemm12x32 (gemm_amd64.s):
// accumulators Z0..Z23 (row i in Z(2i), Z(2i+1)), start at zero, C is
// never loaded; B row in Z24, Z25; broadcasts of A rotate through Z26..Z31.
// ---------------------------------------------------------------------------

#define K    CX
#define ROW0 SI
#define ROW3 R8
#define ROW6 R12
#define ROW9 R13
#define LDA  DX
#define BPAN DI
#define CP   R9
#define LDC  R10
#define LDB  R11

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

// Add the bias row (Z24, Z25) to row accumulators lo, hi.
#define BIASROW(lo, hi) \
	VADDPS Z24, lo, lo  \ // C[i, 0:16]  += bias[0:16]
	VADDPS Z25, hi, hi    // C[i, 16:32] += bias[16:32]

#define STOREROW32(lo, hi) \
	VMOVUPS lo, (CP)    \ // C[i, 0:16]
	VMOVUPS hi, 64(CP)  \ // C[i, 16:32]
	ADDQ    LDC, CP       // next row of C

// The 12x32 tile's accumulators Z0..Z23 set to zero.
#define ZERO12x32 \
	VPXORD Z0, Z0, Z0 \
	VPXORD Z1, Z1, Z1 \
	VPXORD Z2, Z2, Z2 \
	VPXORD Z3, Z3, Z3 \
	VPXORD Z4, Z4, Z4 \
	VPXORD Z5, Z5, Z5 \
	VPXORD Z6, Z6, Z6 \
	VPXORD Z7, Z7, Z7 \
	VPXORD Z8, Z8, Z8 \
	VPXORD Z9, Z9, Z9 \
	VPXORD Z10, Z10, Z10 \
	VPXORD Z11, Z11, Z11 \
	VPXORD Z12, Z12, Z12 \
	VPXORD Z13, Z13, Z13 \
	VPXORD Z14, Z14, Z14 \
	VPXORD Z15, Z15, Z15 \
	VPXORD Z16, Z16, Z16 \
	VPXORD Z17, Z17, Z17 \
	VPXORD Z18, Z18, Z18 \
	VPXORD Z19, Z19, Z19 \
	VPXORD Z20, Z20, Z20 \
	VPXORD Z21, Z21, Z21 \
	VPXORD Z22, Z22, Z22 \
	VPXORD Z23, Z23, Z23

// The 12x32 tile loaded from CP, rows LDC bytes apart.
#define LOAD12x32 \
	VMOVUPS (CP), Z0    \
	VMOVUPS 64(CP), Z1  \
	ADDQ    LDC, CP \
	VMOVUPS (CP), Z2    \
	VMOVUPS 64(CP), Z3  \
	ADDQ    LDC, CP \
	VMOVUPS (CP), Z4    \
	VMOVUPS 64(CP), Z5  \
	ADDQ    LDC, CP \
	VMOVUPS (CP), Z6    \
	VMOVUPS 64(CP), Z7  \
	ADDQ    LDC, CP \
	VMOVUPS (CP), Z8    \
	VMOVUPS 64(CP), Z9  \
	ADDQ    LDC, CP \
	VMOVUPS (CP), Z10    \
	VMOVUPS 64(CP), Z11  \
	ADDQ    LDC, CP \
	VMOVUPS (CP), Z12    \
	VMOVUPS 64(CP), Z13  \
	ADDQ    LDC, CP \
	VMOVUPS (CP), Z14    \
	VMOVUPS 64(CP), Z15  \
	ADDQ    LDC, CP \
	VMOVUPS (CP), Z16    \
	VMOVUPS 64(CP), Z17  \
	ADDQ    LDC, CP \
	VMOVUPS (CP), Z18    \
	VMOVUPS 64(CP), Z19  \
	ADDQ    LDC, CP \
	VMOVUPS (CP), Z20    \
	VMOVUPS 64(CP), Z21  \
	ADDQ    LDC, CP \
	VMOVUPS (CP), Z22    \
	VMOVUPS 64(CP), Z23  \
	ADDQ    LDC, CP

// The 12x32 tile stored at CP, rows LDC bytes apart.
#define STORE12x32 \
	STOREROW32(Z0, Z1) \
	STOREROW32(Z2, Z3) \
	STOREROW32(Z4, Z5) \
	STOREROW32(Z6, Z7) \
	STOREROW32(Z8, Z9) \
	STOREROW32(Z10, Z11) \
	STOREROW32(Z12, Z13) \
	STOREROW32(Z14, Z15) \
	STOREROW32(Z16, Z17) \
	STOREROW32(Z18, Z19) \
	STOREROW32(Z20, Z21) \
	STOREROW32(Z22, Z23)

// Six rows of the C tile at CP (LDC bytes apart) prefetched; CP moves on.
#define PREFETCHROWS6 \
	PREFETCHT0 (CP)     \
	PREFETCHT0 64(CP)   \
	ADDQ       LDC, CP \
	PREFETCHT0 (CP)     \
	PREFETCHT0 64(CP)   \
	ADDQ       LDC, CP \
	PREFETCHT0 (CP)     \
	PREFETCHT0 64(CP)   \
	ADDQ       LDC, CP \
	PREFETCHT0 (CP)     \
	PREFETCHT0 64(CP)   \
	ADDQ       LDC, CP \
	PREFETCHT0 (CP)     \
	PREFETCHT0 64(CP)   \
	ADDQ       LDC, CP \
	PREFETCHT0 (CP)     \
	PREFETCHT0 64(CP)   \
	ADDQ       LDC, CP

// Row 0 of the 12x32 tile (Z0, Z1) copied to the other 11.
#define COPYROW0 \
	VMOVAPS Z0, Z2 \
	VMOVAPS Z1, Z3 \
	VMOVAPS Z0, Z4 \
	VMOVAPS Z1, Z5 \
	VMOVAPS Z0, Z6 \
	VMOVAPS Z1, Z7 \
	VMOVAPS Z0, Z8 \
	VMOVAPS Z1, Z9 \
	VMOVAPS Z0, Z10 \
	VMOVAPS Z1, Z11 \
	VMOVAPS Z0, Z12 \
	VMOVAPS Z1, Z13 \
	VMOVAPS Z0, Z14 \
	VMOVAPS Z1, Z15 \
	VMOVAPS Z0, Z16 \
	VMOVAPS Z1, Z17 \
	VMOVAPS Z0, Z18 \
	VMOVAPS Z1, Z19 \
	VMOVAPS Z0, Z20 \
	VMOVAPS Z1, Z21 \
	VMOVAPS Z0, Z22 \
	VMOVAPS Z1, Z23

// The bias row (Z24, Z25) added to every row of the 12x32 tile.
#define BIAS12x32 \
	BIASROW(Z0, Z1) \
	BIASROW(Z2, Z3) \
	BIASROW(Z4, Z5) \
	BIASROW(Z6, Z7) \
	BIASROW(Z8, Z9) \
	BIASROW(Z10, Z11) \
	BIASROW(Z12, Z13) \
	BIASROW(Z14, Z15) \
	BIASROW(Z16, Z17) \
	BIASROW(Z18, Z19) \
	BIASROW(Z20, Z21) \
	BIASROW(Z22, Z23)

// sgemm12x32SetTiles: the 12x32 set kernel over rt x np tiles (one tile
// for Sgemm12x32Set): tile (r, q)
// reads A from a[12*r*lda:], B from b[q*pstride:], its bias from
// bias[32*q:] and sets C at c[12*r*ldc+32*q:]. BX counts the panels left,
// R14 holds the panel of B; the row tile's A and C, the tile's C and bias
// pointers and the row tiles left live in the frame. AX walks the next
// 12 rows of A (the next row tile), one prefetched line per two steps
// (1% off 1x1 64->128 @64 and 3x3 64->64 @128 on two threads).
// With add set, the accumulators start from the tile of C instead (C +=
// the product: sgemm12x32 over the tiles).
// func sgemm12x32SetTiles(k int, a []float32, lda, rt int, b []float32, ldb, pstride, np int, bias []float32, c []float32, ldc int, add bool)
TEXT ·sgemm12x32SetTiles(SB), NOSPLIT, $40-153
	MOVQ  rt+40(FP), CX
	TESTQ CX, CX
	JEQ   doneST
	MOVQ  CX, rtleft-24(SP)
	MOVQ  a_base+8(FP), CX
	MOVQ  CX, arow-32(SP)
	MOVQ  c_base+120(FP), CX
	MOVQ  CX, crow-40(SP)

rowST:
	MOVQ  np+88(FP), BX
	MOVQ  b_base+48(FP), R14
	MOVQ  crow-40(SP), CX
	MOVQ  CX, curc-8(SP)
	MOVQ  bias_base+96(FP), CX
	MOVQ  CX, curbias-16(SP)
	MOVQ  lda+32(FP), CX
	IMULQ $48, CX                     // 12 rows in bytes
	MOVQ  arow-32(SP), AX
	ADDQ  CX, AX                      // AX: the next row tile's A, prefetched

panelST:
	MOVQ k+0(FP), K
	MOVQ arow-32(SP), ROW0
	MOVQ lda+32(FP), LDA
	SHLQ $2, LDA                      // lda in bytes
	LEAQ (LDA)(LDA*2), ROW9           // 3*lda bytes
	LEAQ (ROW0)(ROW9*1), ROW3         // row 3
	LEAQ (ROW3)(ROW9*1), ROW6         // row 6
	LEAQ (ROW6)(ROW9*1), ROW9         // row 9
	MOVQ R14, BPAN
	MOVQ ldb+72(FP), LDB
	SHLQ $2, LDB                      // ldb in bytes

	// Accumulators start at zero, or from C with add.
	MOVBQZX add+152(FP), CP
	TESTQ   CP, CP
	JNE     loadST
	ZERO12x32
	JMP     startST

loadST:
	MOVQ curc-8(SP), CP
	MOVQ ldc+144(FP), LDC
	SHLQ $2, LDC                      // ldc in bytes
	LOAD12x32

startST:
	CMPQ K, $2
	JLT  tailST

loopST:                               // two steps of k per iteration
	PREFETCHT0 (AX)
	ADDQ $64, AX
	STEP12x32
	STEP12x32
	SUBQ $2, K
	CMPQ K, $2
	JGE  loopST

tailST:
	TESTQ K, K
	JEQ   biasST
	STEP12x32                         // k was odd: one last step

biasST:
	MOVQ  bias_len+104(FP), CX
	TESTQ CX, CX
	JEQ   storeST                     // no bias
	MOVQ  curbias-16(SP), CX
	VMOVUPS (CX), Z24                 // bias[0:16]
	VMOVUPS 64(CX), Z25               // bias[16:32]
	BIAS12x32

storeST:
	MOVQ curc-8(SP), CP
	MOVQ ldc+144(FP), LDC
	SHLQ $2, LDC                      // ldc in bytes
	STORE12x32
	ADDQ $128, curc-8(SP)             // next panel: C and bias 32 floats on,
	ADDQ $128, curbias-16(SP)
	MOVQ pstride+80(FP), CX
	LEAQ (R14)(CX*4), R14             // B pstride floats on
	DECQ BX
	JNE  panelST

	MOVQ  lda+32(FP), CX              // next row tile: A and C 12 rows on
	IMULQ $48, CX
	ADDQ  CX, arow-32(SP)
	MOVQ  ldc+144(FP), CX
	IMULQ $48, CX
	ADDQ  CX, crow-40(SP)
	DECQ  rtleft-24(SP)
	JNE   rowST

doneST:
	VZEROUPPER
	RET

// sgemm12x32BiasBlocks: sgemm12x32's blocks (A in nb blocks of k steps,
// adv floats from the end of one to the start of the next) with the
// accumulators starting from a bias row on every row (zero when bias is
// empty) instead of from C, which is only written: a convolution tile set
// in one call, rounded as filling C with the bias and calling sgemm12x32.
// NB and ADV take CP's and LDC's registers until the tile is stored.
// func sgemm12x32BiasBlocks(k int, a []float32, lda int, b []float32, ldb int, bias []float32, c []float32, ldc int, nb, adv int)
TEXT ·sgemm12x32BiasBlocks(SB), NOSPLIT, $0-144
	// C is only written, at the end: bring its lines in now, while the
	// products run (the stores missed otherwise: 7x7 3->64 @512 took 8%
	// longer than filling C with the bias first).
	MOVQ c_base+96(FP), CP
	MOVQ ldc+120(FP), LDC
	SHLQ $2, LDC                      // ldc in bytes
	PREFETCHROWS6
	PREFETCHROWS6

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

	MOVQ  bias_len+80(FP), AX
	TESTQ AX, AX
	JEQ   zeroBB
	MOVQ  bias_base+72(FP), AX
	VMOVUPS (AX), Z0                  // bias[0:16]
	VMOVUPS 64(AX), Z1                // bias[16:32]
	COPYROW0
	JMP   startBB

zeroBB:
	ZERO12x32

startBB:
	MOVQ nb+128(FP), CP               // CP: blocks left
	MOVQ adv+136(FP), LDC             // LDC: adv in bytes
	SHLQ $2, LDC

blockBB:
	MOVQ k+0(FP), K                   // k steps per block
	CMPQ K, $2
	JLT  tailBB

loopBB:                               // two steps of k per iteration
	STEP12x32
	STEP12x32
	SUBQ $2, K
	CMPQ K, $2
	JGE  loopBB

tailBB:
	TESTQ K, K
	JEQ   nextBB
	STEP12x32                         // k was odd: one last step

nextBB:                               // move the rows of A to the next block
	ADDQ LDC, ROW0
	ADDQ LDC, ROW3
	ADDQ LDC, ROW6
	ADDQ LDC, ROW9
	DECQ CP
	JNE  blockBB

	MOVQ c_base+96(FP), CP
	MOVQ ldc+120(FP), LDC
	SHLQ $2, LDC                      // ldc in bytes
	STORE12x32
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// AVX-512 4x32 micro-kernel that sets C: sgemm12x32Set for 4 rows, the
// tail of a product whose rows are not a multiple of 12. Accumulators
// Z0..Z7 (row i in Z(2i), Z(2i+1)); B row in Z24, Z25; broadcasts of A in
// Z26..Z29. Rows of A: (ROW0), (ROW0)(LDA*1), (ROW0)(LDA*2), (ROW3).
// ---------------------------------------------------------------------------

#define STEP4x32 \
	VMOVUPS (BPAN), Z24                      \ // B[p, 0:16]
	VMOVUPS 64(BPAN), Z25                    \ // B[p, 16:32]
	BC2((ROW0), Z26, Z0, Z1)               \ // row 0
	BC2((ROW0)(LDA*1), Z27, Z2, Z3)        \ // row 1
	BC2((ROW0)(LDA*2), Z28, Z4, Z5)        \ // row 2
	BC2((ROW3), Z29, Z6, Z7)               \ // row 3
	ADDQ $4, ROW0                          \ // next column of A
	ADDQ $4, ROW3                          \
	ADDQ LDB, BPAN                             // next row of B

// func sgemm4x32Set(k int, a []float32, lda int, b []float32, ldb int, bias []float32, c []float32, ldc int)
TEXT ·sgemm4x32Set(SB), NOSPLIT, $0-128
	MOVQ k+0(FP), K
	MOVQ a_base+8(FP), ROW0
	MOVQ lda+32(FP), LDA
	SHLQ $2, LDA                      // lda in bytes
	LEAQ (LDA)(LDA*2), AX             // AX = 3*lda bytes
	LEAQ (ROW0)(AX*1), ROW3           // row 3
	MOVQ b_base+40(FP), BPAN
	MOVQ ldb+64(FP), LDB
	SHLQ $2, LDB                      // ldb in bytes

	// Accumulators start at zero.
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

	CMPQ K, $4
	JLT  tail4Set

loop4Set:                             // four steps of k per iteration
	STEP4x32
	STEP4x32
	STEP4x32
	STEP4x32
	SUBQ $4, K
	CMPQ K, $4
	JGE  loop4Set

tail4Set:                             // the last k%4 steps
	TESTQ K, K
	JEQ   bias4Set
	STEP4x32
	DECQ  K
	JMP   tail4Set

bias4Set:
	MOVQ bias_len+80(FP), AX
	TESTQ AX, AX
	JEQ  store4Set                    // no bias
	MOVQ bias_base+72(FP), AX
	VMOVUPS (AX), Z24                 // bias[0:16]
	VMOVUPS 64(AX), Z25               // bias[16:32]
	BIASROW(Z0, Z1)
	BIASROW(Z2, Z3)
	BIASROW(Z4, Z5)
	BIASROW(Z6, Z7)

store4Set:
	MOVQ c_base+96(FP), CP
	MOVQ ldc+120(FP), LDC
	SHLQ $2, LDC                      // ldc in bytes
	STOREROW32(Z0, Z1)
	STOREROW32(Z2, Z3)
	STOREROW32(Z4, Z5)
	STOREROW32(Z6, Z7)
	VZEROUPPER
	RET
