package kernels

import (
	"fmt"
	"math"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// Conformance suite for Conv2D and its two backward kernels: every
// implementation against the most obvious float64 loops, over odd shapes,
// with NaN guards, offset slices and inputs checked unmodified. Tolerance:
// reductionTol(L, sum|terms|) with L the reduction length (C*R*S forward,
// K*R*S backward-data, N*OutH*OutW backward-weights).

// refConv returns y and the absolute sums of its terms, in float64.
func refConv(x, w, bias []float32, p ConvParams) (y, abs []float64) {
	oh, ow := p.OutH(), p.OutW()
	y = make([]float64, p.N*oh*ow*p.K)
	abs = make([]float64, len(y))
	for n := 0; n < p.N; n++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for k := 0; k < p.K; k++ {
					var s, a float64
					if bias != nil {
						s, a = float64(bias[k]), math.Abs(float64(bias[k]))
					}
					for c := 0; c < p.C; c++ {
						for r := 0; r < p.R; r++ {
							for q := 0; q < p.S; q++ {
								iy := oy*p.StrideH - p.PadH + r*p.DilH
								ix := ox*p.StrideW - p.PadW + q*p.DilW
								if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
									continue
								}
								t := float64(x[((n*p.H+iy)*p.W+ix)*p.C+c]) * float64(w[((k*p.C+c)*p.R+r)*p.S+q])
								s += t
								a += math.Abs(t)
							}
						}
					}
					i := ((n*oh+oy)*ow+ox)*p.K + k
					y[i], abs[i] = s, a
				}
			}
		}
	}
	return y, abs
}

// refConvBackward returns dx, dw, db (and the absolute sums of their terms)
// by scattering every term of the forward loops, in float64.
func refConvBackward(x, w, dy []float32, p ConvParams) (dx, dxAbs, dw, dwAbs, db, dbAbs []float64) {
	oh, ow := p.OutH(), p.OutW()
	dx, dxAbs = make([]float64, len(x)), make([]float64, len(x))
	dw, dwAbs = make([]float64, len(w)), make([]float64, len(w))
	db, dbAbs = make([]float64, p.K), make([]float64, p.K)
	for n := 0; n < p.N; n++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for k := 0; k < p.K; k++ {
					g := float64(dy[((n*oh+oy)*ow+ox)*p.K+k])
					db[k] += g
					dbAbs[k] += math.Abs(g)
					for c := 0; c < p.C; c++ {
						for r := 0; r < p.R; r++ {
							for q := 0; q < p.S; q++ {
								iy := oy*p.StrideH - p.PadH + r*p.DilH
								ix := ox*p.StrideW - p.PadW + q*p.DilW
								if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
									continue
								}
								xi := ((n*p.H+iy)*p.W+ix)*p.C + c
								wi := ((k*p.C+c)*p.R+r)*p.S + q
								tx := g * float64(w[wi])
								dx[xi] += tx
								dxAbs[xi] += math.Abs(tx)
								tw := g * float64(x[xi])
								dw[wi] += tw
								dwAbs[wi] += math.Abs(tw)
							}
						}
					}
				}
			}
		}
	}
	return
}

