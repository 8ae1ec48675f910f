package kernels

import (
	"fmt"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// simdConvCases are shapes wide enough for the direct path of simd_conv.go
// (mr = 6 or 12 positions of one output row reading x in place) as well as
// its packed paths: padding columns and rows, tiles straddling output rows
// and images, stride 2, dilation, C*S below minDirectK (whole patches),
// K above, below and between the 16- and 32-wide tiles.
func simdConvCases() []ConvParams {
	std := func(n, h, w, c, k, r, st, pad, dil int) ConvParams {
		return ConvParams{N: n, H: h, W: w, C: c, K: k, R: r, S: r, StrideH: st, StrideW: st,
			PadH: pad, PadW: pad, DilH: dil, DilW: dil}
	}
	return []ConvParams{
		std(1, 9, 40, 16, 64, 3, 1, 1, 1),
		std(2, 7, 37, 24, 70, 3, 1, 1, 1),
		std(1, 6, 29, 8, 33, 3, 1, 0, 1),
		std(1, 8, 50, 9, 16, 3, 2, 1, 1), // stride 2, K = 16: the narrow tile
		std(1, 9, 45, 3, 20, 7, 2, 3, 1), // the stem with C = 3: S*C = 21
		std(1, 9, 30, 1, 8, 7, 2, 3, 1),  // C = 1: whole patches
		std(2, 5, 33, 20, 40, 1, 1, 0, 1),
		std(1, 7, 31, 17, 19, 3, 1, 2, 2), // dilation 2
		std(3, 3, 14, 32, 31, 3, 1, 1, 1), // tiles straddle rows and images
		std(2, 4, 26, 5, 13, 3, 1, 1, 1),  // K = 13: 6-row tiles in backward-weights
		std(1, 5, 60, 40, 64, 3, 2, 1, 1), // stride 2, 30 outputs per row
		{N: 1, H: 6, W: 41, C: 12, K: 24, R: 1, S: 5, StrideH: 1, StrideW: 1, PadH: 0, PadW: 2, DilH: 1, DilW: 1},
		// Few positions, many output channels: weights as the A operand.
		std(1, 3, 4, 20, 40, 3, 1, 1, 1),
		std(2, 5, 5, 7, 70, 3, 2, 1, 1),
		std(2, 3, 5, 40, 80, 3, 1, 1, 1), // few positions, C*R*S = 360: two kc blocks
		std(1, 3, 4, 64, 24, 3, 1, 1, 1), // few positions, many input channels: backward-data as GEMM + gather
		std(2, 9, 11, 16, 8, 1, 2, 0, 1), // 1x1 stride 2 (the ResNet downsample)
		// Few positions in rows of 8: the padded-copy gather (fewPad),
		// channels not a multiple of 8, two images, padding 0 and 2.
		std(1, 3, 8, 37, 64, 3, 1, 1, 1),
		std(2, 2, 16, 24, 140, 3, 1, 1, 1),
		{N: 1, H: 5, W: 10, C: 19, K: 80, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 0, PadW: 0, DilH: 1, DilW: 1},
		{N: 1, H: 1, W: 12, C: 9, K: 70, R: 3, S: 5, StrideH: 1, StrideW: 1, PadH: 1, PadW: 2, DilH: 1, DilW: 1},
		{N: 1, H: 4, W: 6, C: 9, K: 50, R: 3, S: 2, StrideH: 1, StrideW: 2, PadH: 2, PadW: 1, DilH: 2, DilW: 1},
	}
}

func TestSIMDConvForwardAndBackward(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(21)
		for i, p := range simdConvCases() {
			off := offsets[i%len(offsets)]
			x := guardedFrom(randSlice(g, p.N*p.H*p.W*p.C), off)
			w := guardedFrom(randSlice(g, p.K*p.C*p.R*p.S), (off+1)%4)
			var bias []float32
			if i%2 == 0 {
				bias = randSlice(g, p.K)
			}
			dy := guardedFrom(randSlice(g, p.N*p.OutH()*p.OutW()*p.K), (off+2)%4)
			fx, fw, fdy := freeze("x", x.s()), freeze("w", w.s()), freeze("dy", dy.s())

			y := guarded(len(dy.s()), 3-off)
			Conv2D(y.s(), x.s(), w.s(), bias, p)
			y.check(t, "y "+p.String())
			want, abs := refConv(x.s(), w.s(), bias, p)
			compareReduction(t, "Conv2D "+p.String(), y.s(), want, abs, p.C*p.R*p.S)

			dx := guarded(len(x.s()), (off+3)%4)
			Conv2DBackwardData(dx.s(), dy.s(), w.s(), p)
			dx.check(t, "dx "+p.String())
			wdx, adx, wdw, adw, wdb, adb := refConvBackward(x.s(), w.s(), dy.s(), p)
			compareReduction(t, "Conv2DBackwardData "+p.String(), dx.s(), wdx, adx, p.K*p.R*p.S)

			dw, db := guarded(len(w.s()), off), guarded(p.K, (off+1)%4)
			Conv2DBackwardWeights(dw.s(), db.s(), x.s(), dy.s(), p)
			dw.check(t, "dw "+p.String())
			db.check(t, "db "+p.String())
			l := p.N * p.OutH() * p.OutW()
			compareReduction(t, "Conv2DBackwardWeights dw "+p.String(), dw.s(), wdw, adw, l)
			compareReduction(t, "Conv2DBackwardWeights db "+p.String(), db.s(), wdb, adb, l)
			fx.check(t)
			fw.check(t)
			fdy.check(t)
		}
	})
}

