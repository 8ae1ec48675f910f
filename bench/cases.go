package bench

import (
	"fmt"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/tensor"
)

// The "kernels" suite: the shapes of the issue, N = 1, float32.

// conv3x3 lists the 3x3 s1 p1 shapes (channels in = out, input size).
var conv3x3 = [][2]int{{64, 128}, {64, 64}, {128, 32}, {256, 16}, {512, 8}, {16, 256}, {32, 256}}

// KernelCases returns the "kernels" suite.
func KernelCases() []Case {
	var cs []Case
	for _, n := range []int{512, 1024} {
		cs = append(cs, SgemmCase(n, n, n))
	}
	for _, s := range conv3x3 {
		cs = append(cs, ConvCase(convParams(s[0], s[1], s[0], 3, 1, 1)))
	}
	cs = append(cs,
		ConvCase(convParams(1, 512, 64, 7, 2, 3)),
		ConvCase(convParams(3, 512, 64, 7, 2, 3)),
		ConvCase(convParams(64, 64, 128, 1, 1, 0)),
		ConvFwdBwdCase(convParams(64, 128, 64, 3, 1, 1)),
		ConvTransposeCase(kernels.ConvTransposeParams{N: 1, H: 16, W: 16, C: 256, K: 128, R: 2, S: 2,
			StrideH: 2, StrideW: 2, DilH: 1, DilW: 1}),
		MaxPoolCase(kernels.PoolParams{N: 1, H: 256, W: 256, C: 64, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}),
	)
	return cs
}

func convParams(c, hw, k, r, stride, pad int) kernels.ConvParams {
	return kernels.ConvParams{N: 1, H: hw, W: hw, C: c, K: k, R: r, S: r,
		StrideH: stride, StrideW: stride, PadH: pad, PadW: pad, DilH: 1, DilW: 1}
}

func randData(rng *tensor.RNG, n int, scale float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Uniform(-scale, scale)
	}
	return s
}

// SgemmCase is C[m, n] = A[m, k] B[k, n] (no transposes, beta = 0).
func SgemmCase(m, n, k int) Case {
	shape := fmt.Sprintf("%dx%dx%d", m, n, k)
	if m == n && n == k {
		shape = fmt.Sprintf("%d^3", n)
	}
	return Case{Op: "sgemm", Shape: shape, Flops: 2 * float64(m) * float64(n) * float64(k),
		Setup: func() func() {
			rng := tensor.NewRNG(1)
			a, b, c := randData(rng, m*k, 1), randData(rng, k*n, 1), make([]float32, m*n)
			return func() { kernels.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n) }
		}}
}

// ConvShape formats p as "RxS sN pP C->K @HxW nN".
func ConvShape(p kernels.ConvParams) string {
	return fmt.Sprintf("%dx%d s%d p%d %d->%d @%dx%d n%d", p.R, p.S, p.StrideH, p.PadH, p.C, p.K, p.H, p.W, p.N)
}

func convFlops(p kernels.ConvParams) float64 {
	return 2 * float64(p.N) * float64(p.OutH()) * float64(p.OutW()) * float64(p.K) * float64(p.C) * float64(p.R) * float64(p.S)
}

// ConvCase is Conv2D forward (NHWC, no bias).
func ConvCase(p kernels.ConvParams) Case {
	return Case{Op: "conv2d", Shape: ConvShape(p), Flops: convFlops(p),
		Setup: func() func() {
			rng := tensor.NewRNG(2)
			x := randData(rng, p.N*p.H*p.W*p.C, 1)
			w := randData(rng, p.K*p.C*p.R*p.S, 0.05)
			y := make([]float32, p.N*p.OutH()*p.OutW()*p.K)
			return func() { kernels.Conv2D(y, x, w, nil, p) }
		}}
}

// ConvFwdBwdCase is Conv2D forward, backward-data and backward-weights
// (with the bias gradient): a training step of one layer, 3x the forward
// flops.
func ConvFwdBwdCase(p kernels.ConvParams) Case {
	return Case{Op: "conv2d fwd+bwd", Shape: ConvShape(p), Flops: 3 * convFlops(p),
		Setup: func() func() {
			rng := tensor.NewRNG(3)
			x := randData(rng, p.N*p.H*p.W*p.C, 1)
			w := randData(rng, p.K*p.C*p.R*p.S, 0.05)
			ny := p.N * p.OutH() * p.OutW() * p.K
			y, dy := make([]float32, ny), randData(rng, ny, 1)
			dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, p.K)
			return func() {
				kernels.Conv2D(y, x, w, nil, p)
				kernels.Conv2DBackwardData(dx, dy, w, p)
				kernels.Conv2DBackwardWeights(dw, db, x, dy, p)
			}
		}}
}

// ConvTransposeCase is ConvTranspose2D forward (no bias).
func ConvTransposeCase(p kernels.ConvTransposeParams) Case {
	oh := (p.H-1)*p.StrideH - 2*p.PadH + p.DilH*(p.R-1) + p.OutPadH + 1
	ow := (p.W-1)*p.StrideW - 2*p.PadW + p.DilW*(p.S-1) + p.OutPadW + 1
	shape := fmt.Sprintf("%dx%d s%d p%d %d->%d @%dx%d n%d", p.R, p.S, p.StrideH, p.PadH, p.C, p.K, p.H, p.W, p.N)
	flops := 2 * float64(p.N*p.H*p.W) * float64(p.C*p.K*p.R*p.S)
	return Case{Op: "conv_transpose2d", Shape: shape, Flops: flops,
		Setup: func() func() {
			rng := tensor.NewRNG(4)
			x := randData(rng, p.N*p.H*p.W*p.C, 1)
			w := randData(rng, p.C*p.K*p.R*p.S, 0.05)
			y := make([]float32, p.N*oh*ow*p.K)
			return func() { kernels.ConvTranspose2D(y, x, w, nil, p) }
		}}
}

// MaxPoolCase is MaxPool2D forward with the argmax for backward. It has no
// flop count (GFLOPS and PeakPct are 0).
func MaxPoolCase(p kernels.PoolParams) Case {
	shape := fmt.Sprintf("%dx%d s%d p%d %dch @%dx%d n%d", p.R, p.S, p.StrideH, p.PadH, p.C, p.H, p.W, p.N)
	oh := (p.H+2*p.PadH-p.R)/p.StrideH + 1
	ow := (p.W+2*p.PadW-p.S)/p.StrideW + 1
	return Case{Op: "maxpool2d", Shape: shape,
		Setup: func() func() {
			rng := tensor.NewRNG(5)
			x := randData(rng, p.N*p.H*p.W*p.C, 1)
			y := make([]float32, p.N*oh*ow*p.C)
			am := make([]int32, len(y))
			return func() { kernels.MaxPool2D(y, am, x, p) }
		}}
}