// convCases returns the shapes of the suite: a sweep of channel counts
// around vector widths, a seeded sweep of geometries (sizes, strides,
// padding, dilation, square and non-square kernels), and a few larger
// shapes that span several tiles and threads.
func convCases() []ConvParams {
	var cs []ConvParams
	chans := []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65}
	for i, c := range chans {
		cs = append(cs, ConvParams{N: 1 + i%2, H: 5, W: 3 + i%3*2, C: c, K: chans[(i+5)%len(chans)], R: 3, S: 3,
			StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1})
	}
	g := tensor.NewRNG(42)
	kernels := [][2]int{{1, 1}, {3, 3}, {7, 7}, {1, 3}, {3, 2}, {5, 1}, {2, 2}}
	sizes := []int{1, 2, 3, 5, 8, 9, 11, 13}
	for len(cs) < 15+80 {
		k := kernels[g.IntN(len(kernels))]
		p := ConvParams{N: 1 + g.IntN(2), H: sizes[g.IntN(len(sizes))], W: sizes[g.IntN(len(sizes))],
			C: 1 + g.IntN(9), K: 1 + g.IntN(9), R: k[0], S: k[1],
			StrideH: 1 + g.IntN(3), StrideW: 1 + g.IntN(3), PadH: g.IntN(3), PadW: g.IntN(3),
			DilH: 1 + g.IntN(2), DilW: 1 + g.IntN(2)}
		if p.H+2*p.PadH < p.DilH*(p.R-1)+1 || p.W+2*p.PadW < p.DilW*(p.S-1)+1 {
			continue
		}
		cs = append(cs, p)
	}
	std := func(n, h, w, c, k, r, s, st, pad int) ConvParams {
		return ConvParams{N: n, H: h, W: w, C: c, K: k, R: r, S: s, StrideH: st, StrideW: st, PadH: pad, PadW: pad, DilH: 1, DilW: 1}
	}
	cs = append(cs,
		std(2, 17, 19, 17, 33, 3, 3, 2, 1), // stride 2 over several tiles
		std(2, 16, 15, 64, 65, 1, 1, 1, 0), // the 1x1 fast path
		std(1, 23, 21, 3, 16, 7, 7, 2, 3),  // the stem
		std(1, 12, 12, 65, 31, 3, 3, 1, 1),
		std(2, 9, 10, 32, 24, 2, 2, 2, 0),  // backward-data as GEMM + gather, windows apart
		std(1, 11, 13, 48, 40, 3, 3, 2, 1), // and overlapping, odd sizes
		std(3, 40, 41, 2, 3, 3, 3, 1, 1),   // many positions, tiny reductions
	)
	return cs
}

func (p ConvParams) String() string {
	return fmt.Sprintf("N%d_%dx%dx%d_K%d_%dx%d_s%dx%d_p%dx%d_d%dx%d", p.N, p.H, p.W, p.C, p.K, p.R, p.S,
		p.StrideH, p.StrideW, p.PadH, p.PadW, p.DilH, p.DilW)
}

func TestConv2D(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(7)
		for i, p := range convCases() {
			off := offsets[i%len(offsets)]
			x := guardedFrom(randSlice(g, p.N*p.H*p.W*p.C), off)
			w := guardedFrom(randSlice(g, p.K*p.C*p.R*p.S), (off+1)%4)
			var bias []float32
			if i%2 == 0 {
				bias = guardedFrom(randSlice(g, p.K), (off+2)%4).s()
			}
			fx, fw, fb := freeze("x", x.s()), freeze("w", w.s()), freeze("bias", bias)
			y := guarded(p.N*p.OutH()*p.OutW()*p.K, 3-off)
			Conv2D(y.s(), x.s(), w.s(), bias, p)
			y.check(t, p.String())
			x.check(t, "x")
			fx.check(t)
			fw.check(t)
			fb.check(t)
			want, abs := refConv(x.s(), w.s(), bias, p)
			compareReduction(t, "Conv2D "+p.String(), y.s(), want, abs, p.C*p.R*p.S)
		}
	})
}

func TestConv2DBackward(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(8)
		for i, p := range convCases() {
			off := offsets[i%len(offsets)]
			x := guardedFrom(randSlice(g, p.N*p.H*p.W*p.C), off)
			w := guardedFrom(randSlice(g, p.K*p.C*p.R*p.S), (off+1)%4)
			dy := guardedFrom(randSlice(g, p.N*p.OutH()*p.OutW()*p.K), (off+2)%4)
			fx, fw, fdy := freeze("x", x.s()), freeze("w", w.s()), freeze("dy", dy.s())
			wdx, adx, wdw, adw, wdb, adb := refConvBackward(x.s(), w.s(), dy.s(), p)

			dx := guarded(len(x.s()), 3-off)
			Conv2DBackwardData(dx.s(), dy.s(), w.s(), p)
			dx.check(t, "dx "+p.String())
			compareReduction(t, "Conv2DBackwardData "+p.String(), dx.s(), wdx, adx, p.K*p.R*p.S)

			dw := guarded(len(w.s()), off)
			var db *guardedBuf
			dbs := []float32(nil)
			if i%2 == 1 {
				db = guarded(p.K, (off+3)%4)
				dbs = db.s()
			}
			Conv2DBackwardWeights(dw.s(), dbs, x.s(), dy.s(), p)
			dw.check(t, "dw "+p.String())
			l := p.N * p.OutH() * p.OutW()
			compareReduction(t, "Conv2DBackwardWeights dw "+p.String(), dw.s(), wdw, adw, l)
			if db != nil {
				db.check(t, "db "+p.String())
				compareReduction(t, "Conv2DBackwardWeights db "+p.String(), db.s(), wdb, adb, l)
			}
			fx.check(t)
			fw.check(t)
			fdy.check(t)
		}
	})
}

