//go:build gc && !purego

package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// TestSgemm12x32Set checks Sgemm12x32Set bit for bit against clearing C,
// Sgemm12x32 and adding the bias in Go, over k around the unroll (0-3, odd,
// even, long), lda and ldb with padding, ldc > 32, with and without bias:
// C starts as NaN (it must not be read), and the cells between and after
// the tile's rows stay NaN.
func TestSgemm12x32Set(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX512F) {
		t.Skip("no AVX-512F")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	nan := float32(math.NaN())
	for _, k := range []int{0, 1, 2, 3, 7, 16, 17, 64, 255} {
		for _, withBias := range []bool{false, true} {
			lda, ldb, ldc := k+3, 32+5, 32+7
			a := make([]float32, 11*lda+k+1)
			b := make([]float32, max(0, k-1)*ldb+32)
			for i := range a {
				a[i] = rng.Float32()*2 - 1
			}
			for i := range b {
				b[i] = rng.Float32()*2 - 1
			}
			var bias []float32
			if withBias {
				bias = make([]float32, 32)
				for i := range bias {
					bias[i] = rng.Float32()*2 - 1
				}
			}
			want := make([]float32, 12*ldc)
			for i := range want {
				want[i] = nan
			}
			for i := 0; i < 12; i++ {
				clear(want[i*ldc : i*ldc+32])
			}
			if k > 0 {
				Sgemm12x32(k, a, lda, b, ldb, want, ldc)
			}
			for i := 0; i < 12 && withBias; i++ {
				for j := 0; j < 32; j++ {
					want[i*ldc+j] += bias[j]
				}
			}
			got := make([]float32, 12*ldc)
			for i := range got {
				got[i] = nan
			}
			Sgemm12x32Set(k, a, lda, b, ldb, bias, got[:11*ldc+32], ldc)
			name := fmt.Sprintf("k=%d bias=%v", k, withBias)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s: c[%d] = %v, want %v", name, i, got[i], want[i])
				}
			}
		}
	}
	mustPanic(t, "short bias", func() {
		Sgemm12x32Set(1, make([]float32, 12), 1, make([]float32, 32), 32, make([]float32, 31), make([]float32, 12*32), 32)
	})
}
