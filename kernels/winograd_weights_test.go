package kernels

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// Winograd F(2x2,3x3) backward-weights against the float64 sums: through
// Conv2DBackwardWeights with every impl (where it has the assembly
// transforms), and through winogradWeights with the Go transforms and a Go
// micro-kernel of odd tile sizes on every build (purego, arm64 included).

// winoWeightsCases are 3x3 stride-1 shapes: odd sizes (tiles sticking out
// of the output), paddings 0-2 (different on H and W), channels off the
// vector widths, several images, more than one block and chunk.
func winoWeightsCases() []ConvParams {
	std := func(n, h, w, c, k, ph, pw int) ConvParams {
		return ConvParams{N: n, H: h, W: w, C: c, K: k, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: ph, PadW: pw, DilH: 1, DilW: 1}
	}
	return []ConvParams{
		std(1, 8, 8, 16, 16, 1, 1),
		std(2, 7, 9, 17, 33, 1, 1),
		std(1, 13, 11, 9, 8, 0, 0),
		std(1, 5, 6, 24, 40, 2, 2),
		std(3, 3, 3, 1, 3, 1, 1),
		std(1, 30, 29, 32, 65, 1, 1),
		std(2, 18, 17, 64, 31, 1, 1),
		std(1, 10, 9, 8, 16, 0, 2),
		std(3, 21, 20, 33, 13, 2, 1),
		std(1, 100, 90, 5, 7, 1, 1), // 2550 tiles: several blocks, two chunks
	}
}

// goMicroKernelOf is a Go micro-kernel (the loops of microKernel.fn and
// fnBlocks) with a tile of mr x nr, to test drivers on tile sizes no
// assembly kernel has.
func goMicroKernelOf(mr, nr int) *microKernel {
	return &microKernel{name: fmt.Sprintf("go-%dx%d", mr, nr), mr: mr, nr: nr,
		fn: func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
			for i := 0; i < mr; i++ {
				for j := 0; j < nr; j++ {
					s := c[i*ldc+j]
					for p := 0; p < k; p++ {
						s += a[i*lda+p] * b[p*ldb+j]
					}
					c[i*ldc+j] = s
				}
			}
		},
		fnBlocks: func(nb, kb, ab int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
			for i := 0; i < mr; i++ {
				for j := 0; j < nr; j++ {
					s := c[i*ldc+j]
					for q := 0; q < nb; q++ {
						for p := 0; p < kb; p++ {
							s += a[i*lda+q*ab+p] * b[(q*kb+p)*ldb+j]
						}
					}
					c[i*ldc+j] = s
				}
			}
		}}
}

// TestWinogradWeights checks dw (and db) of Conv2DBackwardWeights with
// Winograd forced on every case, impl and 1-3 threads (on 2 and 3 split
// by the rule, by rows of K and by tiles), with NaN guards
// and slice offsets, against the float64 reference; on impls without the
// transforms it checks the direct path the same way.
func TestWinogradWeights(t *testing.T) {
	defer func(old bool) { winoForce = old }(winoForce)
	defer func(old int) { winoWeightsKSplit = old }(winoWeightsKSplit)
	defer SetWinograd(SetWinograd(true))
	winoForce = true
	g := tensor.NewRNG(41)
	for i, p := range winoWeightsCases() {
		off := offsets[i%len(offsets)]
		x := guardedFrom(randSlice(g, p.N*p.H*p.W*p.C), off)
		dy := guardedFrom(randSlice(g, p.N*p.OutH()*p.OutW()*p.K), (off+1)%4)
		fx, fdy := freeze("x", x.s()), freeze("dy", dy.s())
		_, _, wdw, adw, wdb, adb := refConvBackward(x.s(), make([]float32, p.K*p.C*9), dy.s(), p)
		l := p.N * p.OutH() * p.OutW()
		for th := 1; th <= 3; th++ {
			for _, ks := range []int{0, 1, -1} {
				if th == 1 && ks != 0 {
					continue
				}
				winoWeightsKSplit = ks
				withThreads(th, func() {
					forEachImpl(t, func(t *testing.T) {
						dw, db := guarded(p.K*p.C*9, (off+2)%4), guarded(p.K, off)
						Conv2DBackwardWeights(dw.s(), db.s(), x.s(), dy.s(), p)
						name := fmt.Sprintf("threads=%d ksplit=%d %v", th, ks, p)
						dw.check(t, name+" dw")
						db.check(t, name+" db")
						compareWino(t, name+" dw", dw.s(), wdw, adw, l)
						compareReduction(t, name+" db", db.s(), wdb, adb, l)
					})
				})
			}
		}
		fx.check(t)
		fdy.check(t)
	}
}

