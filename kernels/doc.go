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
// implementations (SIMD) register themselves in an Impl (registry.go) and
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
package kernels
