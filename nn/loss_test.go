package nn

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/lungo-ml/lungo/internal/golden"
	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/tensor"
)

// lossFn is a loss under test with its extra arguments bound.
type lossFn func(logits *Value, target *tensor.Tensor) *Value

// lossCases are the goldens of testdata/losses.gold (scripts/golden/losses.py).
func lossCases(g *golden.File) map[string]lossFn {
	return map[string]lossFn{
		"bce":     func(x *Value, t *tensor.Tensor) *Value { return BCEWithLogits(x, t, nil) },
		"bce_pw1": func(x *Value, t *tensor.Tensor) *Value { return BCEWithLogits(x, t, tensor.FromData([]float32{3}, 1)) },
		"bce_pw_c": func(x *Value, t *tensor.Tensor) *Value {
			return BCEWithLogits(x, t, g.Get("bce_pw_c.pw"))
		},
		"bce_big":       func(x *Value, t *tensor.Tensor) *Value { return BCEWithLogits(x, t, nil) },
		"dice_batch_s0": func(x *Value, t *tensor.Tensor) *Value { return SoftDice(x, t, 0, false) },
		"dice_batch_s1": func(x *Value, t *tensor.Tensor) *Value { return SoftDice(x, t, 1, false) },
		"dice_image_s0": func(x *Value, t *tensor.Tensor) *Value { return SoftDice(x, t, 0, true) },
		"dice_image_s1": func(x *Value, t *tensor.Tensor) *Value { return SoftDice(x, t, 1, true) },
		"focal":         func(x *Value, t *tensor.Tensor) *Value { return FocalLoss(x, t, 0.25, 2) },
		"focal_noalpha": func(x *Value, t *tensor.Tensor) *Value { return FocalLoss(x, t, -1, 1.5) },
		"focal_g0":      func(x *Value, t *tensor.Tensor) *Value { return FocalLoss(x, t, 0.6, 0) },
		"lovasz_image":  func(x *Value, t *tensor.Tensor) *Value { return LovaszHinge(x, t, true) },
		"lovasz_batch":  func(x *Value, t *tensor.Tensor) *Value { return LovaszHinge(x, t, false) },
		"lovasz_c":      func(x *Value, t *tensor.Tensor) *Value { return LovaszHinge(x, t, true) },
	}
}

// TestLossGolden compares every loss and its gradient with PyTorch (float64
// in PyTorch, float32 results here): atol 1e-6, rtol 1e-5.
func TestLossGolden(t *testing.T) {
	g, err := golden.Load("../testdata/losses.gold")
	if err != nil {
		t.Fatal(err)
	}
	for name, fn := range lossCases(g) {
		t.Run(name, func(t *testing.T) {
			x := Param(g.Get(name + ".x").Clone())
			loss := fn(x, g.Get(name+".t"))
			if len(loss.Data.Shape) != 0 {
				t.Fatalf("loss shape %v, want []", loss.Data.Shape)
			}
			golden.Compare(t, name+" loss", loss.Data.Reshape(1), g.Get(name+".loss").Reshape(1), 1e-6, 1e-5)
			loss.Backward()
			golden.Compare(t, name+" grad", x.Grad, g.Get(name+".grad"), 1e-6, 1e-5)
			if !slices.Equal(x.Data.Data, g.Get(name+".x").Data) {
				t.Errorf("the loss modified its logits")
			}
		})
	}
}

// lossFD checks the analytic gradient of fn at x against float64 central
// differences with step h: |analytic - numeric| <= atol + rtol*|numeric|.
func lossFD(t *testing.T, name string, fn lossFn, x, target *tensor.Tensor, h, atol, rtol float64) {
	t.Helper()
	p := Param(x.Clone())
	fn(p, target).Backward()
	for k := range x.Data {
		xp, xm := x.Clone(), x.Clone()
		xp.Data[k] += float32(h)
		xm.Data[k] -= float32(h)
		step := float64(xp.Data[k]) - float64(xm.Data[k]) // the step float32 really took
		num := (float64(fn(Const(xp), target).Item()) - float64(fn(Const(xm), target).Item())) / step
		got := float64(p.Grad.Data[k])
		if d := math.Abs(got - num); !(d <= atol+rtol*math.Abs(num)) {
			t.Errorf("%s: d/dx[%d] = %.6g, finite difference %.6g", name, k, got, num)
		}
	}
}

// lossTestInput returns logits on a grid (distinct values 0.1*k + 0.03, so no
// two hinge errors tie and none is 0: the Lovász loss is smooth around them)
// and 0/1 targets with an all-empty image 1.
func lossTestInput(shape ...int) (x, t *tensor.Tensor) {
	rng := tensor.NewRNG(7)
	n := tensor.Numel(shape)
	x, t = tensor.New(shape...), tensor.New(shape...)
	for i, k := range rng.Perm(n) {
		x.Data[i] = float32(0.1*float64(k-n/2) + 0.03)
		if rng.Float64() < 0.4 {
			t.Data[i] = 1
		}
	}
	per := n / shape[0]
	clear(t.Data[per : 2*per])
	return x, t
}

