package nn

import (
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// TestArenaBestFit: a request is carved from the smallest free range that
// holds it, the rest of the range serves later requests, recycled
// neighbours merge, and after Release every slab is whole again.
func TestArenaBestFit(t *testing.T) {
	a := NewArena()
	b100, b30, b16 := a.Floats(100), a.Floats(30), a.Floats(16)
	a.Release()
	c20 := a.Floats(20)
	if len(c20) != 20 || cap(c20) != 20 || &c20[0] != &b30[0] {
		t.Fatalf("Floats(20) did not come from the 30-float slab (the smallest that fits)")
	}
	if c := a.Floats(10); &c[0] != &b30[20] {
		t.Errorf("Floats(10) did not take the rest of the 30-float slab")
	}
	c60 := a.Floats(60)
	if &c60[0] != &b100[0] {
		t.Errorf("Floats(60) did not come from the 100-float slab")
	}
	c40 := a.Floats(40)
	if &c40[0] != &b100[60] {
		t.Errorf("Floats(40) did not take the rest of the 100-float slab")
	}
	if got, want := a.Bytes(), int64(4*(100+30+16)); got != want {
		t.Errorf("Bytes = %d, want %d (nothing new)", got, want)
	}
	// Recycled neighbours merge: 60 + 40 serve 100 at once.
	a.recycle(c40)
	a.recycle(c60)
	if c := a.Floats(100); &c[0] != &b100[0] {
		t.Errorf("after recycling both halves Floats(100) did not reuse the 100-float slab")
	}
	if c := a.Floats(16); &c[0] != &b16[0] {
		t.Errorf("Floats(16) did not take the exact fit")
	}
	if c := a.Floats(5); len(c) != 5 || a.Bytes() != 4*(100+30+16+5) {
		t.Errorf("with nothing free a request did not get a slab of its own: Bytes %d", a.Bytes())
	}
	a.Release()
	if c := a.Floats(100); &c[0] != &b100[0] {
		t.Errorf("after Release the 100-float slab did not serve 100 floats")
	}
}

// TestFree: in a pass that records nothing and has an arena, Free recycles
// a value's buffer for the next allocation and clears its Data; elsewhere
// it does nothing.
func TestFree(t *testing.T) {
	a := NewArena()
	x := NewExec(nil, a, true).Param(tensor.NewRNG(1).Randn(8))
	y := ReLU(x)
	Free(y) // recording: no-op
	if y.Data == nil {
		t.Fatal("Free cleared a value of a recorded graph")
	}
	ex := NewExec(nil, a, false)
	c := ex.Input(tensor.New(8))
	Free(c) // not arena memory: no-op
	if c.Data == nil {
		t.Error("Free cleared a value the arena did not allocate")
	}
	v := ReLU(ex.Input(x.Data))
	buf := &v.Data.Data[0]
	Free(v)
	if v.Data != nil {
		t.Error("Free left Data set")
	}
	Free(v) // twice is harmless
	if w := Scale(ex.Input(x.Data), 2); &w.Data.Data[0] != buf {
		t.Error("the next allocation did not reuse the freed buffer")
	}
	v = ReLU(NewExec(nil, nil, false).Input(x.Data))
	Free(v) // no arena: no-op
	if v.Data == nil {
		t.Error("Free without an arena cleared Data")
	}
}

// TestSequentialFreesInNoGrad: in a pass without a graph a Sequential keeps only about
// the largest two activations at once, and its input is untouched.
func TestSequentialFreesInNoGrad(t *testing.T) {
	rng := tensor.NewRNG(2)
	seq := NewSequential(NewConv2DLayer(rng, 3, 8, 3, 1, 1, false), NewBatchNorm2DLayer(8), NewReLULayer(),
		NewConv2DLayer(rng, 8, 8, 3, 1, 1, false), NewBatchNorm2DLayer(8), NewReLULayer(), NewConv2DLayer(rng, 8, 8, 3, 1, 1, true))
	seq.SetTraining(false)
	x := Const(randT(rng, 2, 10, 10, 3))
	xcopy := x.Data.Clone()
	run := func(noGrad bool) (*tensor.Tensor, int64) {
		a := NewArena()
		y := seq.Forward(NewExec(nil, a, !noGrad).Input(x.Data))
		return y.Data.Clone(), a.Bytes()
	}
	want, all := run(false)
	got, held := run(true)
	if k, d, ok := tensor.MaxDiff(got.Data, want.Data, 0, 0); !ok {
		t.Errorf("NoGrad output differs at %d by %g", k, d)
	}
	act := int64(4 * 2 * 10 * 10 * 8)
	if held > 2*act+4*64 || all < 5*act {
		t.Errorf("arena holds %d bytes in NoGrad, %d recording; activation %d: want at most two in NoGrad", held, all, act)
	}
	if k, _, ok := tensor.MaxDiff(x.Data.Data, xcopy.Data, 0, 0); !ok || x.Data == nil {
		t.Errorf("input changed at %d", k)
	}
}

// TestBatchNormReLUArenaInPlace: with an arena the backward overwrites the
// upstream gradient in place; the gradients are those of the heap run, and
// the root's gradient (the caller's) is left intact.
func TestBatchNormReLUArenaInPlace(t *testing.T) {
	rng := tensor.NewRNG(3)
	x0, g0, b0, gy := randT(rng, 2, 3, 4, 5), randT(rng, 5), randT(rng, 5), randT(rng, 2, 3, 4, 5)
	run := func(a *Arena, root bool) ([]*tensor.Tensor, *tensor.Tensor) {
		x, g, b := NewExec(nil, a, true).Param(x0.Clone()), Param(g0.Clone()), Param(b0.Clone())
		y := BatchNormReLU(x, g, b, nil, nil, nil, true, 0.1, 1e-5)
		if root {
			y.BackwardWith(gy)
			return []*tensor.Tensor{x.Grad.Clone(), g.Grad.Clone(), b.Grad.Clone()}, y.Grad.Clone()
		}
		Sum(Mul(Scale(y, 1), Const(gy))).Backward()
		return []*tensor.Tensor{x.Grad.Clone(), g.Grad.Clone(), b.Grad.Clone()}, nil
	}
	for _, root := range []bool{false, true} {
		want, _ := run(nil, root)
		got, rootGrad := run(NewArena(), root)
		for i := range want {
			if k, d, ok := tensor.MaxDiff(got[i].Data, want[i].Data, 0, 0); !ok {
				t.Errorf("root=%v: gradient %d differs at %d by %g with an arena", root, i, k, d)
			}
		}
		if root {
			if k, d, ok := tensor.MaxDiff(rootGrad.Data, gy.Data, 0, 0); !ok {
				t.Errorf("the root's gradient was overwritten: element %d differs by %g", k, d)
			}
		}
	}
}
