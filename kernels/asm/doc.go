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
// FMALoop is the FMA peak probe: independent FMA chains that nothing but the
// FMA units limits.
package asm
