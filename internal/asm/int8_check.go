package asm

import (
	"fmt"
	"math/bits"
)

// The int8 kernels of both architectures come from one generator; these
// lines sit in a file of every build so that go generate on either host
// rewrites both.
//go:generate sh -c "cd _asm && go run ./int8 > ../int8_amd64.s"
//go:generate sh -c "cd _asm && go run ./int8 -arch arm64 > ../int8_arm64.s"

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

// kernel4x16 is an assembly tile of 4 output positions x 16 channels that
// stores 16 bytes a row (NEON and AVX2 have no masked byte store); b steps
// bstride bytes per quad of the reduction.
type kernel4x16 func(a []uint8, lda, rowStride, rows, kp int, b []int8, bstride int, comp []int32, mul, add []float32, res []uint8, ldr int, c []uint8, ldc int, rmul float32, rzero int32, floor float32)

// conv4x16 runs an mr x nr tile (arguments checked) as 4 x 16 tiles of k,
// the channels outside mask through a buffer (allocated: it is passed to a
// function value; kernels' Int8Conv2D gives whole tiles only).
func conv4x16(k kernel4x16, mr, nr int, a []uint8, lda, rowStride, rows, kp int, b []int8, comp []int32, mul, add []float32, res []uint8, ldr int, c []uint8, ldc int, rmul float32, rzero int32, floor float32, mask uint32) {
	for h := 0; h < nr/16; h++ {
		m := mask >> (16 * h) & 0xffff
		if m == 0 {
			continue
		}
		for g := 0; g < mr/4; g++ {
			var rs []uint8
			if res != nil {
				rs = res[g*4*ldr+16*h:]
			}
			ag := a[min(g*4*lda, len(a)):]
			if kp == 0 {
				ag = nil
			}
			if m == 0xffff {
				k(ag, lda, rowStride, rows, kp, b[16*4*h:], 4*nr, comp[16*h:], mul[16*h:], add[16*h:], rs, ldr, c[g*4*ldc+16*h:], ldc, rmul, rzero, floor)
				continue
			}
			buf := make([]uint8, 4*16)
			k(ag, lda, rowStride, rows, kp, b[16*4*h:], 4*nr, comp[16*h:], mul[16*h:], add[16*h:], rs, ldr, buf, 16, rmul, rzero, floor)
			for i := 0; i < 4; i++ {
				for j := 0; j < 16; j++ {
					if m>>j&1 == 1 {
						c[(g*4+i)*ldc+16*h+j] = buf[16*i+j]
					}
				}
			}
		}
	}
}