// TestLossGradFiniteDifference checks every loss's gradient numerically
// (h = 1e-3 on float32 losses reduced in float64; atol 2e-4, rtol 1e-2).
func TestLossGradFiniteDifference(t *testing.T) {
	x, target := lossTestInput(3, 4, 3, 1)
	xc, tc := lossTestInput(2, 3, 2, 3)
	cases := []struct {
		name string
		fn   lossFn
		x, t *tensor.Tensor
	}{
		{"bce", func(x *Value, t *tensor.Tensor) *Value { return BCEWithLogits(x, t, nil) }, x, target},
		{"bce_pw", func(x *Value, t *tensor.Tensor) *Value {
			return BCEWithLogits(x, t, tensor.FromData([]float32{0.3, 2, 5}, 3))
		}, xc, tc},
		{"dice_batch", func(x *Value, t *tensor.Tensor) *Value { return SoftDice(x, t, 0, false) }, x, target},
		{"dice_image", func(x *Value, t *tensor.Tensor) *Value { return SoftDice(x, t, 1, true) }, x, target},
		{"focal", func(x *Value, t *tensor.Tensor) *Value { return FocalLoss(x, t, 0.25, 2) }, x, target},
		{"focal_g05", func(x *Value, t *tensor.Tensor) *Value { return FocalLoss(x, t, 0.7, 0.5) }, xc, tc},
		{"lovasz_image", func(x *Value, t *tensor.Tensor) *Value { return LovaszHinge(x, t, true) }, x, target},
		{"lovasz_batch", func(x *Value, t *tensor.Tensor) *Value { return LovaszHinge(x, t, false) }, xc, tc},
		{"combine", func(x *Value, t *tensor.Tensor) *Value {
			return Combine(WeightedLoss{0.5, BCEWithLogits(x, t, nil)}, WeightedLoss{2, SoftDice(x, t, 1, true)},
				WeightedLoss{-0.25, LovaszHinge(x, t, false)})
		}, x, target},
	}
	for _, c := range cases {
		lossFD(t, c.name, c.fn, c.x, c.t, 1e-3, 2e-4, 1e-2)
	}
}

// TestLossNaN checks that a single NaN logit makes every loss NaN, so that a
// trainer can detect divergence.
func TestLossNaN(t *testing.T) {
	x, target := lossTestInput(2, 3, 3, 1)
	x.Data[5] = float32(math.NaN())
	losses := map[string]*Value{
		"bce":          BCEWithLogits(Const(x), target, nil),
		"bce_pw":       BCEWithLogits(Const(x), target, tensor.FromData([]float32{2}, 1)),
		"dice_batch":   SoftDice(Const(x), target, 0, false),
		"dice_image":   SoftDice(Const(x), target, 1, true),
		"focal":        FocalLoss(Const(x), target, 0.25, 2),
		"lovasz_image": LovaszHinge(Const(x), target, true),
		"lovasz_batch": LovaszHinge(Const(x), target, false),
		"combine":      Combine(WeightedLoss{1, BCEWithLogits(Const(x), target, nil)}),
	}
	for name, l := range losses {
		if v := l.Item(); !math.IsNaN(float64(v)) {
			t.Errorf("%s with a NaN logit = %g, want NaN", name, v)
		}
	}
}

// TestLossEdgeCases checks closed-form values: perfect predictions, empty
// masks and the clamp of the Dice denominator.
func TestLossEdgeCases(t *testing.T) {
	target := tensor.FromData([]float32{1, 0, 1, 0}, 2, 2, 1, 1)
	sure := tensor.FromData([]float32{40, -40, 40, -40}, 2, 2, 1, 1)
	if v := BCEWithLogits(Const(sure), target, nil).Item(); v != 0 && v > 1e-12 {
		t.Errorf("BCE of confident correct logits = %g, want ~0", v)
	}
	if v := SoftDice(Const(sure), target, 0, false).Item(); math.Abs(float64(v)) > 1e-6 {
		t.Errorf("Dice of confident correct logits = %g, want 0", v)
	}
	// Lovász of margin >= 1 everywhere is exactly 0.
	if v := LovaszHinge(Const(sure), target, true).Item(); v != 0 {
		t.Errorf("Lovász with all margins >= 1 = %g, want 0", v)
	}
	// Empty target, logits -> -inf: P+T+s underflows; the clamp keeps it finite.
	empty := tensor.New(1, 2, 2, 1)
	neg := tensor.Full(-200, 1, 2, 2, 1)
	p := Param(neg.Clone())
	l := SoftDice(p, empty, 0, true)
	l.Backward()
	if v := l.Item(); v != 1 {
		t.Errorf("Dice of empty target, smooth 0 = %g, want 1", v)
	}
	for _, g := range p.Grad.Data {
		if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
			t.Fatalf("Dice gradient at the clamp = %v", p.Grad.Data)
		}
	}
	// Empty target with smooth 1 and logits -> -inf: loss -> 0.
	if v := SoftDice(Const(neg), empty, 1, true).Item(); math.Abs(float64(v)) > 1e-6 {
		t.Errorf("Dice of empty target and prediction, smooth 1 = %g, want 0", v)
	}
	// All-zero labels: the Lovász gradient is [1, 0, ...]: loss = relu(max error).
	x := tensor.FromData([]float32{0.5, -2, 0.25, -0.5}, 1, 4)
	if v := LovaszHinge(Const(x), tensor.New(1, 4), false).Item(); v != 1.5 {
		t.Errorf("Lovász with no positives = %g, want 1.5", v)
	}
}

