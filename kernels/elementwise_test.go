package kernels

import (
	"fmt"
	"math"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// ewSizes adds lengths that cross the parallel grain to vecSizes.
var ewSizes = append(append([]int{}, vecSizes...), 100003)

// unaryCase is an elementwise kernel y = f(x) and its scalar reference.
type unaryCase struct {
	name string
	run  func(y, x []float32)
	ref  func(x float32) float32
}

func TestElementwiseUnary(t *testing.T) {
	cases := []unaryCase{
		{"ReLU", ReLU, func(x float32) float32 {
			if math.IsNaN(float64(x)) || x > 0 {
				return x
			}
			return 0
		}},
		{"Sigmoid", Sigmoid, func(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }},
		{"Scale", func(y, x []float32) { Scale(y, -1.5, x) }, func(x float32) float32 { return -1.5 * x }},
	}
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(1)
		for _, c := range cases {
			for i, n := range ewSizes {
				off := offsets[i%len(offsets)]
				x := randSlice(g, n)
				for j := range x {
					x[j] *= 30 // exercise saturation of Sigmoid
				}
				if n > 3 {
					x[1] = float32(math.NaN())
					x[2] = float32(math.Inf(1))
					x[3] = float32(math.Inf(-1))
				}
				xg := guardedFrom(x, off)
				fz := freeze("x", xg.s())
				y := guarded(n, 3-off)
				c.run(y.s(), xg.s())
				y.check(t, c.name)
				xg.check(t, c.name+" x")
				fz.check(t)
				want := make([]float32, n)
				for j, v := range x {
					want[j] = c.ref(v)
				}
				name := fmt.Sprintf("%s n=%d", c.name, n)
				if c.name == "Sigmoid" {
					// float64 exp rounded once: within 1 ulp of the reference
					for j, w := range want {
						v := y.s()[j]
						if math.IsNaN(float64(w)) != math.IsNaN(float64(v)) || math.Abs(float64(v-w)) > 2*eps32*math.Abs(float64(w)) {
							t.Errorf("%s: [%d] = %v, want %v", name, j, v, w)
							break
						}
					}
				} else {
					compareExact(t, name, y.s(), want)
				}
				// in place
				c.run(x, x)
				compareExact(t, name+" in place", x, y.s())
			}
		}
	})
}

func TestSigmoidStable(t *testing.T) {
	x := []float32{-1e30, -200, -100, -88, 0, 88, 100, 200, 1e30, float32(math.Inf(1)), float32(math.Inf(-1))}
	y := make([]float32, len(x))
	Sigmoid(y, x)
	for i, v := range y {
		if math.IsNaN(float64(v)) || v < 0 || v > 1 {
			t.Errorf("Sigmoid(%v) = %v", x[i], v)
		}
	}
	if y[0] != 0 || y[8] != 1 || y[4] != 0.5 || y[9] != 1 || y[10] != 0 {
		t.Errorf("Sigmoid saturation: %v", y)
	}
	if y[2] <= 0 { // exp(-100) ~ 3.7e-44 is a float32 subnormal, not 0
		t.Errorf("Sigmoid(-100) = %v, want > 0", y[2])
	}
}

// binaryCase is an elementwise kernel out = f(a, b) and its reference.
type binaryCase struct {
	name string
	run  func(out, a, b []float32)
	ref  func(o, a, b float32) float32 // o is out's previous value
}

func TestElementwiseBinary(t *testing.T) {
	cases := []binaryCase{
		{"Add", Add, func(_, a, b float32) float32 { return a + b }},
		{"Mul", Mul, func(_, a, b float32) float32 { return a * b }},
		{"ReLUBackward", ReLUBackward, func(_, dy, y float32) float32 {
			if y > 0 {
				return dy
			}
			return 0
		}},
		{"SigmoidBackward", SigmoidBackward, func(_, dy, y float32) float32 { return dy * y * (1 - y) }},
		{"Axpy", func(o, a, _ []float32) { Axpy(o, 0.75, a) }, func(o, a, _ float32) float32 { return o + 0.75*a }},
	}
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(2)
		for _, c := range cases {
			for i, n := range ewSizes {
				off := offsets[i%len(offsets)]
				a, b, o := randSlice(g, n), randSlice(g, n), randSlice(g, n)
				if n > 3 {
					b[1] = 0
					a[2] = float32(math.NaN())
					b[3] = float32(math.NaN()) // ReLUBackward: y NaN gives 0
				}
				ag, bg := guardedFrom(a, off), guardedFrom(b, (off+1)%4)
				fa, fb := freeze("a", ag.s()), freeze("b", bg.s())
				out := guardedFrom(o, (off+2)%4)
				c.run(out.s(), ag.s(), bg.s())
				out.check(t, c.name)
				fa.check(t)
				fb.check(t)
				want := make([]float32, n)
				for j := range want {
					want[j] = c.ref(o[j], a[j], b[j])
				}
				compareExact(t, fmt.Sprintf("%s n=%d", c.name, n), out.s(), want)
			}
		}
	})
}

