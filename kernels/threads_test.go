package kernels

import (
	"fmt"
	"math"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// unetConvs are the convolutions of a U-Net-ResNet18/34 training step on
// size x size images, batch n (encoder, decoder, head), as ConvParams.
func unetConvs(n, size int) []ConvParams {
	c := func(h, cin, cout, k, stride int) ConvParams {
		return ConvParams{N: n, H: h, W: h, C: cin, K: cout, R: k, S: k, StrideH: stride, StrideW: stride,
			PadH: k / 2, PadW: k / 2, DilH: 1, DilW: 1}
	}
	s := size
	return []ConvParams{
		c(s, 1, 64, 7, 2),                                                    // stem
		c(s/4, 64, 64, 3, 1),                                                 // layer1
		c(s/4, 64, 128, 3, 2), c(s/8, 128, 128, 3, 1), c(s/4, 64, 128, 1, 2), // layer2
		c(s/8, 128, 256, 3, 2), c(s/16, 256, 256, 3, 1), c(s/8, 128, 256, 1, 2),
		c(s/16, 256, 512, 3, 2), c(s/32, 512, 512, 3, 1), c(s/16, 256, 512, 1, 2),
		c(s/16, 768, 256, 3, 1), c(s/16, 256, 256, 3, 1), // decoder blocks
		c(s/8, 384, 128, 3, 1), c(s/8, 128, 128, 3, 1),
		c(s/4, 192, 64, 3, 1), c(s/4, 64, 64, 3, 1),
		c(s/2, 128, 32, 3, 1), c(s/2, 32, 32, 3, 1),
		c(s, 32, 16, 3, 1), c(s, 16, 16, 3, 1),
		c(s, 16, 1, 3, 1), // head
	}
}

// TestThreadCountIndependence checks that every kernel of a U-Net training
// step gives bit-identical results on 1, 2 and 3 threads at the U-Net's
// shapes (batch 2 at 64x64, batch 4 at 128x128), for the active
// implementation: the deterministic training mode rests on it.
func TestThreadCountIndependence(t *testing.T) {
	if testing.Short() {
		t.Skip("U-Net-sized shapes")
	}
	rng := tensor.NewRNG(17)
	fill := func(n int) []float32 { return randSlice(rng, n) }
	// runs calls fn on 1, 2 and 3 threads and compares its outputs.
	runs := func(name string, outs func() [][]float32, fn func(out [][]float32)) {
		var ref [][]float32
		for _, th := range []int{1, 2, 3} {
			o := outs()
			withThreads(th, func() { fn(o) })
			if ref == nil {
				ref = o
				continue
			}
			for i := range o {
				if d := firstBitDiff(o[i], ref[i]); d >= 0 {
					t.Errorf("%s output %d: %d threads differ from 1 at [%d]: %v vs %v", name, i, th, d, o[i][d], ref[i][d])
				}
			}
		}
	}
	for _, sz := range []struct{ n, size int }{{2, 64}, {4, 128}} {
		for _, p := range unetConvs(sz.n, sz.size) {
			oh, ow := p.OutH(), p.OutW()
			x := fill(p.N * p.H * p.W * p.C)
			w := fill(p.K * p.C * p.R * p.S)
			dy := fill(p.N * oh * ow * p.K)
			name := fmt.Sprintf("n%d %dx%d %d->%d k%d s%d", p.N, p.H, p.W, p.C, p.K, p.R, p.StrideH)
			runs("Conv2D "+name, func() [][]float32 { return [][]float32{make([]float32, len(dy))} },
				func(o [][]float32) { Conv2D(o[0], x, w, nil, p) })
			runs("Conv2DBackwardData "+name, func() [][]float32 { return [][]float32{make([]float32, len(x))} },
				func(o [][]float32) { Conv2DBackwardData(o[0], dy, w, p) })
			runs("Conv2DBackwardWeights "+name, func() [][]float32 { return [][]float32{make([]float32, len(w)), make([]float32, p.K)} },
				func(o [][]float32) { Conv2DBackwardWeights(o[0], o[1], x, dy, p) })
			// Batch norm on the output's [M, K].
			m, c := p.N*oh*ow, p.K
			runs("BatchNormStats "+name, func() [][]float32 { return [][]float32{make([]float32, c), make([]float32, c), make([]float32, c)} },
				func(o [][]float32) { BatchNormStats(o[0], o[1], o[2], dy, m, c, 1e-5) })
			mean, vr, inv := make([]float32, c), make([]float32, c), make([]float32, c)
			BatchNormStats(mean, vr, inv, dy, m, c, 1e-5)
			gamma := fill(c)
			runs("BatchNormBackward "+name, func() [][]float32 { return [][]float32{make([]float32, m*c), make([]float32, c), make([]float32, c)} },
				func(o [][]float32) { BatchNormBackward(o[0], o[1], o[2], dy, dy, mean, inv, gamma, m, c, true) })
			runs("SumRows "+name, func() [][]float32 { return [][]float32{make([]float32, c)} },
				func(o [][]float32) { SumRows(o[0], dy, m, c) })
		}
	}
}

// firstBitDiff returns the first index where a and b differ bit for bit,
// or -1.
func firstBitDiff(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}
