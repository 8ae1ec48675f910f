package asm

import (
	"math"
	"math/rand/v2"
	"testing"
)

type microKernel struct {
	name     string
	mr, nr   int
	fn       func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int)
	fnBlocks func(nb, kb, ab int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int)
}

// refMicro is the documented Go loop of every micro-kernel.
func refMicro(mr, nr, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			s := c[i*ldc+j]
			for p := 0; p < k; p++ {
				s = float32(math.FMA(float64(a[i*lda+p]), float64(b[p*ldb+j]), float64(s)))
			}
			c[i*ldc+j] = s
		}
	}
}

// testMicroKernel checks a kernel against refMicro over k around the
// unroll factors, lda and ldc wider than the tile, and NaN guard cells
// between the rows of C and after the tile, which must stay untouched.
func testMicroKernel(t *testing.T, mk microKernel) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 64, 257} {
		for _, pad := range []int{0, 3, -1} {
			if k+pad < 0 {
				continue
			}
			lda, ldc := k+pad, mk.nr+pad+2 // pad -1: overlapping rows of A
			ldb := mk.nr + 2*pad           // pad -1: overlapping rows of B
			a, b := uniform(rng, (mk.mr-1)*lda+k+max(pad, 0)), uniform(rng, max(0, (k-1)*ldb+mk.nr)+max(pad, 0))
			c := make([]float32, (mk.mr-1)*ldc+mk.nr+4)
			for i := range c {
				c[i] = float32(math.NaN())
			}
			for i := 0; i < mk.mr; i++ {
				for j := 0; j < mk.nr; j++ {
					c[i*ldc+j] = rng.Float32()
				}
			}
			want := append([]float32(nil), c...)
			a0, b0 := append([]float32(nil), a...), append([]float32(nil), b...)
			refMicro(mk.mr, mk.nr, k, a, lda, b, ldb, want, ldc)
			mk.fn(k, a, lda, b, ldb, c, ldc)
			for i := range c {
				inTile := i%ldc < mk.nr && i/ldc < mk.mr
				if !inTile {
					if !math.IsNaN(float64(c[i])) {
						t.Fatalf("%s k=%d pad=%d: guard c[%d] overwritten with %v", mk.name, k, pad, i, c[i])
					}
					continue
				}
				tol := 1e-5 * float64(k+1)
				if d := math.Abs(float64(c[i] - want[i])); d > tol || math.IsNaN(float64(c[i])) {
					t.Fatalf("%s k=%d pad=%d: c[%d,%d]=%v want %v", mk.name, k, pad, i/ldc, i%ldc, c[i], want[i])
				}
			}
			for i := range a {
				if a[i] != a0[i] {
					t.Fatalf("%s: a modified", mk.name)
				}
			}
			for i := range b {
				if b[i] != b0[i] {
					t.Fatalf("%s: b modified", mk.name)
				}
			}
		}
	}
}

func TestMicroKernels(t *testing.T) {
	ks := microKernels()
	if len(ks) == 0 {
		t.Skip("no micro-kernel in this build for this CPU")
	}
	for _, mk := range ks {
		t.Run(mk.name, func(t *testing.T) { testMicroKernel(t, mk) })
	}
}

