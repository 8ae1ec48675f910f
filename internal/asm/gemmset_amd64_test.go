//go:build gc && !purego

package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// TestSgemm12x32Set checks Sgemm12x32AVX512Set and Sgemm4x32AVX512Set bit for bit
// against clearing C, Sgemm12x32AVX512 and adding the bias in Go (for
// Sgemm4x32AVX512Set, the first 4 rows), over k around the unrolls (0-5, odd,
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
	}{{"Sgemm12x32AVX512Set", 12, Sgemm12x32AVX512Set}, {"Sgemm4x32AVX512Set", 4, Sgemm4x32AVX512Set}}
	for _, kn := range kernels {
		for _, k := range []int{0, 1, 2, 3, 4, 5, 7, 16, 17, 64, 255} {
			for _, withBias := range []bool{false, true} {
				lda, ldb, ldc := k+3, 32+5, 32+7
				a, b := uniform(rng, 11*lda+k+1), uniform(rng, max(0, k-1)*ldb+32)
				var bias []float32
				if withBias {
					bias = uniform(rng, 32)
				}
				want := make([]float32, 12*ldc)
				for i := range want {
					want[i] = nan
				}
				for i := 0; i < 12; i++ {
					clear(want[i*ldc : i*ldc+32])
				}
				if k > 0 {
					Sgemm12x32AVX512(k, a, lda, b, ldb, want, ldc)
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
		Sgemm12x32AVX512Set(1, make([]float32, 12), 1, make([]float32, 32), 32, make([]float32, 31), make([]float32, 12*32), 32)
	})
	mustPanic(t, "4x32 short bias", func() {
		Sgemm4x32AVX512Set(1, make([]float32, 4), 1, make([]float32, 32), 32, make([]float32, 31), make([]float32, 4*32), 32)
	})
	mustPanic(t, "4x32 short a", func() {
		Sgemm4x32AVX512Set(2, make([]float32, 3*4+1), 4, make([]float32, 64), 32, nil, make([]float32, 4*32), 32)
	})
	mustPanic(t, "4x32 short c", func() {
		Sgemm4x32AVX512Set(1, make([]float32, 4), 1, make([]float32, 32), 32, nil, make([]float32, 3*32+31), 32)
	})
}

// TestSgemmSetTiles checks Sgemm12x32AVX512SetTiles and Sgemm6x16AVX2SetTiles bit for
// bit against one call per tile of Sgemm12x32AVX512Set (bias or not) and of
// clearing the tile and Sgemm6x16AVX2, over k around the unrolls, 0 to 3 row
// tiles and 1 to 4 panels (B panels pstride apart with a gap, A rows and
// C rows padded), into C that starts as NaN and whose cells outside the
// tiles must stay so, all slices exactly as long as the kernels need.
func TestSgemmSetTiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	nan := float32(math.NaN())
	type tiles func(k int, a []float32, lda, rt int, b []float32, ldb, pstride, np int, bias, c []float32, ldc int)
	kernels := []struct {
		name   string
		mr, nr int
		ok     bool
		fn     tiles
		one    func(k int, a []float32, lda int, b []float32, ldb int, bias, c []float32, ldc int)
	}{
		{"Sgemm12x32AVX512SetTiles", 12, 32, cpuid.CPU.Supports(cpuid.AVX512F), Sgemm12x32AVX512SetTiles, Sgemm12x32AVX512Set},
		{"Sgemm4x32AVX512SetTiles", 4, 32, cpuid.CPU.Supports(cpuid.AVX512F),
			func(k int, a []float32, lda, rt int, b []float32, ldb, pstride, np int, bias, c []float32, ldc int) {
				Sgemm4x32AVX512SetTiles(k, a, lda, rt, b, ldb, pstride, np, bias, c, ldc, false)
			}, Sgemm4x32AVX512Set},
		{"Sgemm6x16AVX2SetTiles", 6, 16, cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3),
			func(k int, a []float32, lda, rt int, b []float32, ldb, pstride, np int, _, c []float32, ldc int) {
				Sgemm6x16AVX2SetTiles(k, a, lda, rt, b, ldb, pstride, np, c, ldc)
			},
			func(k int, a []float32, lda int, b []float32, ldb int, _, c []float32, ldc int) {
				for i := 0; i < 6; i++ {
					clear(c[i*ldc : i*ldc+16])
				}
				Sgemm6x16AVX2(k, a, lda, b, ldb, c, ldc)
			}},
	}
	for _, kn := range kernels {
		if !kn.ok {
			t.Logf("%s: CPU lacks the ISA", kn.name)
			continue
		}
		mr, nr := kn.mr, kn.nr
		for _, k := range []int{0, 1, 2, 3, 4, 5, 16, 17, 64} {
			for rt := 0; rt <= 3; rt++ {
				for np := 1; np <= 4; np++ {
					for _, withBias := range []bool{false, true} {
						if withBias && mr == 6 {
							continue
						}
						lda, ldb := k+3, nr
						pstride := max(0, k-1)*ldb + nr + 8
						ldc := nr*np + 5
						a, b := uniform(rng, max(0, mr*(rt-1)*lda+(mr-1)*lda+k)), uniform(rng, (np-1)*pstride+max(0, k-1)*ldb+nr)
						var bias []float32
						if withBias {
							bias = uniform(rng, nr*np)
						}
						nc := max(0, mr*(rt-1)*ldc+(mr-1)*ldc+nr*np)
						got, want := make([]float32, nc), make([]float32, nc)
						for i := range got {
							got[i], want[i] = nan, nan
						}
						for r := 0; r < rt; r++ {
							for q := 0; q < np; q++ {
								var bq []float32
								if withBias {
									bq = bias[nr*q:]
								}
								kn.one(k, a[mr*r*lda:], lda, b[q*pstride:], ldb, bq, want[mr*r*ldc+nr*q:], ldc)
							}
						}
						kn.fn(k, a, lda, rt, b, ldb, pstride, np, bias, got, ldc)
						for i := range got {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("%s k=%d rt=%d np=%d bias=%v: c[%d] = %v, want %v", kn.name, k, rt, np, withBias, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
		mustPanic(t, kn.name+" short C", func() {
			kn.fn(1, make([]float32, 2*mr), 1, 2, make([]float32, 2*nr), nr, nr, 2, nil, make([]float32, mr*2*nr+(mr-1)*2*nr+2*nr-1), 2*nr)
		})
		mustPanic(t, kn.name+" short A", func() {
			kn.fn(1, make([]float32, 2*mr-1), 1, 2, make([]float32, 2*nr), nr, nr, 2, nil, make([]float32, mr*2*nr+(mr-1)*2*nr+2*nr), 2*nr)
		})
		mustPanic(t, kn.name+" short B", func() {
			kn.fn(1, make([]float32, 2*mr), 1, 2, make([]float32, 2*nr-1), nr, nr, 2, nil, make([]float32, mr*2*nr+(mr-1)*2*nr+2*nr), 2*nr)
		})
	}
	if cpuid.CPU.Supports(cpuid.AVX512F) {
		mustPanic(t, "short bias", func() {
			Sgemm12x32AVX512SetTiles(1, make([]float32, 12), 1, 1, make([]float32, 64), 32, 32, 2, make([]float32, 32), make([]float32, 11*64+64), 64)
		})
	}
}

// TestSgemm12x32BiasBlocks checks Sgemm12x32AVX512BiasBlocks bit for bit against
// filling C's rows with the bias (or zeros) and calling Sgemm12x32AVX512Blocks,
// over block counts and lengths around the unroll, block gaps, with and
// without bias, into C that starts as NaN (it must not be read) and whose
// cells between and after the tile's rows must stay NaN.
func TestSgemm12x32BiasBlocks(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX512F) {
		t.Skip("no AVX-512F")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	nan := float32(math.NaN())
	for _, nb := range []int{1, 2, 3, 7} {
		for _, kb := range []int{0, 1, 2, 3, 21} {
			for _, withBias := range []bool{false, true} {
				ab, lda, ldb, ldc := kb+5, 6, 32, 32+3
				a, b := uniform(rng, 11*lda+(nb-1)*ab+kb), uniform(rng, max(0, nb*kb-1)*ldb+32)
				var bias []float32
				if withBias {
					bias = uniform(rng, 32)
				}
				got, want := make([]float32, 11*ldc+32), make([]float32, 11*ldc+32)
				for i := range got {
					got[i], want[i] = nan, nan
				}
				for i := 0; i < 12; i++ {
					row := want[i*ldc : i*ldc+32]
					clear(row)
					copy(row, bias)
				}
				if kb > 0 {
					Sgemm12x32AVX512Blocks(nb, kb, ab, a, lda, b, ldb, want, ldc)
				}
				Sgemm12x32AVX512BiasBlocks(nb, kb, ab, a, lda, b, ldb, bias, got, ldc)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("nb=%d kb=%d bias=%v: c[%d] = %v, want %v", nb, kb, withBias, i, got[i], want[i])
					}
				}
			}
		}
	}
	mustPanic(t, "short bias", func() {
		Sgemm12x32AVX512BiasBlocks(1, 1, 1, make([]float32, 12), 1, make([]float32, 32), 32, make([]float32, 31), make([]float32, 11*32+32), 32)
	})
	mustPanic(t, "short C", func() {
		Sgemm12x32AVX512BiasBlocks(1, 1, 1, make([]float32, 12), 1, make([]float32, 32), 32, nil, make([]float32, 11*32+31), 32)
	})
}

// TestSgemm12x32Tiles checks Sgemm12x32AVX512Tiles bit for bit against one
// Sgemm12x32AVX512 call per tile, over k around the unroll, 0 to 3 row tiles and
// 1 to 4 panels (B panels pstride apart with a gap, A and C rows padded),
// into C whose tiles start from random values and whose other cells are
// NaN and must stay so, all slices exactly as long as the kernel needs.
func TestSgemm12x32Tiles(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX512F) {
		t.Skip("no AVX-512F")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	nan := float32(math.NaN())
	for _, k := range []int{0, 1, 2, 3, 17, 64} {
		for rt := 0; rt <= 3; rt++ {
			for np := 1; np <= 4; np++ {
				lda, ldb := k+3, 32
				pstride := max(0, k-1)*ldb + 32 + 8
				ldc := 32*np + 5
				a, b := uniform(rng, max(0, 12*(rt-1)*lda+11*lda+k)), uniform(rng, (np-1)*pstride+max(0, k-1)*ldb+32)
				nc := max(0, 12*(rt-1)*ldc+11*ldc+32*np)
				got, want := make([]float32, nc), make([]float32, nc)
				for i := range got {
					got[i] = nan
				}
				for r := 0; r < 12*rt; r++ {
					for j := 0; j < 32*np; j++ {
						got[r*ldc+j] = rng.Float32()*2 - 1
					}
				}
				copy(want, got)
				for r := 0; r < rt && k > 0; r++ {
					for q := 0; q < np; q++ {
						Sgemm12x32AVX512(k, a[12*r*lda:], lda, b[q*pstride:], ldb, want[12*r*ldc+32*q:], ldc)
					}
				}
				Sgemm12x32AVX512Tiles(k, a, lda, rt, b, ldb, pstride, np, got, ldc)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("k=%d rt=%d np=%d: c[%d] = %v, want %v", k, rt, np, i, got[i], want[i])
					}
				}
			}
		}
	}
	mustPanic(t, "short C", func() {
		Sgemm12x32AVX512Tiles(1, make([]float32, 24), 1, 2, make([]float32, 64), 32, 32, 2, make([]float32, 12*64+11*64+63), 64)
	})
}

// TestSgemmPackTiles checks Sgemm12x32AVX512PackTiles and
// Sgemm4x32AVX512SetTiles (add) bit for bit against Sgemm12x32AVX512SetTiles
// and Sgemm12x32AVX512Tiles on B packed in Go: B read in place from a matrix
// (rows ldb apart, panels side by side, pstride 32), set (with and without
// bias) or added to C, over k around the unrolls and past the prefetch
// distance, 1 to 3 row tiles and 1 to 4 panels; the packed copy must equal
// the panels and leave the cells after them alone, C outside the tiles
// must stay NaN, all slices exactly as long as the kernels need.
func TestSgemmPackTiles(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX512F) {
		t.Skip("no AVX-512F")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	nan := float32(math.NaN())
	for _, k := range []int{0, 1, 2, 3, 5, 17, 40, 64} {
		for rt := 1; rt <= 3; rt++ {
			for np := 1; np <= 4; np++ {
				for mode := 0; mode < 3; mode++ { // set, set with bias, add
					lda, ldb, ldc := k+3, 32*np+7, 32*np+5
					a := uniform(rng, 12*(rt-1)*lda+11*lda+k)
					b := uniform(rng, max(0, k-1)*ldb+32*np)
					var bias []float32
					if mode == 1 {
						bias = uniform(rng, 32*np)
					}
					// B packed in Go: panel q is rows of b[32q:32q+32].
					packed := make([]float32, np*k*32)
					for q := 0; q < np; q++ {
						for p := 0; p < k; p++ {
							copy(packed[(q*k+p)*32:(q*k+p+1)*32], b[p*ldb+32*q:])
						}
					}
					nc := 12*(rt-1)*ldc + 11*ldc + 32*np
					got, want := make([]float32, nc), make([]float32, nc)
					for i := range got {
						got[i] = nan
					}
					if mode == 2 {
						for r := 0; r < 12*rt; r++ {
							for j := 0; j < 32*np; j++ {
								got[r*ldc+j] = rng.Float32()*2 - 1
							}
						}
					}
					copy(want, got)
					pk := make([]float32, np*k*32+5)
					for i := range pk {
						pk[i] = nan
					}
					name := fmt.Sprintf("k=%d rt=%d np=%d mode=%d", k, rt, np, mode)
					if mode == 2 {
						Sgemm12x32AVX512Tiles(k, a, lda, rt, packed, 32, k*32, np, want, ldc)
						Sgemm12x32AVX512PackTiles(k, a, lda, rt, b, ldb, 32, np, nil, got, ldc, true, pk[:np*k*32])
					} else {
						Sgemm12x32AVX512SetTiles(k, a, lda, rt, packed, 32, k*32, np, bias, want, ldc)
						Sgemm12x32AVX512PackTiles(k, a, lda, rt, b, ldb, 32, np, bias, got, ldc, false, pk[:np*k*32])
					}
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s: c[%d] = %v, want %v", name, i, got[i], want[i])
						}
					}
					for i := range pk {
						if i < len(packed) && pk[i] != packed[i] || i >= len(packed) && !math.IsNaN(float64(pk[i])) {
							t.Fatalf("%s: pk[%d] = %v", name, i, pk[i])
						}
					}
					if mode == 2 {
						// The 4-row tiles add as the 12-row ones.
						got4 := make([]float32, nc)
						copy(got4, got)
						want4 := make([]float32, nc)
						copy(want4, got)
						Sgemm12x32AVX512Tiles(k, a, lda, rt, packed, 32, k*32, np, want4, ldc)
						Sgemm4x32AVX512SetTiles(k, a, lda, 3*rt, packed, 32, k*32, np, nil, got4, ldc, true)
						for i := range got4 {
							if math.Float32bits(got4[i]) != math.Float32bits(want4[i]) {
								t.Fatalf("%s 4x32 add: c[%d] = %v, want %v", name, i, got4[i], want4[i])
							}
						}
					}
				}
			}
		}
	}
	mustPanic(t, "short pk", func() {
		Sgemm12x32AVX512PackTiles(2, make([]float32, 12*2), 2, 1, make([]float32, 64), 32, 32, 1, nil, make([]float32, 12*32), 32, false, make([]float32, 63))
	})
	mustPanic(t, "bias with add", func() {
		Sgemm12x32AVX512PackTiles(1, make([]float32, 12), 1, 1, make([]float32, 32), 32, 32, 1, make([]float32, 32), make([]float32, 12*32), 32, true, make([]float32, 32))
	})
}
