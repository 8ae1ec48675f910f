package kernels

import (
	"fmt"
	"math"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// Conformance suite for the transposed convolution against its own direct
// definition (each input cell scatters x*w into the output window), which
// is independent of the conv kernels it is built on; tolerances as in the
// conv suite (reductionTol with the reduction length).

func (p ConvTransposeParams) String() string {
	return fmt.Sprintf("N%d_%dx%dx%d_K%d_%dx%d_s%dx%d_p%dx%d_d%dx%d_op%dx%d", p.N, p.H, p.W, p.C, p.K, p.R, p.S,
		p.StrideH, p.StrideW, p.PadH, p.PadW, p.DilH, p.DilW, p.OutPadH, p.OutPadW)
}

// refConvTranspose returns y, dx, dw, db and the absolute sums of their terms.
func refConvTranspose(x, w, bias, dy []float32, p ConvTransposeParams) (y, ya, dx, dxa, dw, dwa, db, dba []float64) {
	oh, ow := p.OutH(), p.OutW()
	y, ya = make([]float64, p.N*oh*ow*p.K), make([]float64, p.N*oh*ow*p.K)
	dx, dxa = make([]float64, len(x)), make([]float64, len(x))
	dw, dwa = make([]float64, len(w)), make([]float64, len(w))
	db, dba = make([]float64, p.K), make([]float64, p.K)
	for i := range y {
		if bias != nil {
			y[i], ya[i] = float64(bias[i%p.K]), math.Abs(float64(bias[i%p.K]))
		}
		db[i%p.K] += float64(dy[i])
		dba[i%p.K] += math.Abs(float64(dy[i]))
	}
	for n := 0; n < p.N; n++ {
		for iy := 0; iy < p.H; iy++ {
			for ix := 0; ix < p.W; ix++ {
				for c := 0; c < p.C; c++ {
					xi := ((n*p.H+iy)*p.W+ix)*p.C + c
					for r := 0; r < p.R; r++ {
						for q := 0; q < p.S; q++ {
							oy, ox := iy*p.StrideH-p.PadH+r*p.DilH, ix*p.StrideW-p.PadW+q*p.DilW
							if oy < 0 || oy >= oh || ox < 0 || ox >= ow {
								continue
							}
							for k := 0; k < p.K; k++ {
								wi := ((c*p.K+k)*p.R+r)*p.S + q
								yi := ((n*oh+oy)*ow+ox)*p.K + k
								t := float64(x[xi]) * float64(w[wi])
								y[yi] += t
								ya[yi] += math.Abs(t)
								t = float64(dy[yi]) * float64(w[wi])
								dx[xi] += t
								dxa[xi] += math.Abs(t)
								t = float64(dy[yi]) * float64(x[xi])
								dw[wi] += t
								dwa[wi] += math.Abs(t)
							}
						}
					}
				}
			}
		}
	}
	return
}

func convTransposeCases() []ConvTransposeParams {
	up := func(n, h, w, c, k int) ConvTransposeParams { // the U-Net's 2x2 stride-2 upsampling
		return ConvTransposeParams{N: n, H: h, W: w, C: c, K: k, R: 2, S: 2, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1}
	}
	ps := []ConvTransposeParams{up(1, 1, 1, 1, 1), up(2, 3, 5, 17, 9), up(1, 8, 7, 64, 33), up(1, 4, 4, 65, 63)}
	chans := []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33}
	for i, c := range chans {
		ps = append(ps, ConvTransposeParams{N: 1, H: 4 + i%3, W: 3, C: c, K: chans[(i+4)%len(chans)], R: 3, S: 3,
			StrideH: 1 + i%2, StrideW: 1 + i%3, PadH: 1, PadW: 1, DilH: 1, DilW: 1, OutPadH: i % 2, OutPadW: (i % 3) / 2})
	}
	g := tensor.NewRNG(40)
	kernels := [][2]int{{1, 1}, {2, 2}, {3, 3}, {4, 4}, {1, 3}, {3, 2}, {7, 7}}
	for len(ps) < 16+60 {
		k := kernels[g.IntN(len(kernels))]
		p := ConvTransposeParams{N: 1 + g.IntN(2), H: 1 + g.IntN(7), W: 1 + g.IntN(7), C: 1 + g.IntN(6), K: 1 + g.IntN(6),
			R: k[0], S: k[1], StrideH: 1 + g.IntN(3), StrideW: 1 + g.IntN(3), PadH: g.IntN(3), PadW: g.IntN(3),
			DilH: 1 + g.IntN(3), DilW: 1 + g.IntN(2)}
		p.OutPadH = g.IntN(max(p.StrideH, p.DilH)) // may reach the dilation: generic fallback
		p.OutPadW = g.IntN(max(p.StrideW, p.DilW))
		if p.OutH() < 1 || p.OutW() < 1 {
			continue
		}
		ps = append(ps, p)
	}
	return ps
}