// TestLossPanics checks the programmer errors.
func TestLossPanics(t *testing.T) {
	x := Const(tensor.New(2, 3))
	for name, f := range map[string]func(){
		"shape":    func() { BCEWithLogits(x, tensor.New(3, 2), nil) },
		"posw":     func() { BCEWithLogits(x, tensor.New(2, 3), tensor.New(2)) },
		"gamma":    func() { FocalLoss(x, tensor.New(2, 3), 0.25, -1) },
		"smooth":   func() { SoftDice(x, tensor.New(2, 3), -1, false) },
		"combine0": func() { Combine() },
		"combineN": func() { Combine(WeightedLoss{1, x}) },
	} {
		func() {
			defer func() {
				r := recover()
				se, ok := r.(*tensor.ShapeError)
				if !ok || se.Pkg != "nn" {
					t.Errorf("%s: panic %v, want *tensor.ShapeError from nn", name, r)
				}
			}()
			f()
		}()
	}
}

func ExampleCombine() {
	logits := Param(tensor.FromData([]float32{2, -1, 0.5, -3}, 1, 2, 2, 1))
	mask := tensor.FromData([]float32{1, 0, 1, 0}, 1, 2, 2, 1)
	loss := Combine(
		WeightedLoss{Weight: 0.5, Loss: BCEWithLogits(logits, mask, nil)},
		WeightedLoss{Weight: 0.5, Loss: SoftDice(logits, mask, 1, true)},
	)
	loss.Backward()
	fmt.Printf("loss %.4f, grad[0] %.4f\n", loss.Item(), logits.Grad.Data[0])
	// Output: loss 0.2047, grad[0] -0.0276
}

// TestLossLargeDeterministic checks the blocked parallel reductions on an
// input of several blocks: the loss and gradient are bit-identical with 1
// and 3 threads, and BCE equals a plain float64 loop.
func TestLossLargeDeterministic(t *testing.T) {
	rng := tensor.NewRNG(3)
	shape := []int{3, 3*lossBlock/4 + 5, 2, 1}
	x := rng.Randn(shape...)
	target := tensor.New(shape...)
	for i := range target.Data {
		if rng.Float64() < 0.3 {
			target.Data[i] = 1
		}
	}
	fns := map[string]lossFn{
		"bce":          func(x *Value, t *tensor.Tensor) *Value { return BCEWithLogits(x, t, nil) },
		"dice_batch":   func(x *Value, t *tensor.Tensor) *Value { return SoftDice(x, t, 1, false) },
		"dice_image":   func(x *Value, t *tensor.Tensor) *Value { return SoftDice(x, t, 0, true) },
		"focal":        func(x *Value, t *tensor.Tensor) *Value { return FocalLoss(x, t, 0.25, 2) },
		"lovasz_image": func(x *Value, t *tensor.Tensor) *Value { return LovaszHinge(x, t, true) },
	}
	defer kernels.SetThreads(kernels.Threads())
	for name, fn := range fns {
		var loss [2]float32
		var grad [2]*tensor.Tensor
		for i, threads := range []int{1, 3} {
			kernels.SetThreads(threads)
			p := Param(x.Clone())
			l := fn(p, target)
			l.Backward()
			loss[i], grad[i] = l.Item(), p.Grad
		}
		if loss[0] != loss[1] || !slices.Equal(grad[0].Data, grad[1].Data) {
			t.Errorf("%s: 1 thread gives %v, 3 threads %v (or gradients differ)", name, loss[0], loss[1])
		}
	}
	var want float64
	for i, v := range x.Data {
		xi, ti := float64(v), float64(target.Data[i])
		want += math.Max(xi, 0) - xi*ti + math.Log1p(math.Exp(-math.Abs(xi)))
	}
	want /= float64(len(x.Data))
	if got := BCEWithLogits(Const(x), target, nil).Item(); math.Abs(float64(got)-want) > 1e-6*want {
		t.Errorf("BCE %.8g, plain loop %.8g", got, want)
	}
}
