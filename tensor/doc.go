// Package tensor holds lungo's float32 N-dimensional tensors: a shape and a
// contiguous, row-major data slice, plus the pieces every other package needs
// around them: constructors, a deterministic seeded RNG, PyTorch's default
// initialisations, printing and comparison within a tolerance.
//
// # Layout
//
// A Tensor is just a shape and row-major data; it does not know whether its
// four dimensions are NCHW or NHWC. By convention lungo's public API, state
// dicts and files use PyTorch's layouts (activations [N, C, H, W], convolution
// weights [O, I, KH, KW]), while the compute inside nn and kernels keeps 4-D
// activations channels-last ([N, H, W, C]) so that SIMD kernels vectorise over
// channels without reordering on every call. NCHWToNHWC and NHWCToNCHW convert
// at the edges, once.
//
// # Errors
//
// Programmer errors (mismatched shapes, bad indices) panic with a *ShapeError
// whose message starts with "tensor: ".
package tensor