func TestConvTranspose2D(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(41)
		fallback := 0
		for i, p := range convTransposeCases() {
			if _, ok := p.asConv(); !ok {
				fallback++
			}
			off := offsets[i%len(offsets)]
			ylen := p.N * p.OutH() * p.OutW() * p.K
			x := guardedFrom(randSlice(g, p.N*p.H*p.W*p.C), off)
			w := guardedFrom(randSlice(g, p.C*p.K*p.R*p.S), (off+1)%4)
			dy := guardedFrom(randSlice(g, ylen), (off+2)%4)
			var bias []float32
			if i%2 == 0 {
				bias = randSlice(g, p.K)
			}
			fx, fw, fdy := freeze("x", x.s()), freeze("w", w.s()), freeze("dy", dy.s())
			wy, ay, wdx, adx, wdw, adw, wdb, adb := refConvTranspose(x.s(), w.s(), bias, dy.s(), p)

			y := guarded(ylen, 3-off)
			ConvTranspose2D(y.s(), x.s(), w.s(), bias, p)
			y.check(t, "y "+p.String())
			compareReduction(t, "ConvTranspose2D "+p.String(), y.s(), wy, ay, p.C*p.R*p.S+1)

			dx := guarded(len(x.s()), off)
			ConvTranspose2DBackwardData(dx.s(), dy.s(), w.s(), p)
			dx.check(t, "dx "+p.String())
			compareReduction(t, "ConvTranspose2DBackwardData "+p.String(), dx.s(), wdx, adx, p.K*p.R*p.S)

			dw, db := guarded(len(w.s()), (off+3)%4), guarded(p.K, (off+1)%4)
			var dbs []float32
			if i%2 == 1 {
				dbs = db.s()
			}
			ConvTranspose2DBackwardWeights(dw.s(), dbs, x.s(), dy.s(), p)
			dw.check(t, "dw "+p.String())
			db.check(t, "db "+p.String())
			compareReduction(t, "ConvTranspose2DBackwardWeights dw "+p.String(), dw.s(), wdw, adw, p.N*p.H*p.W)
			if dbs != nil {
				compareReduction(t, "ConvTranspose2DBackwardWeights db "+p.String(), dbs, wdb, adb, ylen/p.K)
			}
			fx.check(t)
			fw.check(t)
			fdy.check(t)
		}
		if fallback == 0 {
			t.Errorf("no case exercised the output-padding >= stride fallback")
		}
	})
}

// TestConvTransposeIsConvAdjoint checks the defining identity: the
// transposed convolution is the adjoint of the convolution with the same
// weights, <convT(x), z> == <x, conv(z)>.
func TestConvTransposeIsConvAdjoint(t *testing.T) {
	p := ConvTransposeParams{N: 2, H: 9, W: 8, C: 16, K: 24, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1, OutPadH: 1, OutPadW: 0}
	cp, ok := p.asConv()
	if !ok {
		t.Fatal("asConv")
	}
	g := tensor.NewRNG(42)
	x := randSlice(g, p.N*p.H*p.W*p.C)
	w := randSlice(g, p.C*p.K*p.R*p.S)
	z := randSlice(g, p.N*p.OutH()*p.OutW()*p.K)
	forEachImpl(t, func(t *testing.T) {
		y := make([]float32, len(z))
		ConvTranspose2D(y, x, w, nil, p)
		cz := make([]float32, len(x))
		Conv2D(cz, z, w, nil, cp)
		a, b := Dot(y, z), Dot(x, cz)
		if math.Abs(a-b) > 1e-4*math.Sqrt(Dot(y, y)*Dot(z, z)) {
			t.Errorf("<convT(x), z> = %v, <x, conv(z)> = %v", a, b)
		}
	})
}

func TestConvTransposePanics(t *testing.T) {
	p := ConvTransposeParams{N: 1, H: 2, W: 2, C: 1, K: 1, R: 2, S: 2, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1}
	x, w, y := make([]float32, 4), make([]float32, 4), make([]float32, 16)
	ConvTranspose2D(y, x, w, nil, p)
	mustPanic(t, "y", func() { ConvTranspose2D(y[:15], x, w, nil, p) })
	q := p
	q.OutPadH = 2
	mustPanic(t, "outpad", func() { ConvTranspose2D(y, x, w, nil, q) })
	q = p
	q.PadH = 5
	mustPanic(t, "pad", func() { ConvTranspose2DBackwardData(x, y, w, q) })
}

func BenchmarkConvTranspose2D(b *testing.B) {
	// The U-Net decoder's 2x2 stride-2 256->128 at 16x16.
	p := ConvTransposeParams{N: 1, H: 16, W: 16, C: 256, K: 128, R: 2, S: 2, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1}
	g := tensor.NewRNG(1)
	x, w := randSlice(g, p.N*p.H*p.W*p.C), randSlice(g, p.C*p.K*p.R*p.S)
	y := make([]float32, p.N*p.OutH()*p.OutW()*p.K)
	flops := 2 * float64(p.N*p.H*p.W*p.C*p.K*p.R*p.S)
	for _, name := range Available() {
		b.Run("impl="+name+"/shape=256x16x16_2x2s2_k128", func(b *testing.B) {
			_ = Use(name, func() {
				b.ReportAllocs()
				for b.Loop() {
					ConvTranspose2D(y, x, w, nil, p)
				}
				reportGFLOPs(b, flops)
			})
		})
	}
}
