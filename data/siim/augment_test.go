package siim

import (
	"math"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// testPattern is an s x s image that equals its mask (1 inside a
// rectangle and a disc, 0 elsewhere) plus the mask itself.
func testPattern(s int) ([]float32, []uint8) {
	img := make([]float32, s*s)
	mask := make([]uint8, s*s)
	for y := range s {
		for x := range s {
			in := x > s/8 && x < s/3 && y > s/5 && y < 3*s/4
			dx, dy := float64(x-2*s/3), float64(y-s/2)
			in = in || dx*dx+dy*dy < float64(s*s)/49
			if in {
				img[y*s+x], mask[y*s+x] = 1, 1
			}
		}
	}
	return img, mask
}

func TestFlipTwiceIsIdentity(t *testing.T) {
	img, mask := testPattern(17)
	i0, m0 := append([]float32(nil), img...), append([]uint8(nil), mask...)
	FlipH(img, mask, 17)
	if img[17*3+2] == i0[17*3+2] && mask[17*5+4] == m0[17*5+4] && equalF(img, i0) {
		t.Fatal("one flip changed nothing")
	}
	if img[5] != i0[11] || mask[17*9+2] != m0[17*9+14] {
		t.Error("flip does not mirror columns")
	}
	FlipH(img, mask, 17)
	if !equalF(img, i0) || string(mask) != string(m0) {
		t.Error("flipping twice is not the identity")
	}
}

func equalF(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The image and mask of a pattern where they coincide must still coincide
// (up to interpolation at edges) after every geometric transform.
func TestAugmentKeepsAlignment(t *testing.T) {
	const s = 64
	a := Augment{HFlip: 0.5, SSR: 1, Shift: 0.1, Scale: 0.2, Rotate: 30, Grid: 0.5, GridSteps: 4, GridLimit: 0.3}
	for seed := range uint64(20) {
		img, mask := testPattern(s)
		before := countMask(mask)
		a.Apply(tensor.NewRNG(seed), img, mask, s)
		disagree := 0
		for i, v := range img {
			if (v >= 0.5) != (mask[i] != 0) {
				disagree++
			}
		}
		// Bilinear vs nearest may differ only on a one-pixel rim.
		if disagree > s {
			t.Errorf("seed %d: image and mask disagree on %d pixels", seed, disagree)
		}
		after := countMask(mask)
		if after < before/2 || after == 0 {
			t.Errorf("seed %d: mask went from %d to %d pixels", seed, before, after)
		}
	}
}

func TestAugmentMovesPattern(t *testing.T) {
	// A 90-degree rotation with no shift or scale moves the pattern
	// exactly like a transpose-and-flip.
	const s = 32
	img, mask := testPattern(s)
	src := append([]uint8(nil), mask...)
	remap(img, mask, s, func(x, y float64) (float64, float64) {
		return y, float64(s) - x // output (x, y) reads source (y, s-x)
	})
	for y := range s {
		for x := range s {
			want := src[(s-1-x)*s+y]
			if mask[y*s+x] != want || (img[y*s+x] >= 0.5) != (want != 0) {
				t.Fatalf("pixel (%d,%d): mask %d image %v, want %d", x, y, mask[y*s+x], img[y*s+x], want)
			}
		}
	}
}

func TestAugmentDeterministic(t *testing.T) {
	a := DefaultAugment()
	a.Grid = 1
	i1, m1 := testPattern(40)
	i2, m2 := testPattern(40)
	a.Apply(tensor.NewRNG(5), i1, m1, 40)
	a.Apply(tensor.NewRNG(5), i2, m2, 40)
	if !equalF(i1, i2) || string(m1) != string(m2) {
		t.Error("same seed, different augmentation")
	}
	i3, _ := testPattern(40)
	a.Apply(tensor.NewRNG(6), i3, nil, 40)
	if equalF(i1, i3) {
		t.Error("different seeds, same augmentation")
	}
	for _, v := range i1 {
		if v < 0 || v > 1 || math.IsNaN(float64(v)) {
			t.Fatalf("value %v outside [0, 1]", v)
		}
	}
}

func TestReflect101(t *testing.T) {
	want := map[int]int{-3: 3, -1: 1, 0: 0, 4: 4, 5: 3, 8: 0, 9: 1, 13: 3}
	for i, w := range want {
		if got := reflect101(i, 5); got != w {
			t.Errorf("reflect101(%d, 5) = %d, want %d", i, got, w)
		}
	}
}

func countMask(m []uint8) int {
	n := 0
	for _, v := range m {
		n += int(v)
	}
	return n
}
