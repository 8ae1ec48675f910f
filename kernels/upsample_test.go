package kernels

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// Upsampling against direct float64 formulas (bilinear: PyTorch's
// align_corners=False source index (dst+0.5)/2-0.5 clamped at 0) and the
// backward passes against float64 scatters of the forward weights.

var upShapes = [][4]int{{1, 1, 1, 1}, {1, 2, 2, 1}, {2, 3, 5, 7}, {1, 7, 4, 16}, {2, 9, 9, 17}, {1, 16, 15, 33}, {1, 5, 3, 64}, {1, 4, 4, 65}, {2, 33, 31, 8}, {0, 3, 3, 3}}

// refBilinear returns the source rows/cols and weights of output index o.
func refBilinear(o, in int) (int, int, float64, float64) {
	src := (float64(o)+0.5)/2 - 0.5
	if src < 0 {
		src = 0
	}
	i0 := int(math.Floor(src))
	i1 := i0 + 1
	if i1 > in-1 {
		i1 = in - 1
	}
	l := src - float64(i0)
	return i0, i1, 1 - l, l
}

func TestUpsample(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(30)
		for i, sh := range upShapes {
			n, h, w, c := sh[0], sh[1], sh[2], sh[3]
			off := offsets[i%len(offsets)]
			name := fmt.Sprintf("%v", sh)
			small, big := n*h*w*c, 4*n*h*w*c
			x := guardedFrom(randSlice(g, small), off)
			dy := guardedFrom(randSlice(g, big), (off+1)%4)
			fx, fdy := freeze("x", x.s()), freeze("dy", dy.s())
			at := func(s []float32, hh, ww, b, yy, xx, k int) float64 { return float64(s[((b*hh+yy)*ww+xx)*c+k]) }

			// Nearest.
			wy := make([]float32, big)
			wdx, adx := make([]float64, small), make([]float64, small)
			for b := 0; b < n; b++ {
				for yy := 0; yy < 2*h; yy++ {
					for xx := 0; xx < 2*w; xx++ {
						for k := 0; k < c; k++ {
							wy[((b*2*h+yy)*2*w+xx)*c+k] = x.s()[((b*h+yy/2)*w+xx/2)*c+k]
							v := at(dy.s(), 2*h, 2*w, b, yy, xx, k)
							wdx[((b*h+yy/2)*w+xx/2)*c+k] += v
							adx[((b*h+yy/2)*w+xx/2)*c+k] += math.Abs(v)
						}
					}
				}
			}
			y := guarded(big, 3-off)
			UpsampleNearest2x(y.s(), x.s(), n, h, w, c)
			y.check(t, "nearest "+name)
			compareExact(t, "UpsampleNearest2x "+name, y.s(), wy)
			dx := guarded(small, (off+2)%4)
			UpsampleNearest2xBackward(dx.s(), dy.s(), n, h, w, c)
			dx.check(t, "nearest dx "+name)
			compareReduction(t, "UpsampleNearest2xBackward "+name, dx.s(), wdx, adx, 4)

			// Bilinear.
			wb, ab := make([]float64, big), make([]float64, big)
			wdx, adx = make([]float64, small), make([]float64, small)
			for b := 0; b < n; b++ {
				for yy := 0; yy < 2*h; yy++ {
					y0, y1, ly0, ly1 := refBilinear(yy, h)
					for xx := 0; xx < 2*w; xx++ {
						x0, x1, lx0, lx1 := refBilinear(xx, w)
						for k := 0; k < c; k++ {
							o := ((b*2*h+yy)*2*w+xx)*c + k
							taps := []struct {
								yy, xx int
								wt     float64
							}{{y0, x0, ly0 * lx0}, {y0, x1, ly0 * lx1}, {y1, x0, ly1 * lx0}, {y1, x1, ly1 * lx1}}
							for _, tp := range taps {
								v := tp.wt * at(x.s(), h, w, b, tp.yy, tp.xx, k)
								wb[o] += v
								ab[o] += math.Abs(v)
								gd := tp.wt * float64(dy.s()[o])
								wdx[((b*h+tp.yy)*w+tp.xx)*c+k] += gd
								adx[((b*h+tp.yy)*w+tp.xx)*c+k] += math.Abs(gd)
							}
						}
					}
				}
			}
			y = guarded(big, off)
			UpsampleBilinear2x(y.s(), x.s(), n, h, w, c)
			y.check(t, "bilinear "+name)
			compareReduction(t, "UpsampleBilinear2x "+name, y.s(), wb, ab, 4)
			dx = guarded(small, 3-off)
			UpsampleBilinear2xBackward(dx.s(), dy.s(), n, h, w, c)
			dx.check(t, "bilinear dx "+name)
			compareReduction(t, "UpsampleBilinear2xBackward "+name, dx.s(), wdx, adx, 16)
			fx.check(t)
			fdy.check(t)
		}
	})
}

