//go:build !gc || purego || !(amd64 || arm64)

package kernels

// fillStream does nothing: this build has no SIMD batch-norm or
// elementwise kernels.
func fillStream(im *Impl) {}
