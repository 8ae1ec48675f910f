package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

func TestLayerNamesAndShapes(t *testing.T) {
	rng := tensor.NewRNG(1)
	net := NewSequential(
		NewConv2DLayer(rng, 3, 8, 3, 1, 1, true),
		NewBatchNorm2DLayer(8),
		NewReLULayer(),
		NewMaxPool2DLayer(2, 0, 0),
		NewConvTranspose2DLayer(rng, 8, 4, 2, 2, 0, 0, false),
		NewUpsampleLayer("nearest"),
		NewDropoutLayer(0.5, rng),
		NewLinearLayer(rng, 4, 2, true),
	)
	var got []string
	for _, p := range net.NamedParameters("enc.") {
		got = append(got, fmt.Sprintf("%s%v", p.Name, p.Value.Data.Shape))
	}
	want := []string{"enc.0.weight[8 3 3 3]", "enc.0.bias[8]", "enc.1.weight[8]", "enc.1.bias[8]",
		"enc.4.weight[8 4 2 2]", "enc.7.weight[2 4]", "enc.7.bias[2]"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parameters %v, want %v", got, want)
	}
	got = got[:0]
	for _, b := range net.NamedBuffers("") {
		got = append(got, fmt.Sprintf("%s%v%v", b.Name, b.Tensor.Shape, b.Int64))
	}
	want = []string{"1.running_mean[8]false", "1.running_var[8]false", "1.num_batches_tracked[]true"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("buffers %v, want %v", got, want)
	}
	if n := CountParameters(net); n != 8*27+8+16+8*4*4+2*4+2 {
		t.Errorf("CountParameters = %d", n)
	}
	for _, p := range Parameters(net) {
		if !p.RequiresGrad {
			t.Error("a parameter does not require grad")
		}
	}
	// Forward through everything: [2, 6, 6, 3] -> conv/bn/relu [2,6,6,8] ->
	// pool [2,3,3,8] -> convT [2,6,6,4] -> up [2,12,12,4] -> linear [2,12,12,2].
	y := net.Forward(Const(rng.Randn(2, 6, 6, 3)))
	if !tensor.SameShape(y.Data.Shape, []int{2, 12, 12, 2}) {
		t.Errorf("output shape %v", y.Data.Shape)
	}
	bn := net.Layers[1].(*BatchNorm2DLayer)
	if bn.NumBatchesTracked.Data[0] != 1 {
		t.Errorf("num_batches_tracked = %g after one training forward", bn.NumBatchesTracked.Data[0])
	}
	net.SetTraining(false)
	if bn.Training || net.Layers[6].(*DropoutLayer).training {
		t.Error("SetTraining(false) did not reach the children")
	}
	net.Forward(Const(rng.Randn(2, 6, 6, 3)))
	if bn.NumBatchesTracked.Data[0] != 1 {
		t.Error("eval forward counted a batch")
	}
}

