//go:build gc && !purego

package kernels

import "github.com/lungo-ml/lungo/internal/asm"

// Every amd64 SIMD implementation requires AVX2, so packBBlock may use
// the AVX row copy.
func init() { packRow32 = asm.PackRow32AVX }
