package asm

import (
	"fmt"
	"math/bits"
)

// checkConvU8S8 panics unless the arguments hold an mr x nr call; it
// returns false when kp == 0 (no A or B read).
func checkConvU8S8(name string, mr, nr int, a []uint8, lda, rowStride, rows, kp int, b []int8, comp []int32, mul, add []float32, res []uint8, ldr int, c []uint8, ldc int, mask uint32) bool {
	switch {
	case rows < 1 || kp < 0 || lda < 0 || rowStride < 0:
		panic(fmt.Sprintf("asm: %s: rows=%d kp=%d lda=%d rowStride=%d", name, rows, kp, lda, rowStride))
	case kp > 0 && len(a) < (mr-1)*lda+(rows-1)*rowStride+4*kp:
		panic(fmt.Sprintf("asm: %s: len(a)=%d < %d", name, len(a), (mr-1)*lda+(rows-1)*rowStride+4*kp))
	case len(b) < rows*kp*4*nr:
		panic(fmt.Sprintf("asm: %s: len(b)=%d < %d", name, len(b), rows*kp*4*nr))
	case len(comp) < nr || len(mul) < nr || len(add) < nr:
		panic(fmt.Sprintf("asm: %s: len(comp)=%d, len(mul)=%d, len(add)=%d < %d", name, len(comp), len(mul), len(add), nr))
	case ldc < bits.Len32(mask) || len(c) < (mr-1)*ldc+bits.Len32(mask):
		panic(fmt.Sprintf("asm: %s: ldc=%d, len(c)=%d, mask %#x", name, ldc, len(c), mask))
	case res != nil && (ldr < 1 || len(res) < (mr-1)*ldr+nr):
		panic(fmt.Sprintf("asm: %s: ldr=%d, len(res)=%d", name, ldr, len(res)))
	}
	return kp > 0
}