// TestWinogradWeightsGo runs winogradWeights with the Go transforms and Go
// micro-kernels whose tiles divide none of the channel counts (with tail
// kernels of 2x5 or 1x4 where winoTailKernel picks one), small blocks
// (many blocks, chunk pushes), on 1 and 3 threads (split by rows of K, by
// tiles or by the rule).
func TestWinogradWeightsGo(t *testing.T) {
	defer func(old int) { winoWeightsTB = old }(winoWeightsTB)
	defer func(old int) { winoWeightsKSplit = old }(winoWeightsKSplit)
	g := tensor.NewRNG(43)
	tails := 0
	defer func() {
		if tails == 0 {
			t.Error("no case ran a tail kernel")
		}
	}()
	for i, p := range winoWeightsCases() {
		x := randSlice(g, p.N*p.H*p.W*p.C)
		dy := randSlice(g, p.N*p.OutH()*p.OutW()*p.K)
		_, _, wdw, adw, _, _ := refConvBackward(x, make([]float32, p.K*p.C*9), dy, p)
		l := p.N * p.OutH() * p.OutW()
		for _, mk := range []*microKernel{goMicroKernelOf(3, 5), goMicroKernelOf(4, 8)} {
			// A tail kernel where K%mr leaves rows it covers in fewer.
			tail := winoTailKernel([]*microKernel{mk, goMicroKernelOf(2, 5), goMicroKernelOf(1, 4)}, mk, p.K)
			if tail != nil {
				tails++
			}
			for _, th := range []int{1, 3} {
				winoWeightsTB = []int{0, 7, 16}[i%3]
				winoWeightsKSplit = []int{1, -1, 0}[i%3]
				dw := guarded(p.K*p.C*9, i%4)
				withThreads(th, func() { winogradWeights(mk, tail, &winoGo2, nil, dw.s(), x, dy, convGeomOf(p)) })
				name := fmt.Sprintf("%s tail %v tb=%d ksplit=%d threads=%d %v", mk.name, tail != nil, winoWeightsTB, winoWeightsKSplit, th, p)
				dw.check(t, name+" dw")
				compareWino(t, name+" dw", dw.s(), wdw, adw, l)
			}
		}
	}
}

// convGeomOf returns p's geometry.
func convGeomOf(p ConvParams) convGeom { return p.geom() }