// TestUpsampleBilinearPyTorch is PyTorch's own example:
// nn.Upsample(scale_factor=2, mode="bilinear") of [[1, 2], [3, 4]].
func TestUpsampleBilinearPyTorch(t *testing.T) {
	y := make([]float32, 16)
	UpsampleBilinear2x(y, []float32{1, 2, 3, 4}, 1, 2, 2, 1)
	want := []float32{
		1.0000, 1.2500, 1.7500, 2.0000,
		1.5000, 1.7500, 2.2500, 2.5000,
		2.5000, 2.7500, 3.2500, 3.5000,
		3.0000, 3.2500, 3.7500, 4.0000,
	}
	compareExact(t, "PyTorch example", y, want)
}

func TestConcatSplit(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(31)
		for i, tc := range []struct {
			m  int
			cs []int
		}{{1, []int{1}}, {3, []int{1, 2}}, {17, []int{64, 65, 3}}, {5000, []int{7, 0, 9}}, {0, []int{4, 4}}, {33, []int{31, 33, 16, 8}}} {
			off := offsets[i%len(offsets)]
			total := 0
			var xs [][]float32
			var gs []*guardedBuf
			for k, c := range tc.cs {
				gb := guardedFrom(randSlice(g, tc.m*c), (off+k)%4)
				gs = append(gs, gb)
				xs = append(xs, gb.s())
				total += c
			}
			y := guarded(tc.m*total, 3-off)
			ConcatChannels(y.s(), xs, tc.m, tc.cs)
			y.check(t, "concat")
			want := make([]float32, 0, tc.m*total)
			for r := 0; r < tc.m; r++ {
				for k, c := range tc.cs {
					want = append(want, xs[k][r*c:(r+1)*c]...)
				}
			}
			compareExact(t, fmt.Sprintf("ConcatChannels %v", tc), y.s(), want)
			for k := range gs {
				gs[k].check(t, "x")
			}
			// Split back, skipping part 0 if there are several.
			dxs := make([][]float32, len(tc.cs))
			var dgs []*guardedBuf
			for k, c := range tc.cs {
				d := guarded(tc.m*c, (off+k+1)%4)
				dgs = append(dgs, d)
				if k > 0 || len(tc.cs) == 1 {
					dxs[k] = d.s()
				}
			}
			fy := freeze("y", y.s())
			SplitChannels(dxs, y.s(), tc.m, tc.cs)
			fy.check(t)
			for k := range dgs {
				dgs[k].check(t, "dx")
				if dxs[k] != nil {
					compareExact(t, fmt.Sprintf("SplitChannels %v part %d", tc, k), dxs[k], xs[k])
				} else if tc.m*tc.cs[k] > 0 && !math.IsNaN(float64(dgs[k].s()[0])) {
					t.Errorf("SplitChannels wrote a nil part")
				}
			}
		}
	})
}

func TestUpsampleConcatPanics(t *testing.T) {
	a := make([]float32, 16)
	mustPanic(t, "up", func() { UpsampleNearest2x(a, a[:3], 1, 2, 2, 1) })
	mustPanic(t, "bil", func() { UpsampleBilinear2xBackward(a[:4], a[:15], 1, 2, 2, 1) })
	mustPanic(t, "concat parts", func() { ConcatChannels(a, [][]float32{a[:8]}, 4, []int{2, 2}) })
	mustPanic(t, "concat len", func() { ConcatChannels(a, [][]float32{a[:8], a[:7]}, 4, []int{2, 2}) })
	mustPanic(t, "concat nil", func() { ConcatChannels(a, [][]float32{a[:8], nil}, 4, []int{2, 2}) })
	mustPanic(t, "split y", func() { SplitChannels([][]float32{nil, a[:8]}, a[:15], 4, []int{2, 2}) })
}

