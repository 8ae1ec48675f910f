//go:build gc && !purego

package asm

import (
	"math"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// TestWinoDy2x2 checks WinoDy2x2AVX2 against its loop in float64 for channel
// counts 0-40 (multiples of 8), strides with gaps, NaN guards around dst
// and no write past the elements.
func TestWinoDy2x2(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX2) {
		t.Skip("no AVX2")
	}
	ah := [4][2]float64{{1, 0}, {1, 1}, {1, -1}, {0, 1}}
	for _, n := range []int{0, 8, 16, 24, 40} {
		sb, sa := n+3, 5*n+7
		ds := n + 5
		src := make([]float32, sa+sb+n)
		for i := range src {
			src[i] = float32(math.Sin(float64(i)*0.7) * 3)
		}
		const guard = 8
		dst := make([]float32, guard+15*ds+n+guard)
		for i := range dst {
			dst[i] = float32(math.NaN())
		}
		WinoDy2x2AVX2(dst[guard:guard+15*ds+n], ds, src, sa, sb, n)
		for i := 0; i < 4; i++ {
			for j := 0; j < 4; j++ {
				for c := 0; c < n; c++ {
					var want float64
					for a := 0; a < 2; a++ {
						for b := 0; b < 2; b++ {
							want += ah[i][a] * float64(src[a*sa+b*sb+c]) * ah[j][b]
						}
					}
					got := dst[guard+(i*4+j)*ds+c]
					if math.Abs(float64(got)-want) > 1e-6*(1+math.Abs(want)) {
						t.Fatalf("n=%d element (%d,%d) c=%d: %v, want %v", n, i, j, c, got, want)
					}
				}
			}
		}
		for e := 0; e < 15; e++ { // the gaps between elements stay NaN
			for c := n; c < ds; c++ {
				if v := dst[guard+e*ds+c]; !math.IsNaN(float64(v)) {
					t.Fatalf("n=%d: wrote %v into the gap after element %d", n, v, e)
				}
			}
		}
		for i := 0; i < guard; i++ {
			if !math.IsNaN(float64(dst[i])) || !math.IsNaN(float64(dst[len(dst)-1-i])) {
				t.Fatalf("n=%d: guard cell written", n)
			}
		}
	}
}
