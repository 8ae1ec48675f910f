//go:build !gc || purego || !amd64

package kernels

// winoDyFor returns nil: this build has no assembly dy transform (winoDyN
// does all of them).
func winoDyFor(s *simdImpl) func(dst []float32, ds int, src []float32, sa, sb, n int) {
	return nil
}
