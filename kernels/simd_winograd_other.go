//go:build !gc || purego || !amd64

package kernels

// winoSIMD is nil: without assembly transforms (arm64, purego) the SIMD
// convolutions keep the direct path.
var winoSIMD *winoTransforms
