//go:build gc && !purego

package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// TestSgemm12x32Set checks Sgemm12x32Set and Sgemm4x32Set bit for bit
// against clearing C, Sgemm12x32 and adding the bias in Go (for
// Sgemm4x32Set, the first 4 rows), over k around the unrolls (0-5, odd,
// even, long), lda and ldb with padding, ldc > 32, with and without bias,
// A and C exactly as long as the kernel needs: C starts as NaN (it must
// not be read), and the cells between and after the tile's rows stay NaN.
func TestSgemm12x32Set(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX512F) {
		t.Skip("no AVX-512F")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	nan := float32(math.NaN())
	kernels := []struct {
		name string
		rows int
		fn   func(k int, a []float32, lda int, b []float32, ldb int, bias, c []float32, ldc int)
	}{{"Sgemm12x32Set", 12, Sgemm12x32Set}, {"Sgemm4x32Set", 4, Sgemm4x32Set}}
	for _, kn := range kernels {
		for _, k := range []int{0, 1, 2, 3, 4, 5, 7, 16, 17, 64, 255} {
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
				for i := kn.rows * ldc; i < len(want); i++ {
					want[i] = nan // rows past the kernel's
				}
				got := make([]float32, 12*ldc)
				for i := range got {
					got[i] = nan
				}
				la := 0
				if k > 0 {
					la = (kn.rows-1)*lda + k
				}
				kn.fn(k, a[:la], lda, b, ldb, bias, got[:(kn.rows-1)*ldc+32], ldc)
				name := fmt.Sprintf("%s k=%d bias=%v", kn.name, k, withBias)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s: c[%d] = %v, want %v", name, i, got[i], want[i])
					}
				}
			}
		}
	}
	mustPanic(t, "short bias", func() {
		Sgemm12x32Set(1, make([]float32, 12), 1, make([]float32, 32), 32, make([]float32, 31), make([]float32, 12*32), 32)
	})
	mustPanic(t, "4x32 short bias", func() {
		Sgemm4x32Set(1, make([]float32, 4), 1, make([]float32, 32), 32, make([]float32, 31), make([]float32, 4*32), 32)
	})
	mustPanic(t, "4x32 short a", func() {
		Sgemm4x32Set(2, make([]float32, 3*4+1), 4, make([]float32, 64), 32, nil, make([]float32, 4*32), 32)
	})
	mustPanic(t, "4x32 short c", func() {
		Sgemm4x32Set(1, make([]float32, 4), 1, make([]float32, 32), 32, nil, make([]float32, 3*32+31), 32)
	})
}

// TestSgemm12x32SetPanels checks Sgemm12x32SetPanels bit for bit against
// one Sgemm12x32Set call per panel, over k around the unrolls, 1 to 5
// panels (B panels pstride apart with a gap), with and without bias, into
// C that starts as NaN and whose cells outside the tiles must stay so,
// all slices exactly as long as the kernel needs.
func TestSgemm12x32SetPanels(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX512F) {
		t.Skip("no AVX-512F")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	nan := float32(math.NaN())
	for _, k := range []int{0, 1, 2, 3, 16, 17, 64} {
		for np := 1; np <= 5; np++ {
			for _, withBias := range []bool{false, true} {
				lda, ldb := k+3, 32
				pstride := max(0, k-1)*ldb + 32 + 8
				ldc := 32*np + 5
				a := make([]float32, 11*lda+k)
				b := make([]float32, (np-1)*pstride+max(0, k-1)*ldb+32)
				for i := range a {
					a[i] = rng.Float32()*2 - 1
				}
				for i := range b {
					b[i] = rng.Float32()*2 - 1
				}
				var bias []float32
				if withBias {
					bias = make([]float32, 32*np)
					for i := range bias {
						bias[i] = rng.Float32()*2 - 1
					}
				}
				got, want := make([]float32, 11*ldc+32*np), make([]float32, 11*ldc+32*np)
				for i := range got {
					got[i], want[i] = nan, nan
				}
				for q := 0; q < np; q++ {
					var bq []float32
					if withBias {
						bq = bias[32*q:]
					}
					Sgemm12x32Set(k, a, lda, b[q*pstride:], ldb, bq, want[32*q:], ldc)
				}
				Sgemm12x32SetPanels(k, a, lda, b, ldb, pstride, np, bias, got, ldc)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("k=%d np=%d bias=%v: c[%d] = %v, want %v", k, np, withBias, i, got[i], want[i])
					}
				}
			}
		}
	}
	mustPanic(t, "short bias", func() {
		Sgemm12x32SetPanels(1, make([]float32, 12), 1, make([]float32, 64), 32, 32, 2, make([]float32, 32), make([]float32, 11*64+64), 64)
	})
	mustPanic(t, "short C", func() {
		Sgemm12x32SetPanels(1, make([]float32, 12), 1, make([]float32, 64), 32, 32, 2, nil, make([]float32, 11*64+63), 64)
	})
	mustPanic(t, "short B", func() {
		Sgemm12x32SetPanels(1, make([]float32, 12), 1, make([]float32, 63), 32, 32, 2, nil, make([]float32, 11*64+64), 64)
	})
}
