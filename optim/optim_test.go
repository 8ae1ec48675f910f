package optim

import (
	"fmt"
	"math"
	"testing"

	"github.com/lungo-ml/lungo/internal/golden"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

func loadGold(t *testing.T) *golden.File {
	t.Helper()
	g, err := golden.Load("../testdata/optim.gold")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// quadratic holds the golden problem: params p_i, curvatures a_i, centres c_i
// and a parameter that never gets a gradient.
type quadratic struct {
	params []*nn.Value
	a, c   []*tensor.Tensor
	frozen *nn.Value
}

func newQuadratic(g *golden.File) *quadratic {
	q := &quadratic{frozen: nn.Param(g.Get("frozen").Clone())}
	for i := range 2 {
		q.params = append(q.params, nn.Param(g.Get(fmt.Sprintf("p%d.init", i)).Clone()))
		q.a = append(q.a, g.Get(fmt.Sprintf("p%d.a", i)))
		q.c = append(q.c, g.Get(fmt.Sprintf("p%d.c", i)))
	}
	return q
}

// all returns the parameters including the frozen one.
func (q *quadratic) all() []*nn.Value { return append(append([]*nn.Value(nil), q.params...), q.frozen) }

// setGrads sets grad = (p - c) * a in float32, as the golden script does.
func (q *quadratic) setGrads() {
	for i, p := range q.params {
		g := p.GradTensor()
		for k, w := range p.Data.Data {
			g.Data[k] = (w - q.c[i].Data[k]) * q.a[i].Data[k]
		}
	}
}

var optimCases = map[string]func([]*nn.Value) Optimizer{
	"sgd":     func(p []*nn.Value) Optimizer { return NewSGD(p, SGDConfig{LR: 0.1}) },
	"sgd_mom": func(p []*nn.Value) Optimizer { return NewSGD(p, SGDConfig{LR: 0.1, Momentum: 0.9}) },
	"sgd_damp": func(p []*nn.Value) Optimizer {
		return NewSGD(p, SGDConfig{LR: 0.05, Momentum: 0.9, Dampening: 0.3, WeightDecay: 0.01})
	},
	"sgd_nesterov": func(p []*nn.Value) Optimizer {
		return NewSGD(p, SGDConfig{LR: 0.05, Momentum: 0.8, Nesterov: true, WeightDecay: 0.001})
	},
	"adam": func(p []*nn.Value) Optimizer { return NewAdam(p, DefaultAdam(0.1)) },
	"adam_wd_ams": func(p []*nn.Value) Optimizer {
		c := DefaultAdam(0.05)
		c.WeightDecay, c.AMSGrad = 0.1, true
		return NewAdam(p, c)
	},
	"adamw": func(p []*nn.Value) Optimizer { return NewAdamW(p, DefaultAdamW(0.1)) },
	"adamw_ams": func(p []*nn.Value) Optimizer {
		return NewAdamW(p, AdamConfig{LR: 0.02, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.5, AMSGrad: true})
	},
	"sgd_clip": func(p []*nn.Value) Optimizer { return NewSGD(p, SGDConfig{LR: 0.1, Momentum: 0.5}) },
}

// TestOptimizersGolden runs 5 steps of every optimizer and compares the
// parameters after each step with PyTorch 1.13 (atol 1e-6, rtol 1e-5: both
// compute in float32, Go without fused multiply-adds).
func TestOptimizersGolden(t *testing.T) {
	g := loadGold(t)
	for name, make := range optimCases {
		t.Run(name, func(t *testing.T) {
			q := newQuadratic(g)
			opt := make(q.all())
			for step := 1; step <= 5; step++ {
				opt.ZeroGrad()
				q.setGrads()
				if name == "sgd_clip" {
					norm := ClipGradNorm(q.all(), 0.5)
					want := float64(g.Get(name + ".norms").Data[step-1])
					if math.Abs(norm-want) > 1e-5*want {
						t.Errorf("step %d: total norm %g, want %g", step, norm, want)
					}
				}
				opt.Step()
				for i, p := range q.params {
					key := fmt.Sprintf("%s.p%d.step%d", name, i, step)
					golden.Compare(t, key, p.Data, g.Get(key), 1e-6, 1e-5)
				}
			}
			if f := q.frozen.Data.Data; f[0] != 1.5 || f[1] != -2.5 || q.frozen.Grad != nil {
				t.Errorf("parameter without gradient changed: %v", f)
			}
		})
	}
}

// TestOptimizerResume checks that State/LoadState (through Encode/Decode)
// resumes exactly: 3 steps, save, 2 more steps on a fresh optimizer loaded
// from the state equal 5 uninterrupted steps bit for bit.
func TestOptimizerResume(t *testing.T) {
	g := loadGold(t)
	for name, make := range optimCases {
		t.Run(name, func(t *testing.T) {
			ref := newQuadratic(g)
			refOpt := make(ref.all())
			run := func(q *quadratic, o Optimizer, n int) {
				for range n {
					o.ZeroGrad()
					q.setGrads()
					o.Step()
				}
			}
			run(ref, refOpt, 5)

			q := newQuadratic(g)
			o := make(q.all())
			run(q, o, 3)
			o.SetLR(o.LR()) // no-op; the state must carry lr itself
			sd, meta := nn.NewStateDict(), map[string]string{}
			o.State().Encode("optim.", sd, meta)
			st, err := DecodeState("optim.", sd, meta)
			if err != nil {
				t.Fatal(err)
			}
			o2 := make(q.all())
			o2.SetLR(123) // overwritten by LoadState
			if err := o2.LoadState(st); err != nil {
				t.Fatal(err)
			}
			run(q, o2, 2)
			for i := range q.params {
				for k, w := range ref.params[i].Data.Data {
					if q.params[i].Data.Data[k] != w {
						t.Fatalf("param %d[%d]: resumed %g, uninterrupted %g", i, k, q.params[i].Data.Data[k], w)
					}
				}
			}
		})
	}
}

func TestOptimizerLoadStateErrors(t *testing.T) {
	p := []*nn.Value{nn.Param(tensor.New(2, 2)), nn.Param(tensor.New(3))}
	adam := NewAdam(p, DefaultAdam(0.1))
	for _, v := range p {
		v.GradTensor().Fill(1)
	}
	adam.Step()
	st := adam.State()
	if err := NewAdamW(p, DefaultAdamW(0.1)).LoadState(st); err == nil {
		t.Errorf("AdamW accepted an Adam state")
	}
	if err := NewSGD(p, SGDConfig{LR: 1}).LoadState(st); err == nil {
		t.Errorf("SGD accepted an Adam state")
	}
	other := []*nn.Value{nn.Param(tensor.New(4)), nn.Param(tensor.New(3))}
	o := NewAdam(other, DefaultAdam(0.5))
	if err := o.LoadState(st); err == nil {
		t.Errorf("state of a [2 2] parameter loaded into a [4] one")
	} else if o.LR() != 0.5 {
		t.Errorf("failed LoadState changed lr to %g", o.LR())
	}
	if err := NewAdam(p[:1], DefaultAdam(0.1)).LoadState(st); err == nil {
		t.Errorf("state of 2 parameters loaded into an optimizer of 1")
	}
	delete(st.Scalars, "beta2")
	if err := NewAdam(p, DefaultAdam(0.1)).LoadState(st); err == nil {
		t.Errorf("state without beta2 accepted")
	}
	if _, err := DecodeState("x.", nn.NewStateDict(), map[string]string{"x.kind": "adam", "x.lr": "fast"}); err == nil {
		t.Errorf("a non-numeric scalar decoded")
	}
	if _, err := DecodeState("y.", nil, map[string]string{}); err == nil {
		t.Errorf("a missing state decoded")
	}
}

// TestClipGradNorm checks the norm, the scaling and that small gradients are
// left untouched.
func TestClipGradNorm(t *testing.T) {
	a, b, c := nn.Param(tensor.New(2)), nn.Param(tensor.New(1)), nn.Param(tensor.New(3))
	a.GradTensor().Data[0], a.Grad.Data[1], b.GradTensor().Data[0] = 3, 0, 4 // c has no gradient
	params := []*nn.Value{a, b, c}
	if n := ClipGradNorm(params, 10); n != 5 || a.Grad.Data[0] != 3 {
		t.Errorf("norm %g, grad %v after a no-op clip", n, a.Grad.Data)
	}
	if n := ClipGradNorm(params, 1); n != 5 {
		t.Errorf("norm %g, want 5", n)
	}
	if got := ClipGradNorm(params, 1); math.Abs(got-1) > 1e-6 {
		t.Errorf("norm after clipping to 1 = %g", got)
	}
	if c.Grad != nil {
		t.Errorf("clip allocated a gradient for a parameter without one")
	}
	b.Grad.Data[0] = float32(math.NaN())
	if n := ClipGradNorm(params, 1); !math.IsNaN(n) {
		t.Errorf("norm with a NaN gradient = %g", n)
	}
}

func TestOptimizerPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"sgd lr":    func() { NewSGD(nil, SGDConfig{LR: -1}) },
		"nesterov":  func() { NewSGD(nil, SGDConfig{LR: 1, Nesterov: true}) },
		"adam beta": func() { NewAdam(nil, AdamConfig{LR: 1, Beta1: 1, Beta2: 0.9}) },
		"steplr":    func() { NewStepLR(NewSGD(nil, SGDConfig{LR: 1}), 0, 0.1) },
		"cosine":    func() { NewWarmupCosine(NewSGD(nil, SGDConfig{LR: 1}), 5, 3, 0) },
		"plateau":   func() { NewReduceLROnPlateau(NewSGD(nil, SGDConfig{LR: 1}), PlateauConfig{Factor: 1}) },
	} {
		func() {
			defer func() {
				if se, ok := recover().(*tensor.ShapeError); !ok || se.Pkg != "optim" {
					t.Errorf("%s: want a panic from optim", name)
				}
			}()
			f()
		}()
	}
}
