//go:build !gc || purego || !amd64

package kernels

// winoDyAsm is nil: this build has no assembly dy transform (winoDyN
// does all of them).
var winoDyAsm func(dst []float32, ds int, src []float32, sa, sb, n int)
