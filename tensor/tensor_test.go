package tensor

import (
	"math"
	"strings"
	"testing"
)

func mustPanic(t *testing.T, substr string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want one containing %q", substr)
		}
		e, ok := r.(*ShapeError)
		if !ok {
			t.Fatalf("panic value %T (%v), want *ShapeError", r, r)
		}
		if !strings.HasPrefix(e.Error(), "tensor: ") || !strings.Contains(e.Error(), substr) {
			t.Fatalf("panic %q, want prefix \"tensor: \" and %q", e.Error(), substr)
		}
	}()
	fn()
}

func TestNewShapeAndIndex(t *testing.T) {
	x := New(2, 3, 4)
	if x.Numel() != 24 || x.Dim() != 3 {
		t.Fatalf("Numel %d Dim %d", x.Numel(), x.Dim())
	}
	x.Set(7, 1, 2, 3)
	if x.Data[23] != 7 || x.At(1, 2, 3) != 7 {
		t.Fatalf("Set/At wrong: %v", x.Data)
	}
	if got := Strides([]int{2, 3, 4}); got[0] != 12 || got[1] != 4 || got[2] != 1 {
		t.Fatalf("Strides %v", got)
	}
	mustPanic(t, "out of range", func() { x.At(2, 0, 0) })
	mustPanic(t, "has 2 dims", func() { x.At(0, 0) })
	mustPanic(t, "negative dimension", func() { New(2, -1) })
	mustPanic(t, "FromData: 5 values", func() { FromData(make([]float32, 5), 2, 3) })
}

func TestReshape(t *testing.T) {
	x := Full(1, 2, 6)
	y := x.Reshape(3, -1)
	if y.Shape[0] != 3 || y.Shape[1] != 4 {
		t.Fatalf("inferred shape %v", y.Shape)
	}
	y.Data[0] = 5
	if x.Data[0] != 5 {
		t.Fatal("Reshape must share data")
	}
	mustPanic(t, "does not hold", func() { x.Reshape(5, 2) })
	mustPanic(t, "more than one -1", func() { x.Reshape(-1, -1) })
	mustPanic(t, "cannot infer", func() { x.Reshape(5, -1) })
}

func TestCloneIndependent(t *testing.T) {
	x := Full(2, 3)
	y := x.Clone()
	y.Data[0] = 9
	y.Shape[0] = 1
	if x.Data[0] != 2 || x.Shape[0] != 3 {
		t.Fatal("Clone shares storage")
	}
}

func TestLayoutRoundTrip(t *testing.T) {
	g := NewRNG(1)
	x := g.Randn(2, 3, 4, 5) // NCHW
	y := NCHWToNHWC(x)
	if !SameShape(y.Shape, []int{2, 4, 5, 3}) {
		t.Fatalf("shape %v", y.Shape)
	}
	if y.At(1, 2, 3, 1) != x.At(1, 1, 2, 3) {
		t.Fatal("NCHWToNHWC moved the wrong element")
	}
	z := NHWCToNCHW(y)
	if !AllClose(z, x, 0, 0) {
		t.Fatal("round trip differs")
	}
}

func TestAllCloseAndMaxDiff(t *testing.T) {
	a := FromData([]float32{1, 2, 3}, 3)
	b := FromData([]float32{1, 2.001, 3}, 3)
	if AllClose(a, b, 1e-4, 1e-4) {
		t.Fatal("AllClose accepted a 1e-3 difference")
	}
	if !AllClose(a, b, 1e-4, 1e-3) {
		t.Fatal("AllClose rejected a difference inside rtol")
	}
	i, d, ok := MaxDiff(a.Data, b.Data, 0, 0)
	if ok || i != 1 || math.Abs(d-0.001) > 1e-6 {
		t.Fatalf("MaxDiff = %d %g %v", i, d, ok)
	}
	n := FromData([]float32{1, float32(math.NaN()), 3}, 3)
	if AllClose(n, n, 1, 1) {
		t.Fatal("NaN must never be close")
	}
	if AllClose(a, a.Reshape(1, 3), 0, 0) {
		t.Fatal("different shapes must not be close")
	}
}

func TestRNGDeterministic(t *testing.T) {
	a, b := NewRNG(42).Randn(100), NewRNG(42).Randn(100)
	if !AllClose(a, b, 0, 0) {
		t.Fatal("same seed, different values")
	}
	c := NewRNG(43).Randn(100)
	if AllClose(a, c, 0, 0) {
		t.Fatal("different seeds, same values")
	}
}

func TestKaimingUniformBound(t *testing.T) {
	// PyTorch: Conv2DLayer(16, 32, 3) weights are U(-1/sqrt(144), 1/sqrt(144)).
	w := New(32, 16, 3, 3)
	NewRNG(3).KaimingUniform(w, math.Sqrt(5))
	bound := float32(1 / math.Sqrt(144))
	var maxAbs float32
	var sum, sq float64
	for _, v := range w.Data {
		if v < -bound || v >= bound {
			t.Fatalf("value %g outside [-%g, %g)", v, bound, bound)
		}
		maxAbs = max(maxAbs, float32(math.Abs(float64(v))))
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(len(w.Data))
	// Uniform(-b, b) has variance b^2/3; 4608 samples pin it within a few %.
	if v := sq/n - (sum/n)*(sum/n); math.Abs(v/(float64(bound*bound)/3)-1) > 0.1 {
		t.Fatalf("variance %g, want about %g", v, bound*bound/3)
	}
	if maxAbs < 0.95*bound {
		t.Fatalf("max |w| %g, want close to the bound %g", maxAbs, bound)
	}
	if FanIn(w.Shape) != 144 || FanOut(w.Shape) != 288 {
		t.Fatalf("fans %d %d", FanIn(w.Shape), FanOut(w.Shape))
	}
}

func TestString(t *testing.T) {
	s := FromData([]float32{1, 2.5}, 2).String()
	if s != "Tensor[2][1 2.5]" {
		t.Fatalf("String() = %q", s)
	}
	long := New(100).String()
	if long != "Tensor[100][0 0 0 0 0 0 ... 0 0 0 0 0 0]" {
		t.Fatalf("long String() = %q", long)
	}
}