// TestConv2DThreads runs shapes whose work splits into many chunks with 1
// and 3 threads: the results must match the reference either way (one or
// several float64 partial blocks in backward-weights).
func TestConv2DThreads(t *testing.T) {
	for _, p := range []ConvParams{
		{N: 2, H: 33, W: 31, C: 9, K: 17, R: 3, S: 3, StrideH: 1, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		{N: 2, H: 64, W: 64, C: 64, K: 5, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
	} {
		g := tensor.NewRNG(9)
		x := randSlice(g, p.N*p.H*p.W*p.C)
		w := randSlice(g, p.K*p.C*p.R*p.S)
		dy := randSlice(g, p.N*p.OutH()*p.OutW()*p.K)
		want, abs := refConv(x, w, nil, p)
		wdx, adx, wdw, adw, _, _ := refConvBackward(x, w, dy, p)
		for _, th := range []int{1, 3} {
			withThreads(th, func() {
				forEachImpl(t, func(t *testing.T) {
					y := make([]float32, len(dy))
					Conv2D(y, x, w, nil, p)
					compareReduction(t, fmt.Sprintf("threads=%d Conv2D %v", th, p), y, want, abs, p.C*9)
					dx := make([]float32, len(x))
					Conv2DBackwardData(dx, dy, w, p)
					compareReduction(t, fmt.Sprintf("threads=%d dx %v", th, p), dx, wdx, adx, p.K*9)
					dw := make([]float32, len(w))
					Conv2DBackwardWeights(dw, nil, x, dy, p)
					compareReduction(t, fmt.Sprintf("threads=%d dw %v", th, p), dw, wdw, adw, p.N*p.OutH()*p.OutW())
				})
			})
		}
	}
}

// TestConv2DAdjoint checks the defining identities of the backward kernels:
// <conv(x, w), dy> == <x, dX(dy, w)> == <w, dW(x, dy)>, on shapes larger
// than the direct references would test quickly.
func TestConv2DAdjoint(t *testing.T) {
	ps := []ConvParams{
		{N: 2, H: 31, W: 29, C: 16, K: 24, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		{N: 1, H: 37, W: 40, C: 5, K: 33, R: 7, S: 5, StrideH: 2, StrideW: 3, PadH: 3, PadW: 2, DilH: 2, DilW: 1},
		{N: 3, H: 20, W: 20, C: 64, K: 32, R: 1, S: 1, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0, DilH: 1, DilW: 1},
	}
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(10)
		for _, p := range ps {
			x := randSlice(g, p.N*p.H*p.W*p.C)
			w := randSlice(g, p.K*p.C*p.R*p.S)
			dy := randSlice(g, p.N*p.OutH()*p.OutW()*p.K)
			y := make([]float32, len(dy))
			Conv2D(y, x, w, nil, p)
			dx := make([]float32, len(x))
			Conv2DBackwardData(dx, dy, w, p)
			dw := make([]float32, len(w))
			Conv2DBackwardWeights(dw, nil, x, dy, p)
			lhs, rx, rw := Dot(y, dy), Dot(x, dx), Dot(w, dw)
			// Each side sums ~len(y)*C*R*S products of magnitude <= 1 with
			// float32 partial sums: allow 1e-4 of the norms' product.
			tol := 1e-4 * math.Sqrt(Dot(y, y)*Dot(dy, dy))
			if math.Abs(lhs-rx) > tol || math.Abs(lhs-rw) > tol {
				t.Errorf("%v: <conv(x),dy>=%v <x,dX>=%v <w,dW>=%v (tol %g)", p, lhs, rx, rw, tol)
			}
		}
	})
}

func TestConv2DPanics(t *testing.T) {
	p := ConvParams{N: 1, H: 4, W: 4, C: 2, K: 3, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
	x, w, y := make([]float32, 32), make([]float32, 54), make([]float32, 48)
	Conv2D(y, x, w, nil, p) // valid
	mustPanic(t, "short y", func() { Conv2D(y[:47], x, w, nil, p) })
	mustPanic(t, "bias", func() { Conv2D(y, x, w, make([]float32, 2), p) })
	mustPanic(t, "dx", func() { Conv2DBackwardData(x[:31], y, w, p) })
	mustPanic(t, "dw", func() { Conv2DBackwardWeights(w[:50], nil, x, y, p) })
	// An empty batch: nothing to compute, zero weight gradients.
	e := p
	e.N = 0
	dw, db := []float32{1, 2, 3}, []float32{4, 5, 6}
	dw = append(dw, make([]float32, 51)...)
	Conv2D(nil, nil, w, nil, e)
	Conv2DBackwardData(nil, nil, w, e)
	Conv2DBackwardWeights(dw, db, nil, nil, e)
	for _, v := range append(dw, db...) {
		if v != 0 {
			t.Fatalf("N=0: dw/db not zeroed: %v %v", dw, db)
		}
	}
	q := p
	q.StrideH = 0
	mustPanic(t, "stride", func() { Conv2D(y, x, w, nil, q) })
	q = p
	q.PadH = 0
	q.H = 1
	mustPanic(t, "kernel too big", func() { Conv2D(y, x[:8], w, nil, q) })
}

// benchConvShapes are the benchmark shapes, named CxHxW (input) with the
// kernel: the U-Net's 3x3 64->64 at 128, a deeper 3x3, the stem and a 1x1.
var benchConvShapes = []struct {
	name string
	p    ConvParams
}{
	{"64x128x128_3x3_k64", ConvParams{N: 1, H: 128, W: 128, C: 64, K: 64, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}},
	{"256x16x16_3x3_k256", ConvParams{N: 1, H: 16, W: 16, C: 256, K: 256, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}},
	{"64x64x64_3x3s2_k128", ConvParams{N: 1, H: 64, W: 64, C: 64, K: 128, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1}},
	{"3x256x256_7x7s2_k64", ConvParams{N: 1, H: 256, W: 256, C: 3, K: 64, R: 7, S: 7, StrideH: 2, StrideW: 2, PadH: 3, PadW: 3, DilH: 1, DilW: 1}},
	{"64x64x64_1x1_k128", ConvParams{N: 1, H: 64, W: 64, C: 64, K: 128, R: 1, S: 1, StrideH: 1, StrideW: 1, PadH: 0, PadW: 0, DilH: 1, DilW: 1}},
}

func (p ConvParams) flops() float64 {
	return 2 * float64(p.N*p.OutH()*p.OutW()*p.K*p.C*p.R*p.S)
}

// benchEachImpl runs fn as sub-benchmarks "impl=<name>/shape=<shape>".
func benchEachImpl(b *testing.B, fn func(b *testing.B, p ConvParams)) {
	for _, name := range Available() {
		for _, sh := range benchConvShapes {
			b.Run("impl="+name+"/shape="+sh.name, func(b *testing.B) {
				if err := Use(name, func() { fn(b, sh.p) }); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

func reportGFLOPs(b *testing.B, flops float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkConv2D(b *testing.B) {
	benchEachImpl(b, func(b *testing.B, p ConvParams) {
		g := tensor.NewRNG(1)
		x, w, bias := randSlice(g, p.N*p.H*p.W*p.C), randSlice(g, p.K*p.C*p.R*p.S), randSlice(g, p.K)
		y := make([]float32, p.N*p.OutH()*p.OutW()*p.K)
		b.ReportAllocs()
		for b.Loop() {
			Conv2D(y, x, w, bias, p)
		}
		reportGFLOPs(b, p.flops())
	})
}

func BenchmarkConv2DBackwardData(b *testing.B) {
	benchEachImpl(b, func(b *testing.B, p ConvParams) {
		g := tensor.NewRNG(1)
		dy, w := randSlice(g, p.N*p.OutH()*p.OutW()*p.K), randSlice(g, p.K*p.C*p.R*p.S)
		dx := make([]float32, p.N*p.H*p.W*p.C)
		b.ReportAllocs()
		for b.Loop() {
			Conv2DBackwardData(dx, dy, w, p)
		}
		reportGFLOPs(b, p.flops())
	})
}

func BenchmarkConv2DBackwardWeights(b *testing.B) {
	benchEachImpl(b, func(b *testing.B, p ConvParams) {
		g := tensor.NewRNG(1)
		x, dy := randSlice(g, p.N*p.H*p.W*p.C), randSlice(g, p.N*p.OutH()*p.OutW()*p.K)
		dw, db := make([]float32, p.K*p.C*p.R*p.S), make([]float32, p.K)
		b.ReportAllocs()
		for b.Loop() {
			Conv2DBackwardWeights(dw, db, x, dy, p)
		}
		reportGFLOPs(b, p.flops())
	})
}