// TestSIMDConvThreadsBitwise: the direct path reduces every output in the
// same order whatever the thread count.
// So does the few-positions path, which on one thread gathers and
// multiplies one kc block at a time and on two gathers all blocks first.
func TestSIMDConvThreadsBitwise(t *testing.T) {
	for _, p := range []ConvParams{
		{N: 1, H: 20, W: 52, C: 32, K: 48, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		{N: 2, H: 3, W: 5, C: 40, K: 80, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		{N: 1, H: 8, W: 8, C: 96, K: 150, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
	} {
		g := tensor.NewRNG(5)
		x, w := randSlice(g, p.N*p.H*p.W*p.C), randSlice(g, p.K*p.C*9)
		bias := randSlice(g, p.K)
		forEachImpl(t, func(t *testing.T) {
			y1, y2 := make([]float32, p.N*p.OutH()*p.OutW()*p.K), make([]float32, p.N*p.OutH()*p.OutW()*p.K)
			withThreads(1, func() { Conv2D(y1, x, w, bias, p) })
			withThreads(2, func() { Conv2D(y2, x, w, bias, p) })
			compareExact(t, "2 threads vs 1 "+p.String(), y2, y1)
		})
	}
}

// TestFewPadBitwise: the few-positions convolution gives the same bits
// with its padded-copy gather (8 positions at a time, fewPad, or 16 with
// the micro-kernel's transpose16) as with the offset gather, on one and two
// threads.
func TestFewPadBitwise(t *testing.T) {
	defer func() { fewPadOff, fewT16Off = false, false }()
	for _, p := range []ConvParams{
		{N: 1, H: 8, W: 8, C: 45, K: 130, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		{N: 2, H: 2, W: 16, C: 64, K: 200, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		{N: 1, H: 3, W: 10, C: 130, K: 100, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 0, PadW: 0, DilH: 1, DilW: 1},
		{N: 1, H: 5, W: 8, C: 77, K: 90, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
	} {
		if 2*p.N*p.OutH()*p.OutW() > p.K || p.OutW()%8 != 0 {
			t.Fatalf("%v is not a few-positions shape in rows of 8", p)
		}
		g := tensor.NewRNG(7)
		x, w := randSlice(g, p.N*p.H*p.W*p.C), randSlice(g, p.K*p.C*p.R*p.S)
		bias := randSlice(g, p.K)
		forEachImpl(t, func(t *testing.T) {
			for _, th := range []int{1, 2} {
				y1, y2 := make([]float32, p.N*p.OutH()*p.OutW()*p.K), make([]float32, p.N*p.OutH()*p.OutW()*p.K)
				fewPadOff = true
				withThreads(th, func() { Conv2D(y1, x, w, bias, p) })
				fewPadOff, fewT16Off = false, true
				withThreads(th, func() { Conv2D(y2, x, w, bias, p) })
				compareExact(t, fmt.Sprintf("padded-copy gather vs offsets, %d threads, %v", th, p), y2, y1)
				fewT16Off = false
				withThreads(th, func() { Conv2D(y2, x, w, bias, p) })
				compareExact(t, fmt.Sprintf("16-position gather vs offsets, %d threads, %v", th, p), y2, y1)
			}
		})
	}
}

// BenchmarkSIMDConvPaths compares, under each SIMD implementation, the
// direct convolution with the generic im2col path running on the same
// implementation's Sgemm.
func BenchmarkSIMDConvPaths(b *testing.B) {
	for _, name := range Available() {
		im := implByName(name)
		if im.Conv2D == nil {
			continue
		}
		for _, sh := range benchConvShapes {
			p := sh.p
			g := tensor.NewRNG(1)
			x, w := randSlice(g, p.N*p.H*p.W*p.C), randSlice(g, p.K*p.C*p.R*p.S)
			y := make([]float32, p.N*p.OutH()*p.OutW()*p.K)
			for _, path := range []string{"direct", "im2col"} {
				b.Run("impl="+name+"/shape="+sh.name+"/path="+path, func(b *testing.B) {
					Use(name, func() {
						b.ReportAllocs()
						for b.Loop() {
							if path == "direct" {
								im.Conv2D(y, x, w, nil, p)
							} else {
								conv2DGeneric(y, x, w, nil, p.geom())
							}
						}
					})
					reportGFLOPs(b, p.flops())
				})
			}
		}
	}
}

func implByName(name string) *impl {
	regMu.Lock()
	defer regMu.Unlock()
	for _, im := range impls {
		if im.Name == name {
			return im
		}
	}
	return nil
}
