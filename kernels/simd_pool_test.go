package kernels

import (
	"math"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// TestSIMDMaxPool compares every implementation's MaxPool2D fast path with
// maxPool2DGeneric bit for bit (values and argmax) on inputs with NaNs,
// -Inf runs and ties, channel counts around 8, strides, paddings and
// window sizes, with and without argmax, into NaN-guarded outputs.
func TestSIMDMaxPool(t *testing.T) {
	g := tensor.NewRNG(17)
	nan, inf := float32(math.NaN()), float32(math.Inf(-1))
	var ps []PoolParams
	for _, c := range []int{8, 9, 15, 16, 17, 64, 65} {
		ps = append(ps, PoolParams{N: 2, H: 9, W: 11, C: c, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1})
	}
	ps = append(ps,
		PoolParams{N: 1, H: 7, W: 6, C: 24, R: 2, S: 2, StrideH: 2, StrideW: 2},
		PoolParams{N: 1, H: 8, W: 9, C: 16, R: 3, S: 2, StrideH: 1, StrideW: 3, PadH: 1, PadW: 1},
		PoolParams{N: 1, H: 5, W: 5, C: 32, R: 5, S: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2},
		PoolParams{N: 1, H: 4, W: 4, C: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}, // declined: C < 8
		// Rows of interior pixels (MaxPoolSpanAVX2) with groups of 32 and 8
		// channels, more channels than a span's spare argmax holds, no
		// interior at all, and windows all inside.
		PoolParams{N: 1, H: 6, W: 20, C: 40, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		PoolParams{N: 1, H: 3, W: 5, C: 1032, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		PoolParams{N: 1, H: 3, W: 2, C: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		PoolParams{N: 2, H: 6, W: 8, C: 96, R: 2, S: 2, StrideH: 2, StrideW: 2},
	)
	for _, name := range Available() {
		im := implByName(name)
		if im.MaxPool2D == nil {
			continue
		}
		t.Run("impl="+name, func(t *testing.T) {
			for i, p := range ps {
				x := make([]float32, p.N*p.H*p.W*p.C)
				for j := range x {
					switch g.IntN(12) {
					case 0:
						x[j] = nan
					case 1, 2:
						x[j] = inf
					case 3, 4:
						x[j] = float32(g.IntN(2))
					default:
						x[j] = g.Uniform(-1, 1)
					}
				}
				n := p.N * p.OutH() * p.OutW() * p.C
				wy, warg := make([]float32, n), make([]int32, n)
				maxPool2DGeneric(wy, warg, x, p)
				y := guarded(n, i%4)
				arg := make([]int32, n)
				fx := freeze("x", x)
				if !im.MaxPool2D(y.s(), arg, x, p) {
					if p.C >= 8 {
						t.Errorf("%+v declined", p)
					}
					continue
				}
				y.check(t, "y")
				fx.check(t)
				compareExact(t, "y", y.s(), wy)
				for j := range arg {
					if arg[j] != warg[j] {
						t.Fatalf("%+v: argmax[%d] = %d, want %d (x=%v)", p, j, arg[j], warg[j], wy[j])
					}
				}
				y2 := make([]float32, n)
				im.MaxPool2D(y2, nil, x, p)
				compareExact(t, "y without argmax", y2, wy)
			}
		})
	}
}

func BenchmarkSIMDMaxPool(b *testing.B) {
	p := PoolParams{N: 1, H: 256, W: 256, C: 64, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}
	g := tensor.NewRNG(1)
	x := randSlice(g, p.N*p.H*p.W*p.C)
	n := p.N * p.OutH() * p.OutW() * p.C
	y, arg := make([]float32, n), make([]int32, n)
	for _, name := range Available() {
		im := implByName(name)
		b.Run("impl="+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if im.MaxPool2D == nil || !im.MaxPool2D(y, arg, x, p) {
					maxPool2DGeneric(y, arg, x, p)
				}
			}
		})
	}
}
