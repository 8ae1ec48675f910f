package nn

import (
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// Backward with an arena recycles each intermediate gradient once it has
// been propagated, so a chain of k ops needs about k outputs but only a few
// gradients, and the leaf's gradient is unchanged.
func TestArenaRecyclesIntermediateGradients(t *testing.T) {
	const n, k = 1000, 12
	run := func(a *Arena) (*Value, int64) {
		x := NewExec(nil, a, true).Param(tensor.NewRNG(1).Randn(n))
		y := x
		for i := 0; i < k; i++ {
			y = Scale(ReLU(y), 1.5)
		}
		Sum(y).Backward()
		if a == nil {
			return x, 0
		}
		return x, a.Bytes()
	}
	want, _ := run(nil)
	a := NewArena()
	got, bytes := run(a)
	if _, d, ok := tensor.MaxDiff(got.Grad.Data, want.Grad.Data, 0, 0); !ok {
		t.Fatalf("leaf gradient differs by %g with the arena", d)
	}
	// 2k outputs of n floats; without recycling there would be 2k
	// gradients of n floats more (192,008 bytes in all), with it two.
	outputs := int64(4 * n * 2 * k)
	if limit := outputs + 4*4*n; bytes > limit {
		t.Fatalf("arena holds %d bytes after backward, want at most %d (outputs %d plus a few gradients)", bytes, limit, outputs)
	}
	if bytes < outputs {
		t.Fatalf("arena holds %d bytes, less than the %d of the outputs: the test measures nothing", bytes, outputs)
	}
}
