package kernels

import (
	"fmt"
	"math"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// Conformance suite for the pooling kernels against direct loops. Max
// pooling is compared exactly (values and argmax), on inputs quantised to a
// few values so that ties are common, with NaN and -Inf cells; average
// pooling within reductionTol of a float64 reference.

func (p PoolParams) String() string {
	return fmt.Sprintf("N%d_%dx%dx%d_%dx%d_s%dx%d_p%dx%d", p.N, p.H, p.W, p.C, p.R, p.S, p.StrideH, p.StrideW, p.PadH, p.PadW)
}

func poolCases() []PoolParams {
	var ps []PoolParams
	for i, c := range vecSizes[1:] {
		ps = append(ps, PoolParams{N: 1 + i%2, H: 7, W: 5 + i%3, C: c, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1})
	}
	g := tensor.NewRNG(11)
	wins := [][2]int{{1, 1}, {2, 2}, {3, 3}, {3, 2}, {1, 3}, {5, 5}}
	for len(ps) < 15+60 {
		w := wins[g.IntN(len(wins))]
		p := PoolParams{N: 1 + g.IntN(2), H: 1 + g.IntN(12), W: 1 + g.IntN(12), C: 1 + g.IntN(5), R: w[0], S: w[1],
			StrideH: 1 + g.IntN(3), StrideW: 1 + g.IntN(3), PadH: g.IntN(w[0]/2 + 1), PadW: g.IntN(w[1]/2 + 1)}
		if p.H+2*p.PadH < p.R || p.W+2*p.PadW < p.S {
			continue
		}
		ps = append(ps, p)
	}
	return append(ps, PoolParams{N: 2, H: 64, W: 63, C: 16, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		PoolParams{N: 1, H: 32, W: 32, C: 8, R: 2, S: 2, StrideH: 2, StrideW: 2})
}

// quantised returns n values in {-2, -1, 0, 1, 2} with a few NaN and -Inf.
func quantised(g *tensor.RNG, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		switch v := g.IntN(100); {
		case v == 0:
			s[i] = float32(math.NaN())
		case v == 1:
			s[i] = float32(math.Inf(-1))
		default:
			s[i] = float32(g.IntN(5) - 2)
		}
	}
	return s
}

// refMaxPool is PyTorch's CPU max_pool2d loop: start from -Inf with the
// window's first valid cell, take a cell if it is greater or NaN.
func refMaxPool(x []float32, p PoolParams) ([]float32, []int32) {
	oh, ow := p.OutH(), p.OutW()
	y, am := make([]float32, p.outLen()), make([]int32, p.outLen())
	for n := 0; n < p.N; n++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for c := 0; c < p.C; c++ {
					hs, ws := max(oy*p.StrideH-p.PadH, 0), max(ox*p.StrideW-p.PadW, 0)
					best, idx := float32(math.Inf(-1)), int32(hs*p.W+ws)
					for r := 0; r < p.R; r++ {
						for s := 0; s < p.S; s++ {
							iy, ix := oy*p.StrideH-p.PadH+r, ox*p.StrideW-p.PadW+s
							if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
								continue
							}
							v := x[((n*p.H+iy)*p.W+ix)*p.C+c]
							if v > best || math.IsNaN(float64(v)) {
								best, idx = v, int32(iy*p.W+ix)
							}
						}
					}
					i := ((n*oh+oy)*ow+ox)*p.C + c
					y[i], am[i] = best, idx
				}
			}
		}
	}
	return y, am
}

