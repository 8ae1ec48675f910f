//go:build !gc || purego || !amd64

package kernels

// winoSIMD and winoSIMD2 are nil: without assembly transforms (arm64,
// purego) the SIMD convolutions keep the direct path.
var winoSIMD, winoSIMD2, winoAVX512, winoAVX512x2 *winoTransforms

func winoFor(s *simdImpl, m int) *winoTransforms { return nil }