// TestWinogradWeightsError measures, on U-Net-like shapes with unit normal
// x and dy, the error of backward-weights by the direct path and by
// F(2x2,3x3) against the float64 sum: the largest and the RMS error
// relative to the RMS of dw. It logs them (go test -v -run
// WinogradWeightsError) and fails if Winograd's RMS error exceeds twice
// the direct path's, or 1e-5 of the RMS dw.
func TestWinogradWeightsError(t *testing.T) {
	if winoFor(&simdImpl{kernels: []*microKernel{goMicroKernelOf(4, 8)}}, 2) == nil {
		t.Skip("no SIMD Winograd in this build")
	}
	defer func(old bool) { winoForce = old }(winoForce)
	defer SetWinograd(SetWinograd(true))
	winoForce = true
	std := func(n, hw, c int) ConvParams {
		return ConvParams{N: n, H: hw, W: hw, C: c, K: c, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
	}
	for _, p := range []ConvParams{std(1, 128, 32), std(2, 64, 64), std(4, 16, 128)} {
		g := tensor.NewRNG(uint64(p.C))
		x, dy := make([]float32, p.N*p.H*p.W*p.C), make([]float32, p.N*p.OutH()*p.OutW()*p.K)
		for i := range x {
			x[i] = g.Normal()
		}
		for i := range dy {
			dy[i] = g.Normal()
		}
		_, _, want, _, _, _ := refConvBackward(x, make([]float32, p.K*p.C*9), dy, p)
		var ss float64
		for _, v := range want {
			ss += v * v
		}
		rms := math.Sqrt(ss / float64(len(want)))
		var rmsErr [2]float64
		for vi, on := range []bool{false, true} {
			SetWinograd(on)
			dw := make([]float32, len(want))
			withThreads(2, func() { Conv2DBackwardWeights(dw, nil, x, dy, p) })
			var maxE, se float64
			for i, v := range want {
				d := math.Abs(float64(dw[i]) - v)
				maxE = max(maxE, d)
				se += d * d
			}
			rmsErr[vi] = math.Sqrt(se/float64(len(want))) / rms
			t.Logf("%v winograd=%v: max %.2e  rms %.2e (relative to the RMS dw %.1f)", p, on, maxE/rms, rmsErr[vi], rms)
		}
		if Active().Name != "generic" && (rmsErr[1] > 2*rmsErr[0] || rmsErr[1] > 1e-5) {
			t.Errorf("%v: Winograd RMS error %.2e against the direct path's %.2e", p, rmsErr[1], rmsErr[0])
		}
	}
}

// BenchmarkWinogradWeights compares backward-weights by the direct path
// and by F(2x2,3x3) with the active impl's first and second micro-kernel
// (avx512: 12x32 and 6x16; the first again where there is one), on 1 and 2 threads, over the U-Net's 3x3 stride-1
// shapes.
func BenchmarkWinogradWeights(b *testing.B) {
	defer func(old bool) { winoForce = old }(winoForce)
	defer SetWinograd(SetWinograd(true))
	if winoSIMD2 == nil || Active().Name == "generic" {
		b.Skip("no SIMD Winograd in this build")
	}
	std := func(n, hw, c, k int) ConvParams {
		return ConvParams{N: n, H: hw, W: hw, C: c, K: k, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
	}
	shapes := []ConvParams{std(1, 128, 64, 64), std(4, 128, 64, 64), std(4, 64, 64, 64), std(4, 32, 128, 128),
		std(4, 16, 256, 256), std(4, 8, 512, 512), std(4, 256, 16, 16), std(4, 256, 32, 32), std(4, 256, 32, 16)}
	variants := []string{"direct", "wino-kernel0", "wino-kernel1", "direct-kernel0", "direct-kernel1"}
	if v := os.Getenv("LUNGO_WWKS"); v != "" {
		defer func(old int) { winoWeightsKSplit = old }(winoWeightsKSplit)
		winoWeightsKSplit, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("LUNGO_WWTB"); v != "" {
		defer func(old int) { winoWeightsTB = old }(winoWeightsTB)
		winoWeightsTB, _ = strconv.Atoi(v)
	}
	for _, p := range shapes {
		for _, th := range []int{1, 2} {
			for vi, v := range variants {
				b.Run(fmt.Sprintf("shape=%dx%dx%d_k%d_n%d/threads=%d/%s", p.C, p.H, p.W, p.K, p.N, th, v), func(b *testing.B) {
					g := tensor.NewRNG(1)
					x, dy := randSlice(g, p.N*p.H*p.W*p.C), randSlice(g, p.N*p.OutH()*p.OutW()*p.K)
					dw := make([]float32, p.K*p.C*9)
					wino := vi == 1 || vi == 2
					SetWinograd(wino)
					winoForce = wino
					defer func() { winoWeightsMK, weightsMK = -1, -1 }()
					if wino {
						winoWeightsMK = vi - 1
					} else if vi > 0 {
						weightsMK = vi - 3
					}
					withThreads(th, func() {
						Conv2DBackwardWeights(dw, nil, x, dy, p)
						b.ReportAllocs()
						b.ResetTimer()
						cpu0 := processCPU()
						for range b.N {
							Conv2DBackwardWeights(dw, nil, x, dy, p)
						}
						b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/1e6/float64(b.N), "cpu-ms/op")
					})
					reportGFLOPs(b, p.flops())
				})
			}
		}
	}
}