func TestMaxPool2D(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(12)
		for i, p := range poolCases() {
			off := offsets[i%len(offsets)]
			x := guardedFrom(quantised(g, p.inLen()), off)
			fx := freeze("x", x.s())
			y := guarded(p.outLen(), 3-off)
			am := make([]int32, p.outLen()+2)
			am[0], am[len(am)-1] = -7, -7
			MaxPool2D(y.s(), am[1:len(am)-1], x.s(), p)
			y.check(t, p.String())
			fx.check(t)
			if am[0] != -7 || am[len(am)-1] != -7 {
				t.Errorf("%v: argmax guard overwritten", p)
			}
			wy, wam := refMaxPool(x.s(), p)
			compareExact(t, "MaxPool2D "+p.String(), y.s(), wy)
			for j, a := range am[1 : len(am)-1] {
				if a != wam[j] {
					t.Errorf("%v: argmax[%d] = %d, want %d", p, j, a, wam[j])
					break
				}
			}
			// Without argmax: same values.
			y2 := make([]float32, p.outLen())
			MaxPool2D(y2, nil, x.s(), p)
			compareExact(t, "MaxPool2D no argmax "+p.String(), y2, wy)

			// Backward: scatter dy to the argmax cells.
			dy := guardedFrom(randSlice(g, p.outLen()), (off+1)%4)
			fdy := freeze("dy", dy.s())
			want, abs := make([]float64, p.inLen()), make([]float64, p.inLen())
			oh, ow := p.OutH(), p.OutW()
			for j, a := range wam {
				n, c := j/(oh*ow*p.C), j%p.C
				k := (n*p.H*p.W+int(a))*p.C + c
				want[k] += float64(dy.s()[j])
				abs[k] += math.Abs(float64(dy.s()[j]))
			}
			dx := guarded(p.inLen(), (off+2)%4)
			MaxPool2DBackward(dx.s(), dy.s(), wam, p)
			dx.check(t, "dx "+p.String())
			fdy.check(t)
			compareReduction(t, "MaxPool2DBackward "+p.String(), dx.s(), want, abs, p.R*p.S)
		}
	})
}

func TestMaxPool2DTiesAndPadding(t *testing.T) {
	// A 3x3 window with stride 1 and padding 1 over an all-equal 2x3 image:
	// the first cell of each clipped window wins; padding (zero) never does.
	p := PoolParams{N: 1, H: 2, W: 3, C: 1, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}
	x := []float32{-5, -5, -5, -5, -5, -5}
	y, am := make([]float32, 6), make([]int32, 6)
	MaxPool2D(y, am, x, p)
	compareExact(t, "all -5", y, x)
	want := []int32{0, 0, 1, 0, 0, 1}
	for i := range am {
		if am[i] != want[i] {
			t.Fatalf("argmax = %v, want %v", am, want)
		}
	}
	// NaN propagates and its (last) position is the argmax.
	x = []float32{1, float32(math.NaN()), 3, float32(math.NaN()), 0, 2}
	MaxPool2D(y, am, x, p)
	if !math.IsNaN(float64(y[0])) || am[0] != 3 || !math.IsNaN(float64(y[5])) || am[5] != 1 || am[2] != 1 {
		t.Errorf("NaN: y=%v argmax=%v", y, am)
	}
}

func refAvgPool(x []float32, p PoolParams) (y, abs []float64) {
	oh, ow := p.OutH(), p.OutW()
	y, abs = make([]float64, p.outLen()), make([]float64, p.outLen())
	for n := 0; n < p.N; n++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for c := 0; c < p.C; c++ {
					var s, a float64
					for r := 0; r < p.R; r++ {
						for q := 0; q < p.S; q++ {
							iy, ix := oy*p.StrideH-p.PadH+r, ox*p.StrideW-p.PadW+q
							if iy >= 0 && iy < p.H && ix >= 0 && ix < p.W {
								v := float64(x[((n*p.H+iy)*p.W+ix)*p.C+c])
								s += v
								a += math.Abs(v)
							}
						}
					}
					i := ((n*oh+oy)*ow+ox)*p.C + c
					d := float64(p.R * p.S)
					y[i], abs[i] = s/d, a/d
				}
			}
		}
	}
	return y, abs
}

func TestAvgPool2D(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(13)
		for i, p := range poolCases() {
			off := offsets[i%len(offsets)]
			x := guardedFrom(randSlice(g, p.inLen()), off)
			fx := freeze("x", x.s())
			y := guarded(p.outLen(), 3-off)
			AvgPool2D(y.s(), x.s(), p)
			y.check(t, p.String())
			fx.check(t)
			want, abs := refAvgPool(x.s(), p)
			compareReduction(t, "AvgPool2D "+p.String(), y.s(), want, abs, p.R*p.S+1)

			dy := guardedFrom(randSlice(g, p.outLen()), (off+1)%4)
			fdy := freeze("dy", dy.s())
			wdx, adx := make([]float64, p.inLen()), make([]float64, p.inLen())
			oh, ow := p.OutH(), p.OutW()
			for n := 0; n < p.N; n++ {
				for oy := 0; oy < oh; oy++ {
					for ox := 0; ox < ow; ox++ {
						for r := 0; r < p.R; r++ {
							for q := 0; q < p.S; q++ {
								iy, ix := oy*p.StrideH-p.PadH+r, ox*p.StrideW-p.PadW+q
								if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
									continue
								}
								for c := 0; c < p.C; c++ {
									v := float64(dy.s()[((n*oh+oy)*ow+ox)*p.C+c]) / float64(p.R*p.S)
									wdx[((n*p.H+iy)*p.W+ix)*p.C+c] += v
									adx[((n*p.H+iy)*p.W+ix)*p.C+c] += math.Abs(v)
								}
							}
						}
					}
				}
			}
			dx := guarded(p.inLen(), (off+2)%4)
			AvgPool2DBackward(dx.s(), dy.s(), p)
			dx.check(t, "dx "+p.String())
			fdy.check(t)
			compareReduction(t, "AvgPool2DBackward "+p.String(), dx.s(), wdx, adx, p.R*p.S+1)
		}
	})
}

