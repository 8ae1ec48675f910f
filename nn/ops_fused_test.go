package nn

import (
	"fmt"
	"testing"

	"github.com/lungo-ml/lungo/internal/golden"
	"github.com/lungo-ml/lungo/tensor"
)

// BatchNormReLU and UpsampleConcat against PyTorch (testdata/bnrelu.gold,
// made by scripts/golden/bnrelu.py in float64 from float32 inputs), with
// the tolerances of ops_golden_test.go (atol 1e-5, rtol 1e-5).

func loadFusedGolden(t *testing.T) *golden.File {
	t.Helper()
	g, err := golden.Load("../testdata/bnrelu.gold")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGoldenBatchNormReLU(t *testing.T) {
	g := loadFusedGolden(t)
	cases := goldCases(g, "bn_relu/")
	if len(cases) != 18 {
		t.Fatalf("%d bn_relu cases in the golden file, want 18", len(cases))
	}
	for _, name := range cases {
		cfg := g.Get(name + ".cfg").Data
		training, residual, affine := cfg[0] == 1, cfg[1] == 1, cfg[2] == 1
		rm, rv := g.Get(name+".rm").Clone(), g.Get(name+".rv").Clone()
		inputs := []string{"x"}
		if affine {
			inputs = append(inputs, "weight", "bias")
		}
		var res *Value
		if residual {
			res = Param(tensor.NCHWToNHWC(g.Get(name + ".res")))
		}
		goldRun(t, g, name, inputs, func(xs []*Value, _ []int) *Value {
			var gamma, beta *Value
			if affine {
				gamma, beta = xs[1], xs[2]
			}
			return BatchNormReLU(xs[0], gamma, beta, res, rm, rv, training, 0.1, 1e-5)
		})
		if residual {
			golden.Compare(t, name+".gres", tensor.NHWCToNCHW(res.Grad), g.Get(name+".gres"), goldGAtol, goldGRtol)
		}
		golden.Compare(t, name+".rm_after", rm, g.Get(name+".rm_after"), 1e-6, 1e-5)
		golden.Compare(t, name+".rv_after", rv, g.Get(name+".rv_after"), 1e-6, 1e-5)
	}
}

func TestGoldenUpsampleConcat(t *testing.T) {
	g := loadFusedGolden(t)
	cases := goldCases(g, "upsample_concat/")
	if len(cases) != 3 {
		t.Fatalf("%d upsample_concat cases, want 3", len(cases))
	}
	for _, name := range cases {
		skip := Param(tensor.NCHWToNHWC(g.Get(name + ".skip")))
		goldRun(t, g, name, []string{"x"}, func(xs []*Value, _ []int) *Value { return UpsampleConcat(xs[0], skip) })
		golden.Compare(t, name+".gskip", tensor.NHWCToNCHW(skip.Grad), g.Get(name+".gskip"), goldGAtol, goldGRtol)
	}
}

func TestGradBatchNormReLU(t *testing.T) {
	rng := tensor.NewRNG(21)
	for _, s := range [][]int{{2, 3, 5, 3}, {1, 2, 3, 4}, {7, 3}} {
		c := s[len(s)-1]
		rm, rv := randT(rng, c), tensor.New(c)
		for i := range rv.Data {
			rv.Data[i] = 0.5 + rng.Float32()
		}
		for _, training := range []bool{true, false} {
			name := fmt.Sprintf("BatchNormReLU/%v/training=%v", s, training)
			// The relu's kink must stay clear of the step: a random beta
			// shifts the normalised values, and inputs whose output lands
			// within 0.05 of 0 are redrawn below.
			x, gamma, beta, res := randT(rng, s...), randT(rng, c), randT(rng, c), randT(rng, s...)
			for _, withRes := range []bool{false, true} {
				f := func(xs []*Value) *Value {
					var r *Value
					if withRes {
						r = xs[3]
					}
					return BatchNormReLU(xs[0], xs[1], xs[2], r, rm.Clone(), rv.Clone(), training, 0.1, 1e-5)
				}
				in := []*tensor.Tensor{x, gamma, beta, res}
				if !withRes {
					in = in[:3]
				}
				pushOffKink(t, f, in)
				gradCheck(t, fmt.Sprintf("%s/residual=%v", name, withRes), f, in, fdDefault)
			}
		}
	}
}

// pushOffKink moves the residual (or, without one, beta's effect through x)
// so that no pre-activation lies within 0.05 of the relu's kink: it adds
// to the last input, elementwise when that is the residual.
func pushOffKink(t *testing.T, f func([]*Value) *Value, in []*tensor.Tensor) {
	t.Helper()
	// Pre-activations: with a zero upstream all outputs are relu(z); z is
	// recovered by evaluating with a large residual shift, which is linear.
	if len(in) == 4 {
		res := in[3]
		shifted := res.Clone()
		for i := range shifted.Data {
			shifted.Data[i] += 100
		}
		ex := NewExec(nil, nil, false)
		z := f([]*Value{ex.Input(in[0]), ex.Input(in[1]), ex.Input(in[2]), ex.Input(shifted)})
		for i, v := range z.Data.Data {
			pre := v - 100 // bn(x) + res
			if pre > -0.05 && pre < 0.05 {
				res.Data[i] += 0.15
			}
		}
		return
	}
	// Without a residual, shift beta per channel until every normalised
	// value of the channel is at least 0.05 from 0 (the statistics do not
	// depend on beta).
	beta := in[2]
	c := len(beta.Data)
	for iter := 0; iter < 50; iter++ {
		big := beta.Clone()
		for j := range big.Data {
			big.Data[j] += 100
		}
		ex := NewExec(nil, nil, false)
		z := f([]*Value{ex.Input(in[0]), ex.Input(in[1]), ex.Input(big)})
		moved := false
		for i, v := range z.Data.Data {
			if pre := v - 100; pre > -0.05 && pre < 0.05 {
				beta.Data[i%c] += 0.013
				moved = true
				break
			}
		}
		if !moved {
			return
		}
	}
	t.Fatalf("could not move beta off the relu's kink")
}

func TestGradUpsampleConcat(t *testing.T) {
	rng := tensor.NewRNG(22)
	for _, s := range [][]int{{1, 1, 1, 2}, {2, 3, 2, 3}, {1, 2, 3, 1}} {
		k := 1 + s[3]%2*2
		skip := randT(rng, s[0], 2*s[1], 2*s[2], k)
		gradCheck(t, fmt.Sprintf("UpsampleConcat/%v/skip%d", s, k), func(xs []*Value) *Value { return UpsampleConcat(xs[0], xs[1]) },
			[]*tensor.Tensor{randT(rng, s...), skip}, fdDefault)
	}
}

// TestFusedMatchesChain checks the fused ops against the chains they
// replace, bit for bit in the forward (same float32 operations) and to
// rounding in the gradients, including gradients that accumulate into
// existing ones (the inputs feed a second op too).
func TestFusedMatchesChain(t *testing.T) {
	rng := tensor.NewRNG(23)
	x0, g0, b0, r0 := randT(rng, 2, 4, 5, 6), randT(rng, 6), randT(rng, 6), randT(rng, 2, 4, 5, 6)
	u0, s0 := randT(rng, 2, 2, 3, 3), randT(rng, 2, 4, 6, 5)
	gy := randT(rng, 2, 4, 5, 6)
	gy2 := randT(rng, 2, 4, 6, 8)
	for _, training := range []bool{true, false} {
		run := func(fused bool) (y *tensor.Tensor, grads []*tensor.Tensor, rm *tensor.Tensor) {
			x, g, b, r := Param(x0.Clone()), Param(g0.Clone()), Param(b0.Clone()), Param(r0.Clone())
			rm, rv := tensor.New(6), tensor.Full(1, 6)
			var out *Value
			if fused {
				out = BatchNormReLU(x, g, b, r, rm, rv, training, 0.1, 1e-5)
			} else {
				out = ReLU(Add(BatchNorm2D(x, g, b, rm, rv, training, 0.1, 1e-5), r))
			}
			// A second use of x and r makes the gradients accumulate.
			loss := Add(Mul(out, Const(gy)), Mul(Add(x, r), Const(gy)))
			Sum(loss).Backward()
			return out.Data, []*tensor.Tensor{x.Grad, g.Grad, b.Grad, r.Grad}, rm
		}
		yf, gf, rmf := run(true)
		yc, gc, rmc := run(false)
		if k, d, ok := tensor.MaxDiff(yf.Data, yc.Data, 0, 0); !ok {
			t.Errorf("training=%v: forward differs at %d by %g", training, k, d)
		}
		for i := range gf {
			if k, d, ok := tensor.MaxDiff(gf[i].Data, gc[i].Data, 1e-6, 1e-6); !ok {
				t.Errorf("training=%v: gradient %d differs at %d by %g", training, i, k, d)
			}
		}
		if k, d, ok := tensor.MaxDiff(rmf.Data, rmc.Data, 0, 0); !ok {
			t.Errorf("training=%v: running mean differs at %d by %g", training, k, d)
		}
	}
	up := func(fused bool) (y, du, ds *tensor.Tensor) {
		u, s := Param(u0.Clone()), Param(s0.Clone())
		var out *Value
		if fused {
			out = UpsampleConcat(u, s)
		} else {
			out = Concat(UpsampleNearest2x(u), s)
		}
		Add(Sum(Mul(out, Const(gy2))), Sum(Mul(Add(u, u), Const(u0)))).Backward()
		return out.Data, u.Grad, s.Grad
	}
	yf, duf, dsf := up(true)
	yc, duc, dsc := up(false)
	for _, c := range []struct {
		name string
		a, b *tensor.Tensor
	}{{"forward", yf, yc}, {"dx", duf, duc}, {"dskip", dsf, dsc}} {
		if k, d, ok := tensor.MaxDiff(c.a.Data, c.b.Data, 1e-6, 1e-6); !ok {
			t.Errorf("UpsampleConcat %s differs at %d by %g", c.name, k, d)
		}
	}
}

// TestSequentialFusesBNReLU: a Sequential's BatchNorm2DLayer + ReLU runs fused
// (one buffer fewer from an arena), gives the unfused result and counts
// the batch once.
func TestSequentialFusesBNReLU(t *testing.T) {
	rng := tensor.NewRNG(24)
	seq := NewSequential(NewConv2DLayer(rng, 3, 4, 3, 1, 1, false), NewBatchNorm2DLayer(4), NewReLULayer())
	x := randT(rng, 2, 6, 5, 3)
	arena := NewArena()
	ex := NewExec(nil, arena, true)
	y := seq.Forward(ex.Input(x)).Data.Clone()
	fusedBytes := arena.Bytes()
	arena.Release()
	arena.Reset()
	conv, bn := seq.Layers[0].(*Conv2DLayer), seq.Layers[1].(*BatchNorm2DLayer)
	want := ReLU(bn.Forward(conv.Forward(ex.Input(x)))).Data
	if k, d, ok := tensor.MaxDiff(y.Data, want.Data, 0, 0); !ok {
		t.Errorf("fused Sequential differs at %d by %g", k, d)
	}
	act := int64(4 * len(y.Data))
	if got := arena.Bytes() - fusedBytes; got < act {
		t.Errorf("unfused chain drew %d more bytes than the fused one, want at least one activation (%d)", got, act)
	}
	if n := bn.NumBatchesTracked.Data[0]; n != 2 {
		t.Errorf("num_batches_tracked = %g after two batches, want 2", n)
	}
}

// BenchmarkBatchNormReLU: forward and backward (training mode) of the fused
// op against the BatchNorm2D + Add + ReLU chain it replaces, on a ResNet
// layer1 activation of 4 images (64 channels at 64x64), under an arena.
func BenchmarkBatchNormReLU(b *testing.B) {
	rng := tensor.NewRNG(1)
	x0, r0, gy := randT(rng, 4, 64, 64, 64), randT(rng, 4, 64, 64, 64), randT(rng, 4, 64, 64, 64)
	for _, fused := range []bool{true, false} {
		b.Run(map[bool]string{true: "fused", false: "chain"}[fused], func(b *testing.B) {
			arena := NewArena()
			ex := NewExec(nil, arena, true)
			gamma, beta := Param(tensor.Full(1, 64)), Param(tensor.New(64))
			rm, rv := tensor.New(64), tensor.Full(1, 64)
			x, r := ex.Param(x0), ex.Param(r0)
			b.ReportAllocs()
			for range b.N {
				var y *Value
				if fused {
					y = BatchNormReLU(x, gamma, beta, r, rm, rv, true, 0.1, 1e-5)
				} else {
					y = ReLU(Add(BatchNorm2D(x, gamma, beta, rm, rv, true, 0.1, 1e-5), r))
				}
				Sum(Mul(y, Const(gy))).Backward()
				x.Grad, r.Grad, gamma.Grad, beta.Grad = nil, nil, nil, nil
				arena.Release()
			}
		})
	}
}
