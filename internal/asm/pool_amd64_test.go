//go:build gc && !purego

package asm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// refMaxPoolCells is MaxPoolCellsAVX2's documented loop.
func refMaxPoolCells(y []float32, arg []int32, x []float32, offs []int, idxs []int32, c int) {
	for j := 0; j < c; j++ {
		best, a := float32(math.Inf(-1)), idxs[0]
		for i, off := range offs {
			if v := x[off+j]; v > best || v != v {
				best, a = v, idxs[i]
			}
		}
		y[j], arg[j] = best, a
	}
}

// poolValues returns n values for the max-pool kernels' tests: a tenth NaN,
// a tenth -Inf, a fifth small integers (ties), the rest in [-1, 1).
func poolValues(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		switch rng.IntN(10) {
		case 0:
			x[i] = float32(math.NaN())
		case 1:
			x[i] = float32(math.Inf(-1))
		case 2, 3:
			x[i] = float32(rng.IntN(3))
		default:
			x[i] = rng.Float32()*2 - 1
		}
	}
	return x
}

func TestMaxPoolCellsAVX2(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX2) {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 200; trial++ {
		c := 8 * (1 + rng.IntN(9))
		cells := 1 + rng.IntN(9)
		x := poolValues(rng, (cells+2)*c+5)
		offs, idxs := make([]int, cells), make([]int32, cells)
		for i := range offs {
			offs[i] = rng.IntN(len(x) - c + 1)
			idxs[i] = int32(rng.IntN(1000))
		}
		y, arg := make([]float32, c+3), make([]int32, c+3)
		wy, warg := make([]float32, c+3), make([]int32, c+3)
		MaxPoolCellsAVX2(y, arg, x, offs, idxs, c)
		refMaxPoolCells(wy, warg, x, offs, idxs, c)
		for j := range y {
			same := y[j] == wy[j] || (y[j] != y[j] && wy[j] != wy[j])
			if !same || arg[j] != warg[j] {
				t.Fatalf("trial %d c=%d cells=%d: y[%d]=%v arg %d, want %v arg %d", trial, c, cells, j, y[j], arg[j], wy[j], warg[j])
			}
		}
	}
	mustPanic(t, "c not a multiple of 8", func() {
		MaxPoolCellsAVX2(make([]float32, 9), make([]int32, 9), make([]float32, 9), []int{0}, []int32{0}, 9)
	})
	mustPanic(t, "offset out of range", func() {
		MaxPoolCellsAVX2(make([]float32, 8), make([]int32, 8), make([]float32, 9), []int{2}, []int32{0}, 8)
	})
}

// TestMaxPoolSpan checks MaxPoolSpanAVX2 against MaxPoolCellsAVX2 pixel by pixel
// (channel counts with and without whole groups of 32, NaNs, -Inf, ties,
// one pixel and many), and that it writes nothing past n pixels.
func TestMaxPoolSpanAVX2(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX2) {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 300; trial++ {
		c := 8 * (1 + rng.IntN(12))
		cells := 1 + rng.IntN(9)
		n := rng.IntN(6)
		xstep, istep := c*rng.IntN(3), rng.IntN(4)
		x := poolValues(rng, (cells+2)*c+n*xstep+5)
		offs, idxs := make([]int, cells), make([]int32, cells)
		for i := range offs {
			offs[i] = rng.IntN(len(x) - c - max(n-1, 0)*xstep + 1)
			idxs[i] = int32(rng.IntN(1000))
		}
		const guard = 7
		y, arg := make([]float32, n*c+guard), make([]int32, n*c+guard)
		for i := range y {
			y[i], arg[i] = 42, 42
		}
		wy, warg := make([]float32, n*c+guard), make([]int32, n*c+guard)
		copy(wy, y)
		copy(warg, arg)
		MaxPoolSpanAVX2(y, arg, x, offs, idxs, c, n, xstep, istep)
		po, pi := make([]int, cells), make([]int32, cells)
		for q := 0; q < n; q++ {
			for i := range po {
				po[i], pi[i] = offs[i]+q*xstep, idxs[i]+int32(q*istep)
			}
			MaxPoolCellsAVX2(wy[q*c:], warg[q*c:], x, po, pi, c)
		}
		for j := range y {
			same := y[j] == wy[j] || (y[j] != y[j] && wy[j] != wy[j])
			if !same || arg[j] != warg[j] {
				t.Fatalf("trial %d c=%d cells=%d n=%d: y[%d]=%v arg %d, want %v arg %d", trial, c, cells, n, j, y[j], arg[j], wy[j], warg[j])
			}
		}
	}
	mustPanic(t, "window past the end", func() {
		MaxPoolSpanAVX2(make([]float32, 16), make([]int32, 16), make([]float32, 16), []int{0}, []int32{0}, 8, 2, 9, 1)
	})
	mustPanic(t, "short y", func() {
		MaxPoolSpanAVX2(make([]float32, 15), make([]int32, 16), make([]float32, 16), []int{0}, []int32{0}, 8, 2, 8, 1)
	})
}
