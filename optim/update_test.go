package optim

import (
	"fmt"
	"math"
	"testing"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// TestSGDMatchesScalarLoop runs SGD in every configuration for 3 steps
// (the first initialises the momentum buffer) through Step and through the
// scalar loop it replaced (legacySGDStep), on tensors around the block size
// and one split across threads; they must agree as checkULPs says (bit for
// bit on amd64).
func TestSGDMatchesScalarLoop(t *testing.T) {
	cfgs := map[string]SGDConfig{
		"plain":    {LR: 0.1},
		"wd":       {LR: 0.1, WeightDecay: 0.01},
		"momentum": {LR: 0.05, Momentum: 0.9, WeightDecay: 1e-3},
		"damp":     {LR: 0.05, Momentum: 0.9, Dampening: 0.3},
		"nesterov": {LR: 0.05, Momentum: 0.8, Nesterov: true, WeightDecay: 0.001},
	}
	params := func() []*nn.Value {
		rng := tensor.NewRNG(5)
		var ps []*nn.Value
		for _, n := range []int{1, 511, 512, 513, 1025, 100003} {
			ps = append(ps, nn.Param(rng.Randn(n)))
		}
		return append(ps, nn.Param(rng.Randn(9))) // never gets a gradient
	}
	for name, cfg := range cfgs {
		t.Run(name, func(t *testing.T) {
			a, b := params(), params()
			oa, ob := NewSGD(a, cfg), NewSGD(b, cfg)
			rng := tensor.NewRNG(9)
			for step := range 3 {
				for i := range len(a) - 1 {
					rng.FillNormal(a[i].GradTensor(), 0, 1)
					b[i].GradTensor().CopyFrom(a[i].Grad)
				}
				oa.Step()
				legacySGDStep(ob)
				for i := range a {
					checkULPs(t, fmt.Sprintf("step %d param %d", step, i), a[i].Data.Data, b[i].Data.Data)
					if oa.bufs[i] != nil {
						checkULPs(t, fmt.Sprintf("step %d momentum %d", step, i), oa.bufs[i].Data, ob.bufs[i].Data)
					}
				}
			}
		})
	}
}

// TestClipGradNormThreaded checks the blocked, threaded norm against the
// serial float64 sum (within 1e-12 relative: only the order of the float64
// additions differs), that it gives the same bits on 1 and 2 threads, and
// the scaling against the serial loop, on gradients of several blocks.
func TestClipGradNormThreaded(t *testing.T) {
	rng := tensor.NewRNG(4)
	var a, b []*nn.Value
	for _, n := range []int{3, normBlock - 1, 3*normBlock + 7, 100} {
		p, q := nn.Param(tensor.New(n)), nn.Param(tensor.New(n))
		rng.FillNormal(p.GradTensor(), 0, 1)
		q.GradTensor().CopyFrom(p.Grad)
		a, b = append(a, p), append(b, q)
	}
	want := legacyClipGradNorm(b, 1e9)
	var norms []float64
	for _, th := range []int{1, 2} {
		old := kernels.Threads()
		kernels.SetThreads(th)
		norms = append(norms, ClipGradNorm(a, 1e9))
		kernels.SetThreads(old)
	}
	if math.Abs(norms[0]-want) > 1e-12*want || math.Float64bits(norms[0]) != math.Float64bits(norms[1]) {
		t.Fatalf("norm %v (1 thread), %v (2 threads), want %v", norms[0], norms[1], want)
	}
	got, wantc := ClipGradNorm(a, 2), legacyClipGradNorm(b, 2)
	if math.Abs(got-wantc) > 1e-12*wantc {
		t.Fatalf("norm %v, want %v", got, wantc)
	}
	for i := range a {
		checkULPs(t, fmt.Sprintf("clipped grad %d", i), a[i].Grad.Data, b[i].Grad.Data)
	}
}
