//go:build !gc || purego || !(amd64 || arm64)

package kernels

// adamSIMD returns nil: this build has no Adam kernel.
func adamSIMD(name string) func(w, g, m, v, vmax []float32, p AdamParams) { return nil }