// TestUpsampleNearest2xConcat checks the fused upsample + concat and its
// adjoint against UpsampleNearest2x, ConcatChannels and SplitChannels,
// overwriting and accumulating, with either gradient left out.
func TestUpsampleNearest2xConcat(t *testing.T) {
	g := tensor.NewRNG(3)
	for _, s := range [][5]int{{1, 1, 1, 1, 0}, {2, 3, 5, 7, 9}, {1, 4, 2, 16, 1}, {3, 2, 3, 1, 33}} {
		n, h, w, c, k := s[0], s[1], s[2], s[3], s[4]
		m := 4 * n * h * w
		x, skip := randSlice(g, n*h*w*c), randSlice(g, m*k)
		up := make([]float32, m*c)
		UpsampleNearest2x(up, x, n, h, w, c)
		want := make([]float32, m*(c+k))
		if k > 0 {
			ConcatChannels(want, [][]float32{up, skip}, m, []int{c, k})
		} else {
			copy(want, up)
		}
		y := randSlice(g, m*(c+k))
		var sk []float32
		if k > 0 {
			sk = skip
		}
		UpsampleNearest2xConcat(y, x, sk, n, h, w, c, k)
		if !slices.Equal(y, want) {
			t.Fatalf("%v: forward differs", s)
		}

		dy := randSlice(g, m*(c+k))
		dup, wantDs := make([]float32, m*c), make([]float32, m*k)
		if k > 0 {
			SplitChannels([][]float32{dup, wantDs}, dy, m, []int{c, k})
		} else {
			copy(dup, dy)
		}
		wantDx := make([]float32, n*h*w*c)
		UpsampleNearest2xBackward(wantDx, dup, n, h, w, c)
		dx, ds := randSlice(g, len(wantDx)), randSlice(g, len(wantDs))
		UpsampleNearest2xConcatBackward(dx, ds, dy, n, h, w, c, k, false)
		if !slices.Equal(dx, wantDx) || !slices.Equal(ds, wantDs) {
			t.Fatalf("%v: backward differs", s)
		}
		// Accumulating adds the same again; a nil gradient is left out.
		UpsampleNearest2xConcatBackward(dx, nil, dy, n, h, w, c, k, true)
		UpsampleNearest2xConcatBackward(nil, ds, dy, n, h, w, c, k, true)
		for i := range dx {
			if dx[i] != 2*wantDx[i] {
				t.Fatalf("%v: accumulated dx[%d] = %v, want %v", s, i, dx[i], 2*wantDx[i])
			}
		}
		for i := range ds {
			if ds[i] != 2*wantDs[i] {
				t.Fatalf("%v: accumulated dskip[%d] = %v, want %v", s, i, ds[i], 2*wantDs[i])
			}
		}
	}
	a := make([]float32, 64)
	mustPanic(t, "concat skip", func() { UpsampleNearest2xConcat(a[:32], a[:4], nil, 1, 2, 2, 1, 1) })
	mustPanic(t, "concat len", func() { UpsampleNearest2xConcatBackward(a[:4], nil, a[:31], 1, 2, 2, 1, 1, false) })
}

func BenchmarkUpsample(b *testing.B) {
	const n, h, w, c = 1, 64, 64, 128
	g := tensor.NewRNG(1)
	x, big := randSlice(g, n*h*w*c), make([]float32, 4*n*h*w*c)
	dx := make([]float32, n*h*w*c)
	for _, bc := range []struct {
		name string
		fn   func()
	}{
		{"Nearest", func() { UpsampleNearest2x(big, x, n, h, w, c) }},
		{"NearestBackward", func() { UpsampleNearest2xBackward(dx, big, n, h, w, c) }},
		{"Bilinear", func() { UpsampleBilinear2x(big, x, n, h, w, c) }},
		{"BilinearBackward", func() { UpsampleBilinear2xBackward(dx, big, n, h, w, c) }},
	} {
		b.Run(bc.name+"/shape=128x64x64", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(4 * 5 * n * h * w * c))
			for b.Loop() {
				bc.fn()
			}
		})
	}
}