func TestSumDot(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(3)
		for i, n := range append(ewSizes, 3*reduceBlock+5) {
			off := offsets[i%len(offsets)]
			x, y := guardedFrom(randSlice(g, n), off), guardedFrom(randSlice(g, n), 3-off)
			var ws, wd, as, ad float64
			for j, v := range x.s() {
				ws += float64(v)
				as += math.Abs(float64(v))
				wd += float64(v) * float64(y.s()[j])
				ad += math.Abs(float64(v) * float64(y.s()[j]))
			}
			// float64 accumulation: far inside float32 tolerance.
			if d := math.Abs(Sum(x.s()) - ws); d > 1e-12*(as+1) {
				t.Errorf("Sum n=%d: diff %g", n, d)
			}
			if d := math.Abs(Dot(x.s(), y.s()) - wd); d > 1e-12*(ad+1) {
				t.Errorf("Dot n=%d: diff %g", n, d)
			}
			var s1, s2, d1, d2 float64
			withThreads(1, func() { s1, d1 = Sum(x.s()), Dot(x.s(), y.s()) })
			withThreads(3, func() { s2, d2 = Sum(x.s()), Dot(x.s(), y.s()) })
			if s1 != s2 || d1 != d2 {
				t.Errorf("n=%d: Sum/Dot depend on the thread count: %v %v / %v %v", n, s1, s2, d1, d2)
			}
		}
	})
}

func TestAddBiasSumRows(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(4)
		shapes := [][2]int{{1, 1}, {0, 5}, {5, 0}, {3, 7}, {17, 16}, {33, 65}, {1000, 3}, {5000, 64}, {70000, 1}}
		for i, sh := range shapes {
			m, c := sh[0], sh[1]
			off := offsets[i%len(offsets)]
			y0 := randSlice(g, m*c)
			b := guardedFrom(randSlice(g, c), off)
			fb := freeze("b", b.s())
			y := guardedFrom(y0, 3-off)
			AddBias(y.s(), b.s(), m, c)
			y.check(t, "AddBias")
			fb.check(t)
			want := make([]float32, m*c)
			for r := 0; r < m; r++ {
				for j := 0; j < c; j++ {
					want[r*c+j] = y0[r*c+j] + b.s()[j]
				}
			}
			compareExact(t, fmt.Sprintf("AddBias %dx%d", m, c), y.s(), want)

			x := guardedFrom(y0, off)
			fx := freeze("x", x.s())
			out := guarded(c, (off+1)%4)
			SumRows(out.s(), x.s(), m, c)
			out.check(t, "SumRows")
			fx.check(t)
			ws, as := make([]float64, c), make([]float64, c)
			for r := 0; r < m; r++ {
				for j := 0; j < c; j++ {
					ws[j] += float64(y0[r*c+j])
					as[j] += math.Abs(float64(y0[r*c+j]))
				}
			}
			// float64 sums rounded once to float32: 1 ulp of the result + tiny.
			for j := range ws {
				if d := math.Abs(float64(out.s()[j]) - ws[j]); d > eps32*math.Abs(ws[j])+1e-12*as[j] {
					t.Errorf("SumRows %dx%d [%d] = %v, want %v", m, c, j, out.s()[j], ws[j])
				}
			}
		}
	})
}

func TestElementwisePanics(t *testing.T) {
	a, b := make([]float32, 3), make([]float32, 4)
	mustPanic(t, "Add", func() { Add(a, a, b) })
	mustPanic(t, "ReLU", func() { ReLU(a, b) })
	mustPanic(t, "Dot", func() { Dot(a, b) })
	mustPanic(t, "AddBias", func() { AddBias(b, a, 2, 2) })
	mustPanic(t, "SumRows", func() { SumRows(a, b, 2, 2) })
	mustPanic(t, "SumRows neg", func() { SumRows(a, b, -1, 3) })
}

// BenchmarkElementwise runs each kernel with every implementation (generic
// included, as the baseline); MB/s counts the bytes read and written.
func BenchmarkElementwise(b *testing.B) {
	const n = 1 << 20
	g := tensor.NewRNG(1)
	x, y, z := randSlice(g, n), randSlice(g, n), randSlice(g, n)
	for _, name := range Available() {
		for _, c := range []struct {
			name  string
			bytes int
			fn    func()
		}{
			{"ReLU", 8 * n, func() { ReLU(y, x) }},
			{"ReLUBackward", 12 * n, func() { ReLUBackward(z, y, x) }},
			{"Add", 12 * n, func() { Add(z, x, y) }},
			{"Sigmoid", 8 * n, func() { Sigmoid(y, x) }},
			{"Axpy", 12 * n, func() { Axpy(y, 0.5, x) }},
			{"Dot", 8 * n, func() { Dot(x, y) }},
		} {
			b.Run(c.name+"/impl="+name+"/n=1M", func(b *testing.B) {
				if err := Use(name, func() {
					b.ReportAllocs()
					b.SetBytes(int64(c.bytes))
					for b.Loop() {
						c.fn()
					}
				}); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

// TestReluMask checks the branch-free y > 0 of the generic ReLUBackward on
// the special values and on random bit patterns (every class of float).
func TestReluMask(t *testing.T) {
	vals := []uint32{0, 0x80000000, 1, 0x80000001, 0x007fffff, 0x00800000, 0x3f800000, 0xbf800000,
		0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7f800001, 0x7fc00000, 0x7fffffff, 0xffc00000, 0xffffffff}
	g := tensor.NewRNG(5)
	for range 100000 {
		vals = append(vals, uint32(g.Uint64()))
	}
	for _, b := range vals {
		y := math.Float32frombits(b)
		want := uint32(0)
		if y > 0 {
			want = ^uint32(0)
		}
		if got := reluMask(y); got != want {
			t.Fatalf("reluMask(%v, bits %#x) = %#x, want %#x", y, b, got, want)
		}
	}
}
