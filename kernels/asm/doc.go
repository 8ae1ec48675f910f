// Package asm holds lungo's assembly micro-kernels and their Go stubs, and
// nothing else: blocking, packing, tails and threads live in package
// kernels, which calls these kernels one register tile at a time.
//
// Every kernel has a Go declaration whose doc comment is its exact Go loop
// and its preconditions. The exported wrappers check the preconditions that
// protect memory (slice lengths, strides) and panic with an "asm: " message
// when they fail; they do not check CPU features: the caller (the kernels
// registry, through klauspost/cpuid) must only call a kernel the CPU has.
//
// Builds with the purego tag, and builds by other compilers, compile no
// assembly; the Has* constants then report false.
//
// GEMM micro-kernels compute one MR x NR tile of C (row-major, row stride
// ldc) += A x B, where A is MR rows of k floats (row-major, row stride lda:
// either a packed block or the caller's matrix itself) and B is a packed
// k x NR panel (k-major: NR consecutive floats per step of k). The
// accumulators start from C, so a kernel adds its k products, in order
// p = 0..k-1, onto the values already in C.
//
//   - avx2 (amd64, AVX2+FMA): 6 x 16, 12 ymm accumulators.
//   - avx512 (amd64, AVX-512F): 12 x 32, 24 zmm accumulators.
//   - neon (arm64, ASIMD): 8 x 12, 24 q-register accumulators.
//
// The *Blocks variants read A in nb blocks of kb columns, ab floats apart:
// the kernel rows of a convolution in one call. The set kernels start from
// zero instead of C (C is never read) and round as clearing C first would:
// Sgemm12x32Set (plus a bias row), Sgemm4x32Set (its last 4 rows),
// Sgemm12x32BiasBlocks (Sgemm12x32Blocks starting from a bias row), and the
// tile loops Sgemm12x32SetTiles and Sgemm6x16SetTiles, which set rt x np
// tiles in one call (row tiles mr rows of A and C apart, panels of B
// pstride apart): a Winograd product with k = 16 spent as long in Go
// between per-tile calls as in them. Sgemm12x32Tiles is the same loop adding
// to C (a product's later reduction blocks).
//
// PackRow32 (pack_amd64.s, amd64, AVX) scatters 32-float runs of one row of
// B into the 32-wide panels the GEMM driver packs.
//
// FMALoop is the FMA peak probe: independent FMA chains that nothing but the
// FMA units limits.
//
// Adam (adam_amd64.s, adam_arm64.s): AdamAVX2 (amd64, 8 lanes, VSQRTPS and
// VDIVPS) and AdamNEON (arm64, 4 lanes, FSQRT and FDIV) apply one
// Adam/AdamW update, with AMSGrad's running maximum, to a flat slice. They
// fuse no multiply-add: every product is rounded before its sum, so both
// give the Go loop of their doc comments bit for bit (max(-0, +0) = +0
// included). Memory-bound, so no AVX-512 version.
//
// Max-pool (pool_amd64.s, amd64 only): MaxPoolCells (AVX2, 8 channels a
// step) gives the maximum and the argmax of one output pixel of a
// channels-last max-pool over its window's cells, with PyTorch's rules
// (the first maximum and the last NaN win); MaxPoolSpan does the same for
// a run of pixels whose windows move a fixed stride apart (a row's
// interior), 32 channels a step.
//
// Transpose8 (transpose_amd64.s, AVX) transposes 8-row blocks of floats.
//
// Winograd (winograd_amd64.s, amd64 only: arm64 keeps the direct
// convolution): the tile transforms of F(4x4,3x3) (WinoInput4x4,
// WinoOutput4x4 with the bias, WinoWeight4x4) and F(2x2,3x3) (the 2x2
// names), each tile element a vector of n contiguous channels, with
// AVX2+FMA 8 channels a step and, as *AVX512, AVX-512F 16 a step. They use
// FMAs and their own order of operations, so they equal the plain matrix
// products of their doc comments up to float32 rounding, not bit for bit.
// WinoDy2x2 (winograd_weights_amd64.s, AVX2) is the transform of 2x2
// blocks of output gradients for F(2x2,3x3) backward-weights.
//
// Batch-norm row kernels (bn_*.s) walk a block of rows of a channels-last
// [M, C] matrix over its first multiple-of-width channels; the float64
// column sums (ColSum64*, ColSqDev64*, ColGradSums64*) add the rows in
// order, as the generic Go does. Flat kernels (elementwise_*.s: Relu*,
// ReluBackward*, Add*) stream one slice. Both are memory-bound: AVX2 only
// on amd64 (8 lanes), NEON on arm64 (4 lanes).
package asm
