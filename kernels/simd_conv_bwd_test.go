package kernels

import (
	"fmt"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// TestConvBackwardWeightsChunks runs backward-weights on shapes whose
// reduction spans many float32 chunks (several levels of the pairwise sum,
// odd counts), units of unequal rows, groups of short units, stride-2 rows,
// narrow rows (shifted input copies), narrow strided rows (per-tap input
// copies) and threads splitting K instead of positions, on 1 to 3 threads,
// against the float64 reference.
func TestConvBackwardWeightsChunks(t *testing.T) {
	std := func(n, h, w, c, k, r, st, pad int) ConvParams {
		return ConvParams{N: n, H: h, W: w, C: c, K: k, R: r, S: r, StrideH: st, StrideW: st,
			PadH: pad, PadW: pad, DilH: 1, DilW: 1}
	}
	ps := []ConvParams{
		std(1, 150, 120, 3, 7, 3, 1, 1), // 18000 positions: 5 chunks per thread
		std(2, 70, 90, 5, 13, 3, 1, 0),  // rows split unevenly between units
		std(7, 6, 9, 24, 40, 3, 1, 1),   // short units in groups
		std(5, 3, 3, 16, 20, 3, 1, 1),   // more threads than rows per image
		std(1, 2, 30, 8, 8, 3, 1, 1),    // fewer units than threads
		std(2, 160, 100, 4, 9, 3, 2, 1), // stride 2: rows, several chunks
		std(3, 60, 61, 2, 5, 5, 1, 2),   // 5x5
		std(2, 9, 10, 6, 11, 5, 1, 2),   // 5x5, narrow: shifted input copies
		std(1, 5, 7, 20, 3, 3, 1, 0),    // no padding, narrow
		std(4, 32, 32, 24, 40, 3, 2, 1), // stride 2, 16 wide: per-tap input copies
		std(3, 20, 21, 6, 10, 5, 2, 2),  // 5x5 stride 2, 11 wide
		std(2, 17, 15, 12, 20, 1, 2, 0), // 1x1 stride 2 (downsample)
		std(2, 4, 4, 40, 70, 3, 1, 1),   // a partial larger than the input: threads split K
		std(2, 8, 8, 32, 50, 3, 2, 1),   // the same, strided
		{N: 2, H: 9, W: 20, C: 5, K: 7, R: 3, S: 3, StrideH: 1, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		{N: 2, H: 15, W: 14, C: 9, K: 13, R: 3, S: 2, StrideH: 2, StrideW: 3, PadH: 2, PadW: 1, DilH: 2, DilW: 1},
	}
	g := tensor.NewRNG(31)
	for _, p := range ps {
		x := randSlice(g, p.N*p.H*p.W*p.C)
		dy := randSlice(g, p.N*p.OutH()*p.OutW()*p.K)
		_, _, wdw, adw, wdb, adb := refConvBackward(x, make([]float32, p.K*p.C*p.R*p.S), dy, p)
		for _, th := range []int{1, 2, 3} {
			withThreads(th, func() {
				forEachImpl(t, func(t *testing.T) {
					dw, db := guarded(p.K*p.C*p.R*p.S, th), guarded(p.K, 0)
					Conv2DBackwardWeights(dw.s(), db.s(), x, dy, p)
					dw.check(t, "dw")
					db.check(t, "db")
					l := p.N * p.OutH() * p.OutW()
					compareReduction(t, fmt.Sprintf("threads=%d dw %v", th, p), dw.s(), wdw, adw, l)
					compareReduction(t, fmt.Sprintf("threads=%d db %v", th, p), db.s(), wdb, adb, l)
				})
			})
		}
	}
}

// bwdBenchShapes are convolution backward shapes of the U-Net training step
// (batch 4 at 256: the ResNet-34 stages and the stem) and the 64@128 layer
// of the kernels suite.
var bwdBenchShapes = []struct {
	name string
	p    ConvParams
}{
	{"64x128x128_3x3_k64_n1", ConvParams{N: 1, H: 128, W: 128, C: 64, K: 64, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}},
	{"64x64x64_3x3_k64_n4", ConvParams{N: 4, H: 64, W: 64, C: 64, K: 64, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}},
	{"256x16x16_3x3_k256_n4", ConvParams{N: 4, H: 16, W: 16, C: 256, K: 256, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}},
	{"512x8x8_3x3_k512_n4", ConvParams{N: 4, H: 8, W: 8, C: 512, K: 512, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}},
	{"64x64x64_3x3s2_k128_n4", ConvParams{N: 4, H: 64, W: 64, C: 64, K: 128, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1}},
	{"768x16x16_3x3_k256_n4", ConvParams{N: 4, H: 16, W: 16, C: 768, K: 256, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}},
	{"128x32x32_3x3_k128_n4", ConvParams{N: 4, H: 32, W: 32, C: 128, K: 128, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}},
	{"128x128x128_3x3_k32_n4", ConvParams{N: 4, H: 128, W: 128, C: 128, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}},
	{"32x256x256_3x3_k16_n4", ConvParams{N: 4, H: 256, W: 256, C: 32, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}},
	{"16x256x256_3x3_k16_n4", ConvParams{N: 4, H: 256, W: 256, C: 16, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}},
	{"256x16x16_3x3s2_k512_n4", ConvParams{N: 4, H: 16, W: 16, C: 256, K: 512, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1}},
	{"1x256x256_7x7s2_k64_n4", ConvParams{N: 4, H: 256, W: 256, C: 1, K: 64, R: 7, S: 7, StrideH: 2, StrideW: 2, PadH: 3, PadW: 3, DilH: 1, DilW: 1}},
}

// BenchmarkConvBackward times backward-data and backward-weights under the
// active implementation on 1 and 2 threads (the kernels' thread count is
// set per sub-benchmark: -cpu alone does not change it once set).
func BenchmarkConvBackward(b *testing.B) {
	for _, op := range []string{"data", "weights"} {
		for _, sh := range bwdBenchShapes {
			for _, th := range []int{1, 2} {
				p := sh.p
				b.Run(fmt.Sprintf("op=%s/shape=%s/threads=%d", op, sh.name, th), func(b *testing.B) {
					g := tensor.NewRNG(1)
					x, w := randSlice(g, p.N*p.H*p.W*p.C), randSlice(g, p.K*p.C*p.R*p.S)
					dy := randSlice(g, p.N*p.OutH()*p.OutW()*p.K)
					dw, dx := make([]float32, len(w)), make([]float32, len(x))
					withThreads(th, func() {
						run := func() {
							if op == "data" {
								Conv2DBackwardData(dx, dy, w, p)
							} else {
								Conv2DBackwardWeights(dw, nil, x, dy, p)
							}
						}
						run()
						b.ReportAllocs()
						b.ResetTimer()
						cpu0 := processCPU()
						for range b.N {
							run()
						}
						cpu := processCPU() - cpu0
						b.ReportMetric(float64(cpu.Nanoseconds())/1e6/float64(b.N), "cpu-ms/op")
					})
					reportGFLOPs(b, p.flops())
				})
			}
		}
	}
}