func TestGlobalAvgPool(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(14)
		for i, sh := range [][3]int{{1, 1, 1}, {2, 9, 3}, {3, 64, 17}, {1, 1000, 65}, {5, 49, 512}, {0, 4, 4}} {
			n, hw, c := sh[0], sh[1], sh[2]
			off := offsets[i%len(offsets)]
			x := guardedFrom(randSlice(g, n*hw*c), off)
			fx := freeze("x", x.s())
			y := guarded(n*c, 3-off)
			GlobalAvgPool(y.s(), x.s(), n, hw, c)
			y.check(t, "y")
			fx.check(t)
			want, abs := make([]float64, n*c), make([]float64, n*c)
			for j := range want {
				for q := 0; q < hw; q++ {
					v := float64(x.s()[((j/c)*hw+q)*c+j%c])
					want[j] += v / float64(hw)
					abs[j] += math.Abs(v) / float64(hw)
				}
			}
			// float64 accumulation: one float32 rounding.
			compareReduction(t, fmt.Sprintf("GlobalAvgPool %v", sh), y.s(), want, abs, 1)

			dy := guardedFrom(randSlice(g, n*c), off)
			dx := guarded(n*hw*c, (off+1)%4)
			GlobalAvgPoolBackward(dx.s(), dy.s(), n, hw, c)
			dx.check(t, "dx")
			wdx := make([]float64, n*hw*c)
			for j := range wdx {
				wdx[j] = float64(dy.s()[(j/(hw*c))*c+j%c]) / float64(hw)
			}
			compareReduction(t, fmt.Sprintf("GlobalAvgPoolBackward %v", sh), dx.s(), wdx, absOf(wdx), 1)
		}
	})
}

func absOf(s []float64) []float64 {
	a := make([]float64, len(s))
	for i, v := range s {
		a[i] = math.Abs(v)
	}
	return a
}

func TestPoolPanics(t *testing.T) {
	p := PoolParams{N: 1, H: 4, W: 4, C: 2, R: 2, S: 2, StrideH: 2, StrideW: 2}
	x, y := make([]float32, 32), make([]float32, 8)
	MaxPool2D(y, nil, x, p)
	mustPanic(t, "y", func() { MaxPool2D(y[:7], nil, x, p) })
	mustPanic(t, "argmax", func() { MaxPool2D(y, make([]int32, 3), x, p) })
	mustPanic(t, "backward argmax nil", func() { MaxPool2DBackward(x, y, nil, p) })
	mustPanic(t, "avg", func() { AvgPool2D(y, x[:30], p) })
	q := p
	q.PadH = 2
	mustPanic(t, "pad", func() { AvgPool2D(y, x, q) })
	mustPanic(t, "global", func() { GlobalAvgPool(y, x, 1, 16, 3) })
}

func BenchmarkMaxPool2D(b *testing.B) {
	p := PoolParams{N: 1, H: 256, W: 256, C: 64, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}
	g := tensor.NewRNG(1)
	x := randSlice(g, p.inLen())
	y, am := make([]float32, p.outLen()), make([]int32, p.outLen())
	dx := make([]float32, p.inLen())
	MaxPool2D(y, am, x, p) // backward's argmax, also when run alone
	b.Run("forward/shape=64x256x256_3x3s2", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(4 * (p.inLen() + 2*p.outLen())))
		for b.Loop() {
			MaxPool2D(y, am, x, p)
		}
	})
	b.Run("backward/shape=64x256x256_3x3s2", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(4 * (p.inLen() + 2*p.outLen())))
		for b.Loop() {
			MaxPool2DBackward(dx, y, am, p)
		}
	})
}
