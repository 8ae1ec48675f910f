//go:build !gc || purego || !(amd64 || arm64)

package kernels

// fillStream does nothing: this build has no SIMD batch-norm or
// elementwise kernels.
func fillStream(im *impl) {}

// sumRowsFor returns sumRowsGeneric: this build has no SIMD column sums.
func sumRowsFor(name string) func(out, x []float32, m, c int) { return sumRowsGeneric }