// TestLayerInit checks PyTorch's default init: weights and biases uniform in
// ±1/sqrt(fanIn) (kaiming_uniform with a = sqrt(5)), deterministic per seed.
func TestLayerInit(t *testing.T) {
	check := func(name string, v *Value, fanIn int) {
		t.Helper()
		bound := 1 / math.Sqrt(float64(fanIn))
		lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
		for _, x := range v.Data.Data {
			lo, hi = math.Min(lo, float64(x)), math.Max(hi, float64(x))
			sum += float64(x)
		}
		n := float64(len(v.Data.Data))
		if lo < -bound || hi > bound {
			t.Errorf("%s: values in [%g, %g], want within ±%g", name, lo, hi, bound)
		}
		// A uniform sample of n values reaches within a few bound/n of the
		// ends and has mean ~0 within 4 standard errors.
		if n >= 100 && (hi < bound*0.9 || lo > -bound*0.9) {
			t.Errorf("%s: values in [%g, %g] do not span ±%g", name, lo, hi, bound)
		}
		if math.Abs(sum/n) > 4*bound/math.Sqrt(3*n) {
			t.Errorf("%s: mean %g too far from 0", name, sum/n)
		}
	}
	c := NewConv2DLayer(tensor.NewRNG(7), 16, 32, 3, 1, 1, true)
	check("conv.weight", c.Weight, 16*9)
	check("conv.bias", c.Bias, 16*9)
	ct := NewConvTranspose2DLayer(tensor.NewRNG(7), 16, 8, 2, 2, 0, 0, true)
	check("convT.weight", ct.Weight, 8*4) // PyTorch's fan-in of [in, out, k, k] is out*k*k
	check("convT.bias", ct.Bias, 8*4)
	l := NewLinearLayer(tensor.NewRNG(7), 50, 40, true)
	check("linear.weight", l.Weight, 50)
	check("linear.bias", l.Bias, 50)
	c2 := NewConv2DLayer(tensor.NewRNG(7), 16, 32, 3, 1, 1, true)
	if _, _, ok := tensor.MaxDiff(c2.Weight.Data.Data, c.Weight.Data.Data, 0, 0); !ok {
		t.Error("same seed, different weights")
	}
	c3 := NewConv2DLayer(tensor.NewRNG(8), 16, 32, 3, 1, 1, true)
	if _, _, ok := tensor.MaxDiff(c3.Weight.Data.Data, c.Weight.Data.Data, 0, 0); ok {
		t.Error("different seeds, same weights")
	}
	bn := NewBatchNorm2DLayer(4)
	for i := 0; i < 4; i++ {
		if bn.Weight.Data.Data[i] != 1 || bn.Bias.Data.Data[i] != 0 || bn.RunningMean.Data[i] != 0 || bn.RunningVar.Data[i] != 1 {
			t.Fatal("BatchNorm2DLayer: want weight 1, bias 0, running mean 0, running var 1")
		}
	}
	if bn.Eps != 1e-5 || bn.Momentum != 0.1 || !bn.Training {
		t.Errorf("BatchNorm2DLayer eps %g momentum %g training %v", bn.Eps, bn.Momentum, bn.Training)
	}
}

func TestDropoutStatistics(t *testing.T) {
	x := Param(tensor.Full(1, 100, 100))
	d := NewDropoutLayer(0.3, tensor.NewRNG(4))
	y := d.Forward(x)
	zeros, kept := 0, float32(1/(1-0.3))
	for _, v := range y.Data.Data {
		switch v {
		case 0:
			zeros++
		case kept:
		default:
			t.Fatalf("dropout output %g, want 0 or %g", v, kept)
		}
	}
	// 10000 Bernoulli(0.3): standard deviation ~46.
	if zeros < 3000-200 || zeros > 3000+200 {
		t.Errorf("%d of 10000 dropped, want about 3000", zeros)
	}
	Sum(y).Backward()
	for i, g := range x.Grad.Data {
		if g != y.Data.Data[i] { // d(sum(x*mask))/dx = mask = y here
			t.Fatalf("grad %g at %d, want %g", g, i, y.Data.Data[i])
		}
	}
	d.SetTraining(false)
	if d.Forward(x) != x {
		t.Error("dropout in eval mode is not the identity")
	}
	if y := Dropout(x, 1, tensor.NewRNG(1), true); Sum(y).Item() != 0 {
		t.Error("p = 1 did not zero everything")
	}
}

func TestNoGradRecordsNothing(t *testing.T) {
	w := Param(tensor.Full(2, 3))
	x := NewExec(nil, nil, false).Input(tensor.Full(1, 3))
	y := ReLU(Mul(x, w))
	if y.RequiresGrad || y.backward != nil || y.parents != nil {
		t.Error("a result of a pass without grad recorded a graph")
	}
	if z := ReLU(Mul(Const(tensor.Full(1, 3)), w)); !z.RequiresGrad || z.backward == nil {
		t.Error("a pass without an Exec did not record its graph")
	}
}
