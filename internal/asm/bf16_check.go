package asm

import (
	"fmt"
	"math/bits"
)

// checkBF16Conv panics, naming the kernel, unless the arguments hold an
// mr x nr call of ConvBF16AVX512BF16's contract (ConvBF16NEONBF16 shares it); it
// returns false when kp == 0 (no A or B read).
func checkBF16Conv(name string, mr, nr int, a []uint16, lda, rowStride, rows, kp int, b []uint16, bias []float32, res []uint16, ldr int, c []uint16, ldc int, mask uint32) bool {
	switch {
	case nr != 32 && nr != 16 || mr != 12 && mr != 8 && mr != 4 || bits.Len32(mask) > nr:
		panic(fmt.Sprintf("asm: %s: tile %dx%d, mask %#x", name, mr, nr, mask))
	case rows < 1 || kp < 0 || lda < 0 || rowStride < 0:
		panic(fmt.Sprintf("asm: %s: rows=%d kp=%d lda=%d rowStride=%d", name, rows, kp, lda, rowStride))
	case kp > 0 && len(a) < (mr-1)*lda+(rows-1)*rowStride+2*kp:
		panic(fmt.Sprintf("asm: %s: len(a)=%d < %d", name, len(a), (mr-1)*lda+(rows-1)*rowStride+2*kp))
	case len(b) < rows*kp*2*nr:
		panic(fmt.Sprintf("asm: %s: len(b)=%d < %d", name, len(b), rows*kp*2*nr))
	case len(bias) < nr:
		panic(fmt.Sprintf("asm: %s: len(bias)=%d < %d", name, len(bias), nr))
	case ldc < bits.Len32(mask) || len(c) < (mr-1)*ldc+bits.Len32(mask):
		panic(fmt.Sprintf("asm: %s: ldc=%d, len(c)=%d, mask %#x", name, ldc, len(c), mask))
	case res != nil && (ldr < 1 || len(res) < (mr-1)*ldr+nr):
		panic(fmt.Sprintf("asm: %s: ldr=%d, len(res)=%d", name, ldr, len(res)))
	}
	return kp > 0
}
