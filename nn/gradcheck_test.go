package nn

import (
	"fmt"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// Finite-difference gradient checks.
//
// For an op f and inputs x, the checked scalar is L = sum(f(x) * R) for a
// fixed random R (so every output element matters with a distinct weight),
// accumulated in float64 from f's float32 outputs. Backward seeded with R
// gives dL/dx; the reference is the central difference
// (L(x+h) - L(x-h)) / (x+h - x-h), where x±h are the float32 values actually
// stored (so rounding of the perturbed input does not bias the quotient).
//
// Tolerances: the forward runs in float32, so L carries an absolute error of
// about 1e-7 * sqrt(#outputs) * |typical term|, which the quotient divides by
// 2h. With h = 1e-2 and the small shapes here that noise stays below 1e-4;
// the truncation error of the central difference is O(h^2 f”') < 1e-4 for
// the smooth ops (sigmoid, batch-norm) and zero for the piecewise-linear ones
// as long as no kink lies within h of an input (the tests keep inputs of
// relu and max-pool at least 0.05 from their kinks). Each element must
// satisfy |analytic - numeric| <= atol + rtol*|numeric| with atol = 1e-3,
// rtol = 1e-2 unless a test states otherwise.
type fdConfig struct {
	h, atol, rtol float64
}

var fdDefault = fdConfig{h: 1e-2, atol: 1e-3, rtol: 1e-2}

// fdReporter is the part of testing.T gradCheck uses.
type fdReporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// fdRecorder records failures instead of reporting them (to test gradCheck).
type fdRecorder struct{ failed bool }

func (*fdRecorder) Helper()                 {}
func (r *fdRecorder) Errorf(string, ...any) { r.failed = true }

// gradCheck runs the check for f at the given inputs (all differentiated).
func gradCheck(t fdReporter, name string, f func(xs []*Value) *Value, inputs []*tensor.Tensor, cfg fdConfig) {
	t.Helper()
	xs := make([]*Value, len(inputs))
	for i, in := range inputs {
		xs[i] = Param(in.Clone())
	}
	out := f(xs)
	rng := tensor.NewRNG(99)
	r := rng.Randn(out.Data.Shape...)
	if !out.RequiresGrad {
		t.Errorf("%s: output does not require grad", name)
		return
	}
	out.BackwardWith(r)
	loss := func() float64 {
		ex := NewExec(nil, nil, false)
		ps := make([]*Value, len(xs))
		for i, x := range xs {
			ps[i] = ex.Input(x.Data)
		}
		o := f(ps)
		s := 0.0
		for i, v := range o.Data.Data {
			s += float64(v) * float64(r.Data[i])
		}
		return s
	}
	for i, x := range xs {
		if x.Grad == nil {
			t.Errorf("%s: input %d got no gradient", name, i)
			continue
		}
		num := make([]float32, len(x.Data.Data))
		for j := range x.Data.Data {
			orig := x.Data.Data[j]
			plus := orig + float32(cfg.h)
			minus := orig - float32(cfg.h)
			x.Data.Data[j] = plus
			lp := loss()
			x.Data.Data[j] = minus
			lm := loss()
			x.Data.Data[j] = orig
			num[j] = float32((lp - lm) / (float64(plus) - float64(minus)))
		}
		if k, d, ok := tensor.MaxDiff(x.Grad.Data, num, cfg.atol, cfg.rtol); !ok {
			t.Errorf("%s: d/dinput%d element %d: backward %g, finite difference %g (|diff| %.3g > %g + %g*|fd|)",
				name, i, k, x.Grad.Data[k], num[k], d, cfg.atol, cfg.rtol)
		}
	}
}

// randT returns a standard-normal tensor.
func randT(rng *tensor.RNG, shape ...int) *tensor.Tensor { return rng.Randn(shape...) }

// awayFromZero returns normal values pushed at least margin away from 0, so
// that relu's kink is never within the finite-difference step.
func awayFromZero(rng *tensor.RNG, margin float32, shape ...int) *tensor.Tensor {
	t := rng.Randn(shape...)
	for i, v := range t.Data {
		if v >= 0 {
			t.Data[i] = v + margin
		} else {
			t.Data[i] = v - margin
		}
	}
	return t
}

// distinct returns a random permutation of values spaced by step, so that
// a max-pool window never has two values within the finite-difference step.
func distinct(rng *tensor.RNG, step float32, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	n := len(t.Data)
	for i, p := range rng.Perm(n) {
		t.Data[i] = (float32(p) - float32(n)/2) * step
	}
	return t
}

func TestGradElementwise(t *testing.T) {
	rng := tensor.NewRNG(1)
	one := func(op func(*Value) *Value) func([]*Value) *Value {
		return func(xs []*Value) *Value { return op(xs[0]) }
	}
	gradCheck(t, "ReLU", one(ReLU), []*tensor.Tensor{awayFromZero(rng, 0.05, 3, 5, 7)}, fdDefault)
	gradCheck(t, "Sigmoid", one(Sigmoid), []*tensor.Tensor{randT(rng, 2, 3, 5, 3)}, fdDefault)
	gradCheck(t, "Scale", one(func(x *Value) *Value { return Scale(x, -1.75) }), []*tensor.Tensor{randT(rng, 17)}, fdDefault)
	gradCheck(t, "Sum", one(Sum), []*tensor.Tensor{randT(rng, 3, 7)}, fdDefault)
	gradCheck(t, "Mean", one(Mean), []*tensor.Tensor{randT(rng, 3, 7)}, fdDefault)
	gradCheck(t, "Add", func(xs []*Value) *Value { return Add(xs[0], xs[1]) },
		[]*tensor.Tensor{randT(rng, 2, 3, 3, 5), randT(rng, 2, 3, 3, 5)}, fdDefault)
	gradCheck(t, "Mul", func(xs []*Value) *Value { return Mul(xs[0], xs[1]) },
		[]*tensor.Tensor{randT(rng, 33), randT(rng, 33)}, fdDefault)
	// The same value used twice: gradients from both uses must add up.
	gradCheck(t, "MulSelf", func(xs []*Value) *Value { return Mul(xs[0], Add(xs[0], Sigmoid(xs[0]))) },
		[]*tensor.Tensor{randT(rng, 9)}, fdDefault)
	for _, p := range []float32{0.3, 0.5} {
		gradCheck(t, fmt.Sprintf("Dropout/p=%g", p), func(xs []*Value) *Value {
			return Dropout(xs[0], p, tensor.NewRNG(5), true) // same mask every call
		}, []*tensor.Tensor{randT(rng, 4, 5, 3)}, fdDefault)
	}
}

func TestGradShape(t *testing.T) {
	rng := tensor.NewRNG(2)
	gradCheck(t, "Reshape", func(xs []*Value) *Value { return Mul(Reshape(xs[0], 5, -1), Reshape(xs[1], 5, 6)) },
		[]*tensor.Tensor{randT(rng, 2, 3, 5), randT(rng, 30)}, fdDefault)
	gradCheck(t, "Flatten", func(xs []*Value) *Value { return Sigmoid(Flatten(xs[0])) },
		[]*tensor.Tensor{randT(rng, 2, 3, 2, 5)}, fdDefault)
	gradCheck(t, "ToNHWC", func(xs []*Value) *Value { return Sigmoid(ToNHWC(xs[0])) },
		[]*tensor.Tensor{randT(rng, 2, 3, 5, 7)}, fdDefault)
	gradCheck(t, "ToNCHW", func(xs []*Value) *Value { return Sigmoid(ToNCHW(xs[0])) },
		[]*tensor.Tensor{randT(rng, 2, 5, 7, 3)}, fdDefault)
	gradCheck(t, "Concat", func(xs []*Value) *Value { return Sigmoid(Concat(xs[0], xs[1], xs[0])) },
		[]*tensor.Tensor{randT(rng, 2, 3, 5, 3), randT(rng, 2, 3, 5, 1)}, fdDefault)
}

func TestGradLinear(t *testing.T) {
	rng := tensor.NewRNG(3)
	lin := func(xs []*Value) *Value { return Linear(xs[0], xs[1], xs[2]) }
	gradCheck(t, "Linear/2d", lin, []*tensor.Tensor{randT(rng, 5, 7), randT(rng, 3, 7), randT(rng, 3)}, fdDefault)
	gradCheck(t, "Linear/3d", lin, []*tensor.Tensor{randT(rng, 2, 3, 4), randT(rng, 5, 4), randT(rng, 5)}, fdDefault)
	gradCheck(t, "Linear/nobias", func(xs []*Value) *Value { return Linear(xs[0], xs[1], nil) },
		[]*tensor.Tensor{randT(rng, 1, 9), randT(rng, 2, 9)}, fdDefault)
}

func TestGradConv2D(t *testing.T) {
	rng := tensor.NewRNG(4)
	for _, c := range []struct {
		n, h, w, ci, k, r, s int
		stride, pad, dil     int
		bias                 bool
	}{
		{1, 5, 7, 3, 2, 3, 3, 1, 0, 1, true},
		{2, 5, 6, 3, 4, 3, 3, 1, 1, 1, true},
		{1, 7, 5, 2, 3, 3, 3, 2, 1, 1, false},
		{1, 8, 7, 3, 2, 3, 2, 3, 2, 1, true},
		{1, 7, 7, 2, 3, 3, 3, 1, 2, 2, true},
		{2, 9, 6, 1, 2, 2, 3, 2, 0, 2, true},
		{1, 4, 5, 5, 3, 1, 1, 1, 0, 1, true},
	} {
		name := fmt.Sprintf("Conv2D/x=%dx%dx%dx%d/w=%dx%dx%dx%d/s%d_p%d_d%d", c.n, c.h, c.w, c.ci, c.k, c.ci, c.r, c.s, c.stride, c.pad, c.dil)
		in := []*tensor.Tensor{randT(rng, c.n, c.h, c.w, c.ci), randT(rng, c.k, c.ci, c.r, c.s)}
		f := func(xs []*Value) *Value { return Conv2D(xs[0], xs[1], nil, c.stride, c.pad, c.dil) }
		if c.bias {
			in = append(in, randT(rng, c.k))
			f = func(xs []*Value) *Value { return Conv2D(xs[0], xs[1], xs[2], c.stride, c.pad, c.dil) }
		}
		gradCheck(t, name, f, in, fdDefault)
	}
}

func TestGradConvTranspose2D(t *testing.T) {
	rng := tensor.NewRNG(5)
	for _, c := range []struct {
		n, h, w, ci, k, r, s     int
		stride, pad, outPad, dil int
		bias                     bool
	}{
		{1, 3, 4, 3, 2, 3, 3, 1, 0, 0, 1, true},
		{2, 3, 3, 2, 3, 2, 2, 2, 0, 0, 1, true},
		{1, 4, 3, 3, 2, 3, 3, 2, 1, 1, 1, false},
		{1, 3, 5, 2, 2, 3, 2, 3, 1, 2, 1, true},
		{1, 4, 4, 2, 3, 3, 3, 1, 2, 0, 2, true},
		{1, 3, 3, 5, 3, 1, 1, 2, 0, 1, 1, true},
	} {
		name := fmt.Sprintf("ConvTranspose2D/x=%dx%dx%dx%d/w=%dx%dx%dx%d/s%d_p%d_op%d_d%d", c.n, c.h, c.w, c.ci, c.ci, c.k, c.r, c.s, c.stride, c.pad, c.outPad, c.dil)
		in := []*tensor.Tensor{randT(rng, c.n, c.h, c.w, c.ci), randT(rng, c.ci, c.k, c.r, c.s)}
		f := func(xs []*Value) *Value { return ConvTranspose2D(xs[0], xs[1], nil, c.stride, c.pad, c.outPad, c.dil) }
		if c.bias {
			in = append(in, randT(rng, c.k))
			f = func(xs []*Value) *Value {
				return ConvTranspose2D(xs[0], xs[1], xs[2], c.stride, c.pad, c.outPad, c.dil)
			}
		}
		gradCheck(t, name, f, in, fdDefault)
	}
}

func TestGradPool(t *testing.T) {
	rng := tensor.NewRNG(6)
	for _, c := range []struct{ n, h, w, ch, k, stride, pad int }{
		{1, 4, 4, 3, 2, 2, 0},
		{2, 5, 7, 2, 3, 2, 1},
		{1, 7, 5, 3, 3, 1, 1},
		{1, 6, 7, 1, 2, 3, 1},
		{1, 5, 5, 5, 5, 1, 2},
	} {
		suffix := fmt.Sprintf("/x=%dx%dx%dx%d/k%d_s%d_p%d", c.n, c.h, c.w, c.ch, c.k, c.stride, c.pad)
		gradCheck(t, "MaxPool2D"+suffix, func(xs []*Value) *Value { return MaxPool2D(xs[0], c.k, c.stride, c.pad) },
			[]*tensor.Tensor{distinct(rng, 0.05, c.n, c.h, c.w, c.ch)}, fdDefault)
		gradCheck(t, "AvgPool2D"+suffix, func(xs []*Value) *Value { return AvgPool2D(xs[0], c.k, c.stride, c.pad) },
			[]*tensor.Tensor{randT(rng, c.n, c.h, c.w, c.ch)}, fdDefault)
	}
	gradCheck(t, "GlobalAvgPool", func(xs []*Value) *Value { return GlobalAvgPool(xs[0]) },
		[]*tensor.Tensor{randT(rng, 2, 3, 5, 3)}, fdDefault)
}

func TestGradUpsample(t *testing.T) {
	rng := tensor.NewRNG(7)
	for _, s := range [][]int{{1, 1, 1, 2}, {2, 3, 5, 3}, {1, 4, 3, 1}} {
		gradCheck(t, fmt.Sprintf("UpsampleNearest2x/%v", s), func(xs []*Value) *Value { return UpsampleNearest2x(xs[0]) },
			[]*tensor.Tensor{randT(rng, s...)}, fdDefault)
		gradCheck(t, fmt.Sprintf("UpsampleBilinear2x/%v", s), func(xs []*Value) *Value { return UpsampleBilinear2x(xs[0]) },
			[]*tensor.Tensor{randT(rng, s...)}, fdDefault)
	}
}

func TestGradBatchNorm2D(t *testing.T) {
	rng := tensor.NewRNG(8)
	for _, s := range [][]int{{2, 3, 5, 3}, {1, 2, 3, 4}, {7, 3}} {
		c := s[len(s)-1]
		rm, rv := randT(rng, c), tensor.New(c)
		for i := range rv.Data {
			rv.Data[i] = 0.5 + rng.Float32()
		}
		for _, training := range []bool{true, false} {
			name := fmt.Sprintf("BatchNorm2D/%v/training=%v", s, training)
			// Fresh copies of the running statistics per call keep the
			// forward deterministic (training updates them).
			f := func(xs []*Value) *Value {
				return BatchNorm2D(xs[0], xs[1], xs[2], rm.Clone(), rv.Clone(), training, 0.1, 1e-5)
			}
			gradCheck(t, name, f, []*tensor.Tensor{randT(rng, s...), randT(rng, c), randT(rng, c)}, fdDefault)
			g := func(xs []*Value) *Value {
				return BatchNorm2D(xs[0], nil, nil, rm.Clone(), rv.Clone(), training, 0.1, 1e-5)
			}
			gradCheck(t, name+"/noaffine", g, []*tensor.Tensor{randT(rng, s...)}, fdDefault)
		}
	}
}

// TestGradLayers checks parameter gradients through every layer with
// parameters inside a Sequential, perturbing the parameters in place. The
// network is smooth on purpose: with batch-norm in training mode every
// first-layer weight moves every activation, so a ReLU or max-pool
// downstream would put some kink within the step of almost every
// perturbation (measured: a third of the first conv's weights then disagree
// for h = 1e-2). ReLU and MaxPool2DLayer are thin wrappers of ReLU and MaxPool2D,
// checked above with kink-free inputs.
func TestGradLayers(t *testing.T) {
	rng := tensor.NewRNG(9)
	net := NewSequential(
		NewConv2DLayer(rng, 2, 3, 3, 1, 1, true),
		NewBatchNorm2DLayer(3),
		NewUpsampleLayer("bilinear"),
		NewConvTranspose2DLayer(rng, 3, 2, 2, 2, 0, 0, true),
		NewUpsampleLayer("nearest"),
		NewConv2DLayer(rng, 2, 4, 3, 3, 1, false),
		NewLinearLayer(rng, 4, 2, true),
	)
	// [2,5,4,2] -> conv [2,5,4,3] -> up [2,10,8,3] -> convT [2,20,16,2]
	// -> up [2,40,32,2] -> conv s3 [2,14,11,4] -> linear [2,14,11,2].
	x := randT(rng, 2, 5, 4, 2)
	r := randT(rng, 2, 14, 11, 2)
	loss := func() float64 {
		var s float64
		o := net.Forward(NewExec(nil, nil, false).Input(x))
		for i, v := range o.Data.Data {
			s += float64(v) * float64(r.Data[i])
		}
		return s
	}
	out := net.Forward(Const(x))
	if !tensor.SameShape(out.Data.Shape, r.Shape) {
		t.Fatalf("output shape %v, want %v", out.Data.Shape, r.Shape)
	}
	out.BackwardWith(r)
	params := net.NamedParameters("")
	if len(params) != 9 {
		t.Fatalf("%d parameters, want 9", len(params))
	}
	h := fdDefault.h
	for _, p := range params {
		w := p.Value
		num := make([]float32, len(w.Data.Data))
		for j := range w.Data.Data {
			orig := w.Data.Data[j]
			plus, minus := orig+float32(h), orig-float32(h)
			w.Data.Data[j] = plus
			lp := loss()
			w.Data.Data[j] = minus
			lm := loss()
			w.Data.Data[j] = orig
			num[j] = float32((lp - lm) / (float64(plus) - float64(minus)))
		}
		// The loss sums 616 outputs, so its float32 noise is larger than in
		// the per-op checks: atol 2e-3.
		if k, d, ok := tensor.MaxDiff(w.Grad.Data, num, 2e-3, fdDefault.rtol); !ok {
			t.Errorf("%s element %d: backward %g, finite difference %g (|diff| %.3g)", p.Name, k, w.Grad.Data[k], num[k], d)
		}
	}
}

func TestFDSanity(t *testing.T) {
	// The checker itself must catch a wrong gradient.
	wrong := func(xs []*Value) *Value {
		x := xs[0]
		e := ExecOf(x)
		y := e.Alloc(x.Data.Shape...)
		for i, v := range x.Data.Data {
			y.Data[i] = v * v
		}
		return NewResult(y, func(out *Value) {
			accumGrad(e, x, func(dx []float32) {
				for i := range dx {
					dx[i] = out.Grad.Data[i] * x.Data.Data[i] // missing factor 2
				}
			})
		}, x)
	}
	var rec fdRecorder
	gradCheck(&rec, "wrong", wrong, []*tensor.Tensor{tensor.FromData([]float32{1, 2, 3}, 3)}, fdDefault)
	if !rec.failed {
		t.Fatal("gradCheck accepted a gradient off by a factor of 2")
	}
	rec = fdRecorder{}
	gradCheck(&rec, "relu", func(xs []*Value) *Value { return ReLU(xs[0]) }, []*tensor.Tensor{tensor.FromData([]float32{1, -2, 3}, 3)}, fdDefault)
	if rec.failed {
		t.Fatal("gradCheck rejected relu's gradient")
	}
}
