//go:build gc && !purego

package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// TestTranspose8 checks Transpose8AVX against the loop it documents over q
// (0, one block, several), padded strides and slice offsets, with NaN
// guards around and between dst's rows, which must stay untouched.
func TestTranspose8(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX) {
		t.Skip("no AVX")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	nan := float32(math.NaN())
	for _, q := range []int{0, 8, 16, 72, 80} {
		for _, lds := range []int{q, q + 3, 4609} {
			for _, ldd := range []int{8, 13, 64} {
				for _, off := range []int{0, 1, 5} {
					src := make([]float32, off+7*lds+q)
					for i := range src {
						src[i] = rng.Float32()
					}
					n := 0
					if q > 0 {
						n = (q-1)*ldd + 8
					}
					dst := make([]float32, off+n+16)
					for i := range dst {
						dst[i] = nan
					}
					want := make([]float32, len(dst))
					copy(want, dst)
					for r := 0; r < 8; r++ {
						for i := 0; i < q; i++ {
							want[off+i*ldd+r] = src[off+r*lds+i]
						}
					}
					Transpose8AVX(dst[off:off+n], ldd, src[off:], lds, q)
					name := fmt.Sprintf("q=%d lds=%d ldd=%d off=%d", q, lds, ldd, off)
					for i := range dst {
						if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s: dst[%d] = %v, want %v", name, i, dst[i], want[i])
						}
					}
				}
			}
		}
	}
	for name, f := range map[string]func(){
		"q not a multiple of 8": func() { Transpose8AVX(make([]float32, 64), 8, make([]float32, 64), 8, 4) },
		"ldd < 8":               func() { Transpose8AVX(make([]float32, 64), 7, make([]float32, 64), 8, 8) },
		"short src":             func() { Transpose8AVX(make([]float32, 64), 8, make([]float32, 63), 8, 8) },
		"short dst":             func() { Transpose8AVX(make([]float32, 63), 8, make([]float32, 64), 8, 8) },
	} {
		mustPanic(t, name, f)
	}
}

// TestTranspose16 checks Transpose16AVX512 against the loop it documents
// over q (0, one block, several), padded strides, slice offsets and two
// separate sources, with NaN guards around and between dst's rows, which
// must stay untouched.
func TestTranspose16(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX512F) {
		t.Skip("no AVX-512F")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	nan := float32(math.NaN())
	for _, q := range []int{0, 8, 16, 40, 80} {
		for _, lds := range []int{q, q + 3, 4609} {
			for _, ldd := range []int{16, 21, 288} {
				for _, off := range []int{0, 1, 5} {
					src0, src1 := make([]float32, off+7*lds+q), make([]float32, off+7*lds+q)
					for i := range src0 {
						src0[i], src1[i] = rng.Float32(), rng.Float32()
					}
					n := 0
					if q > 0 {
						n = (q-1)*ldd + 16
					}
					dst := make([]float32, off+n+16)
					for i := range dst {
						dst[i] = nan
					}
					want := make([]float32, len(dst))
					copy(want, dst)
					for r := 0; r < 8; r++ {
						for i := 0; i < q; i++ {
							want[off+i*ldd+r] = src0[off+r*lds+i]
							want[off+i*ldd+8+r] = src1[off+r*lds+i]
						}
					}
					Transpose16AVX512(dst[off:off+n], ldd, src0[off:], src1[off:], lds, q)
					name := fmt.Sprintf("q=%d lds=%d ldd=%d off=%d", q, lds, ldd, off)
					for i := range dst {
						if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s: dst[%d] = %v, want %v", name, i, dst[i], want[i])
						}
					}
				}
			}
		}
	}
	for name, f := range map[string]func(){
		"q not a multiple of 8": func() { Transpose16AVX512(make([]float32, 64), 16, make([]float32, 64), make([]float32, 64), 8, 4) },
		"ldd < 16":              func() { Transpose16AVX512(make([]float32, 256), 15, make([]float32, 64), make([]float32, 64), 8, 8) },
		"short src1":            func() { Transpose16AVX512(make([]float32, 256), 16, make([]float32, 64), make([]float32, 63), 8, 8) },
		"short dst": func() {
			Transpose16AVX512(make([]float32, 7*16+15), 16, make([]float32, 64), make([]float32, 64), 8, 8)
		},
	} {
		mustPanic(t, name, f)
	}
}