// TestMicroKernelBlocks checks the blocked form against the documented
// loop: block q of kb steps reads a[i*lda+q*ab+p] and b[(q*kb+p)*ldb+j].
func TestMicroKernelBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, mk := range microKernels() {
		for _, nb := range []int{1, 2, 3, 7} {
			for _, kb := range []int{1, 2, 3, 5, 16, 21} {
				for _, ab := range []int{kb, kb + 9, max(0, kb-1), 100} {
					lda, ldb, ldc := 3*kb+1, mk.nr+1, mk.nr+3
					k := nb * kb
					a := make([]float32, (mk.mr-1)*lda+(nb-1)*ab+kb)
					b := make([]float32, (k-1)*ldb+mk.nr)
					c := make([]float32, (mk.mr-1)*ldc+mk.nr)
					for _, s := range [][]float32{a, b, c} {
						for i := range s {
							s[i] = rng.Float32()*2 - 1
						}
					}
					want := append([]float32(nil), c...)
					for i := 0; i < mk.mr; i++ {
						for j := 0; j < mk.nr; j++ {
							acc := want[i*ldc+j]
							for q := 0; q < nb; q++ {
								for p := 0; p < kb; p++ {
									acc = float32(math.FMA(float64(a[i*lda+q*ab+p]), float64(b[(q*kb+p)*ldb+j]), float64(acc)))
								}
							}
							want[i*ldc+j] = acc
						}
					}
					mk.fnBlocks(nb, kb, ab, a, lda, b, ldb, c, ldc)
					for i := 0; i < mk.mr; i++ {
						for j := 0; j < mk.nr; j++ {
							if d := math.Abs(float64(c[i*ldc+j] - want[i*ldc+j])); d > 1e-5*float64(k+1) {
								t.Fatalf("%s nb=%d kb=%d ab=%d: c[%d,%d]=%v want %v", mk.name, nb, kb, ab, i, j, c[i*ldc+j], want[i*ldc+j])
							}
						}
					}
				}
			}
		}
		mustPanic(t, mk.name+" blocks: short a", func() {
			mk.fnBlocks(2, 2, 5, make([]float32, (mk.mr-1)*2+6), 2, make([]float32, 4*mk.nr), mk.nr, make([]float32, mk.mr*mk.nr), mk.nr)
		})
		mustPanic(t, mk.name+" blocks: nb = 0", func() {
			mk.fnBlocks(0, 2, 5, make([]float32, 100), 2, make([]float32, 4*mk.nr), mk.nr, make([]float32, mk.mr*mk.nr), mk.nr)
		})
	}
}

func TestMicroKernelChecks(t *testing.T) {
	for _, mk := range microKernels() {
		mustPanic(t, mk.name+" short c", func() {
			mk.fn(1, make([]float32, mk.mr), 1, make([]float32, mk.nr), mk.nr, make([]float32, mk.mr*mk.nr-1), mk.nr)
		})
		mustPanic(t, mk.name+" short b", func() {
			mk.fn(2, make([]float32, 2*mk.mr), 2, make([]float32, mk.nr), mk.nr, make([]float32, mk.mr*mk.nr), mk.nr)
		})
		mustPanic(t, mk.name+" lda < 0", func() {
			mk.fn(2, make([]float32, 2*mk.mr), -1, make([]float32, 2*mk.nr), mk.nr, make([]float32, mk.mr*mk.nr), mk.nr)
		})
		mustPanic(t, mk.name+" short a", func() {
			mk.fn(2, make([]float32, (mk.mr-1)*3+1), 3, make([]float32, 2*mk.nr), mk.nr, make([]float32, mk.mr*mk.nr), mk.nr)
		})
		mustPanic(t, mk.name+" ldb < 0", func() {
			mk.fn(2, make([]float32, 2*mk.mr), 2, make([]float32, 2*mk.nr), -1, make([]float32, mk.mr*mk.nr), mk.nr)
		})
	}
}

// uniform returns n values drawn uniformly from [-1, 1).
func uniform(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Float32()*2 - 1
	}
	return v
}

func mustPanic(t *testing.T, name string, fn func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	fn()
}

func TestFMALoop(t *testing.T) {
	for _, isa := range fmaISAs() {
		if got := FMALoop(isa, 10); got <= 0 {
			t.Errorf("FMALoop(%q, 10) = %d flops", isa, got)
		}
		if got := FMALoop(isa, 0); got != 0 {
			t.Errorf("FMALoop(%q, 0) = %d flops", isa, got)
		}
	}
	if got := FMALoop("no-such-isa", 10); got != 0 {
		t.Errorf("FMALoop(unknown) = %d", got)
	}
}

func BenchmarkMicroKernel(b *testing.B) {
	for _, mk := range microKernels() {
		b.Run(mk.name, func(b *testing.B) {
			const k = 256
			a := make([]float32, mk.mr*k)
			bp := make([]float32, mk.nr*k)
			c := make([]float32, mk.mr*mk.nr)
			b.ReportAllocs()
			for b.Loop() {
				mk.fn(k, a, k, bp, mk.nr, c, mk.nr)
			}
			b.ReportMetric(float64(2*mk.mr*mk.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
