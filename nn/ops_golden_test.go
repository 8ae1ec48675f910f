package nn

import (
	"sort"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/internal/golden"
	"github.com/lungo-ml/lungo/tensor"
)

// Forward outputs and gradients against PyTorch (testdata/nn_ops.gold, made
// by scripts/golden/nn_ops.py in float64 from float32 inputs). Activations
// are stored NCHW and converted to channels-last here.
//
// Tolerances: atol 1e-5, rtol 1e-5 for outputs and gradients alike. The
// references are exact to float32 rounding; our float32 results differ by
// reduction rounding, about 1e-7 * sqrt(length) relative to the summed
// magnitudes. The longest reductions here (weight gradients over
// N*OutH*OutW up to 98 terms, batch-norm's over 120 values with
// cancellation) measured at most 3e-6 absolute with every kernel
// implementation (LUNGO_KERNELS=generic and the SIMD default).
const (
	goldYAtol, goldYRtol = 1e-5, 1e-5
	goldGAtol, goldGRtol = 1e-5, 1e-5
)

func loadOpsGolden(t *testing.T) *golden.File {
	t.Helper()
	g, err := golden.Load("../testdata/nn_ops.gold")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// goldCases returns the case names with the given op prefix ("conv2d/").
func goldCases(g *golden.File, prefix string) []string {
	var names []string
	for _, n := range g.Names() {
		if strings.HasPrefix(n, prefix) && strings.HasSuffix(n, ".cfg") {
			names = append(names, strings.TrimSuffix(n, ".cfg"))
		}
	}
	sort.Strings(names)
	return names
}

// nhwc converts a stored 4-D NCHW tensor to channels-last; other ranks pass.
func nhwc(t *tensor.Tensor) *tensor.Tensor {
	if t.Dim() == 4 {
		return tensor.NCHWToNHWC(t)
	}
	return t.Clone()
}

// nchw converts a 4-D channels-last result back for comparison.
func nchw(t *tensor.Tensor) *tensor.Tensor {
	if t.Dim() == 4 {
		return tensor.NHWCToNCHW(t)
	}
	return t
}

// goldRun runs op on the case's inputs (x first, as Params, activations
// converted to NHWC), back-propagates the stored gy and compares y and the
// gradient of every input the file has a gradient for.
func goldRun(t *testing.T, g *golden.File, name string, inputs []string, op func(xs []*Value, cfg []int) *Value) {
	t.Helper()
	cfgT := g.Get(name + ".cfg")
	cfg := make([]int, len(cfgT.Data))
	for i, v := range cfgT.Data {
		cfg[i] = int(v)
	}
	// Only the activation (the first input) becomes NHWC; parameters keep
	// their PyTorch layout.
	xs := make([]*Value, len(inputs))
	for i, in := range inputs {
		if i == 0 {
			xs[i] = Param(nhwc(g.Get(name + "." + in)))
		} else {
			xs[i] = Param(g.Get(name + "." + in).Clone())
		}
	}
	y := op(xs, cfg)
	golden.Compare(t, name+".y", nchw(y.Data), g.Get(name+".y"), goldYAtol, goldYRtol)
	y.BackwardWith(nhwc(g.Get(name + ".gy")))
	for i, in := range inputs {
		want, ok := g.Tensors[name+".g"+in]
		if !ok {
			continue
		}
		if xs[i].Grad == nil {
			t.Errorf("%s: no gradient for %s", name, in)
			continue
		}
		got := xs[i].Grad
		if i == 0 {
			got = nchw(got)
		}
		golden.Compare(t, name+".g"+in, got, want, goldGAtol, goldGRtol)
	}
}

func TestGoldenConv2D(t *testing.T) {
	g := loadOpsGolden(t)
	cases := goldCases(g, "conv2d/")
	if len(cases) < 6 {
		t.Fatalf("%d conv2d cases in the golden file, want 6", len(cases))
	}
	for _, name := range cases {
		goldRun(t, g, name, []string{"x", "w", "b"}, func(xs []*Value, c []int) *Value {
			return Conv2D(xs[0], xs[1], xs[2], c[0], c[1], c[2])
		})
	}
}

func TestGoldenConvTranspose2D(t *testing.T) {
	g := loadOpsGolden(t)
	cases := goldCases(g, "conv_transpose2d/")
	if len(cases) < 5 {
		t.Fatalf("%d conv_transpose2d cases, want 5", len(cases))
	}
	for _, name := range cases {
		goldRun(t, g, name, []string{"x", "w", "b"}, func(xs []*Value, c []int) *Value {
			return ConvTranspose2D(xs[0], xs[1], xs[2], c[0], c[1], c[2], c[3])
		})
	}
}

func TestGoldenPool(t *testing.T) {
	g := loadOpsGolden(t)
	maxc, avgc := goldCases(g, "max_pool2d/"), goldCases(g, "avg_pool2d/")
	if len(maxc) < 4 || len(avgc) < 4 {
		t.Fatalf("%d max-pool and %d avg-pool cases, want 4 each", len(maxc), len(avgc))
	}
	for _, name := range maxc {
		goldRun(t, g, name, []string{"x"}, func(xs []*Value, c []int) *Value { return MaxPool2D(xs[0], c[0], c[1], c[2]) })
	}
	for _, name := range avgc {
		goldRun(t, g, name, []string{"x"}, func(xs []*Value, c []int) *Value { return AvgPool2D(xs[0], c[0], c[1], c[2]) })
	}
}

func TestGoldenBatchNorm(t *testing.T) {
	g := loadOpsGolden(t)
	cases := goldCases(g, "batch_norm/")
	if len(cases) < 4 {
		t.Fatalf("%d batch_norm cases, want 4", len(cases))
	}
	for _, name := range cases {
		rm, rv := g.Get(name+".rm").Clone(), g.Get(name+".rv").Clone()
		goldRun(t, g, name, []string{"x", "weight", "bias"}, func(xs []*Value, c []int) *Value {
			return BatchNorm2D(xs[0], xs[1], xs[2], rm, rv, c[0] == 1, 0.1, 1e-5)
		})
		// Running statistics after the step (unchanged in eval mode).
		golden.Compare(t, name+".rm_after", rm, g.Get(name+".rm_after"), 1e-6, 1e-5)
		golden.Compare(t, name+".rv_after", rv, g.Get(name+".rv_after"), 1e-6, 1e-5)
	}
}

// TestGoldenBatchNormLayer runs the same cases through the BatchNorm2DLayer layer
// to check its buffers and step count.
func TestGoldenBatchNormLayer(t *testing.T) {
	g := loadOpsGolden(t)
	for _, name := range goldCases(g, "batch_norm/") {
		x := g.Get(name + ".x")
		bn := NewBatchNorm2DLayer(x.Shape[1])
		training := g.Get(name + ".cfg").Data[0] == 1
		bn.SetTraining(training)
		bn.Weight.Data.CopyFrom(g.Get(name + ".weight"))
		bn.Bias.Data.CopyFrom(g.Get(name + ".bias"))
		bn.RunningMean.CopyFrom(g.Get(name + ".rm"))
		bn.RunningVar.CopyFrom(g.Get(name + ".rv"))
		y := bn.Forward(Const(tensor.NCHWToNHWC(x)))
		golden.Compare(t, name+".layer.y", nchw(y.Data), g.Get(name+".y"), goldYAtol, goldYRtol)
		golden.Compare(t, name+".layer.rm_after", bn.RunningMean, g.Get(name+".rm_after"), 1e-6, 1e-5)
		golden.Compare(t, name+".layer.rv_after", bn.RunningVar, g.Get(name+".rv_after"), 1e-6, 1e-5)
		want := float32(0)
		if training {
			want = 1
		}
		if got := bn.NumBatchesTracked.Data[0]; got != want {
			t.Errorf("%s: num_batches_tracked = %g, want %g", name, got, want)
		}
	}
}

func TestGoldenUpsample(t *testing.T) {
	g := loadOpsGolden(t)
	near, bil := goldCases(g, "upsample_nearest/"), goldCases(g, "upsample_bilinear/")
	if len(near) < 3 || len(bil) < 3 {
		t.Fatalf("%d nearest and %d bilinear cases, want 3 each", len(near), len(bil))
	}
	for _, name := range near {
		goldRun(t, g, name, []string{"x"}, func(xs []*Value, _ []int) *Value { return UpsampleNearest2x(xs[0]) })
	}
	for _, name := range bil {
		goldRun(t, g, name, []string{"x"}, func(xs []*Value, _ []int) *Value { return UpsampleBilinear2x(xs[0]) })
	}
}

func TestGoldenLinear(t *testing.T) {
	g := loadOpsGolden(t)
	cases := goldCases(g, "linear/")
	if len(cases) < 2 {
		t.Fatalf("%d linear cases, want 2", len(cases))
	}
	for _, name := range cases {
		goldRun(t, g, name, []string{"x", "w", "b"}, func(xs []*Value, _ []int) *Value { return Linear(xs[0], xs[1], xs[2]) })
	}
}

func TestGoldenActivationsAndGlobalPool(t *testing.T) {
	g := loadOpsGolden(t)
	for prefix, op := range map[string]func(*Value) *Value{
		"global_avg_pool/": GlobalAvgPool,
		"sigmoid/":         Sigmoid,
		"relu/":            ReLU,
	} {
		cases := goldCases(g, prefix)
		if len(cases) != 1 {
			t.Fatalf("%d %s cases, want 1", len(cases), prefix)
		}
		goldRun(t, g, cases[0], []string{"x"}, func(xs []*Value, _ []int) *Value { return op(xs[0]) })
	}
}

// TestGoldenStem chains conv, batch norm, relu and max-pool as a ResNet stem
// does, on a larger image, so that errors which only compound (or ties in
// max-pool windows after the relu) show up.
func TestGoldenStem(t *testing.T) {
	g := loadOpsGolden(t)
	name := "stem/2x3x24x24"
	goldRun(t, g, name, []string{"x", "w", "weight", "bias"}, func(xs []*Value, _ []int) *Value {
		c := Conv2D(xs[0], xs[1], nil, 2, 3, 1)
		return MaxPool2D(ReLU(BatchNorm2D(c, xs[2], xs[3], nil, nil, true, 0.1, 1e-5)), 3, 2, 1)
	})
}

// TestGoldenDecoder chains upsampling, concatenation with a skip connection,
// convolution, batch norm, relu and a residual add, as a U-Net decoder block.
func TestGoldenDecoder(t *testing.T) {
	g := loadOpsGolden(t)
	name := "decoder/2x4x6x6_skip3"
	skip := Param(tensor.NCHWToNHWC(g.Get(name + ".skip")))
	goldRun(t, g, name, []string{"x", "w", "weight", "bias", "wp"}, func(xs []*Value, _ []int) *Value {
		cat := Concat(UpsampleNearest2x(xs[0]), skip)
		main := ReLU(BatchNorm2D(Conv2D(cat, xs[1], nil, 1, 1, 1), xs[2], xs[3], nil, nil, true, 0.1, 1e-5))
		return Add(main, Conv2D(cat, xs[4], nil, 1, 0, 1))
	})
	golden.Compare(t, name+".gskip", tensor.NHWCToNCHW(skip.Grad), g.Get(name+".gskip"), goldGAtol, goldGRtol)
}
