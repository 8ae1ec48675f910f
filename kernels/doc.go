// Package kernels holds lungo's compute kernels: raw float32 slices in,
// float32 slices out, no allocation of tensors and no autograd.
//
// Layouts: 4-D activations are channels-last, NHWC [N, H, W, C];
// convolution weights keep PyTorch's OIHW [K, C, R, S] and transposed
// convolution weights PyTorch's [Cin, Cout, R, S]. Matrices are row-major.
//
// Every family has an API file (conv.go, pooling.go, batchnorm.go, ...) with
// the exported function, its argument checks and documentation, and a
// <family>_generic.go with the pure-Go reference, always compiled. Faster
// implementations (SIMD) register themselves in an impl (registry.go) and
// are chosen at run time (Select, Use, or the LUNGO_KERNELS environment
// variable); a nil entry or a declined shape falls back to the reference.
//
// Destinations come first and are caller-owned. Unless a doc comment says
// "accumulates", destinations are overwritten; they must not overlap the
// sources unless the doc comment says they may alias. Slice lengths must match the
// shapes exactly; a mismatch is a programmer error and panics with a
// *tensor.ShapeError whose message starts with "kernels: ".
//
// Kernels split their work over a persistent worker pool (Parallel,
// Threads, SetThreads). Long reductions (Sum, Dot, SumRows, batch-norm
// statistics, convolution weight gradients) accumulate in float64.
//
// # Winograd convolution
//
// On amd64 the SIMD implementations run 3x3 convolutions with stride 1,
// dilation 1 and padding at most 2 (forward, and the stride-1
// backward-data, a convolution of dy with the flipped weights) as Winograd
// convolutions (winograd.go: AVX2 or AVX-512 tile transforms vectorised
// over channels, the products [tiles, C] x [C, K] through the GEMM
// micro-kernels). The default chooses per shape: F(2x2,3x3) (2.25x fewer
// multiplications, RMS error against the float64 sum no larger than the
// direct path's) from C, K >= 32 and 256 output positions; F(4x4,3x3) (4x
// fewer, 4-8x the direct path's RMS error, max error about 3e-5 of the
// RMS output) for 16 to 31 channels and 512 positions, where F(2x2) gains
// nothing. F(4x4) everywhere (SetWinogradTile(4), LUNGO_WINOGRAD=4) misses
// the U-Net's PyTorch gradient goldens at 1e-4; the default passes them.
// SetWinograd(false) or LUNGO_WINOGRAD=0 keeps every convolution on the
// direct path; arm64 and purego builds always run it. The rule and its
// measurements are at winoWorth (simd_winograd.go), the errors in
// TestWinogradError.
package kernels
