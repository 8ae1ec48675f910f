package unet

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/lungo-ml/lungo/internal/golden"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// Goldens from scripts/golden/unet.py: the reference U-Net (unet_ref.py) in
// float64 with detWeights' deterministic weights (detWeightsShifted's for
// goldenTrainCases), on a [2, 1, 64, 64] input.

type goldenCase struct {
	name string
	cfg  Config
}

var goldenCases = []goldenCase{
	{"r18", Config{Encoder: "resnet18", InChannels: 1, Classes: 1}},
	{"r18_scse_cls", Config{Encoder: "resnet18", InChannels: 1, Classes: 1, Attention: "scse", ClassHead: 1}},
	{"r34", Config{Encoder: "resnet34", InChannels: 1, Classes: 1}},
	{"r34_scse_cls", Config{Encoder: "resnet34", InChannels: 1, Classes: 1, Attention: "scse", ClassHead: 3}},
}

// goldenTrainCases hold the train-mode gradients, with the shifted weights
// (detWeightsShifted; see the tolerances below).
var goldenTrainCases = []goldenCase{
	{"r18_train", Config{Encoder: "resnet18", InChannels: 1, Classes: 1}},
	{"r18_scse_cls_train", Config{Encoder: "resnet18", InChannels: 1, Classes: 1, Attention: "scse", ClassHead: 1}},
	{"r34_train", Config{Encoder: "resnet34", InChannels: 1, Classes: 1}},
	{"r34_scse_cls_train", Config{Encoder: "resnet34", InChannels: 1, Classes: 1, Attention: "scse", ClassHead: 3}},
}

// inputKey is the hash key of the case's input: the script's
// R18_TRAIN_INPUT, "input/1", for the resnet18 train cases, else "input".
// With the shifted weights and "input", one ReLU input of resnet18's
// decoder block 2 lies within 0.78 x PyTorch float32's forward error of
// the kink (flipping it moves 75 gradients by up to 1.1e-2); with
// "input/1" none lies within 4.2 x.
func (c goldenCase) inputKey() string {
	if c.name == "r18_train" || c.name == "r18_scse_cls_train" {
		return "input/1"
	}
	return "input"
}

// Tolerances, relative to the scale of the compared quantity (the largest
// |value| of a tensor; a gradient's L2 norm for its norm and probe): lungo
// computes in float32 against a float64 reference. Forward values and
// running statistics must agree to tolForward. A gradient must agree to
// tolGrad or to condFactor times PyTorch's own float32 error on it
// (<mode>/gcond/<key>, measured by the script over 3 float32 runs, 5 for
// goldenTrainCases), whichever is larger: ReLU and max-pool decisions that
// float32 rounding flips move some gradients by more than tolGrad.
//
// In train mode, batch statistics over 8 values per channel (layer4 at
// 2x2, batch 2) amplify each flip: one ReLU that float32 rounding flips
// moves resnet34's train-mode gradients by 1e-3 to 4e-2 (lungo's by 1.7e-2
// median, 5e-2 max over the parameters), so goldenCases hold eval-mode
// gradients only (with the train-mode forward, loss and running
// statistics). The train-mode gradients are in goldenTrainCases, whose
// weights add 2 to every batch-norm bias and 4 to every cSE squeeze bias:
// fewer ReLU inputs near the kink and a smaller float32 error in the
// forward (resnet34: 3.4e-6 of each layer's largest value, from 2.3e-5)
// leave float32 rounding no ReLU to flip: no ReLU input or max-pool top-2
// gap in float64 lies within 3 x PyTorch float32's forward error of the
// kink (the closest at 3.4 x and 3.9 x in resnet34's decoder block 4, 4.2 x
// and 4.5 x in resnet18's with its input "input/1", see inputKey; with the
// plain weights 20-23 lie within 1 x and 66-96 within 3 x in resnet34,
// 33-45 within 3 x in resnet18; the script's --margins prints these
// figures). A kernel change that makes lungo's float32 error several times
// larger could flip one: these cases would then fail by ~1e-3 while the
// eval-mode goldens pass. PyTorch's float32 gradients (gcond over 5 runs
// whose inputs differ by float32 rounding, 1e-7) agree with float64 to
// 2.6e-5 (resnet18: 1.6e-5; medians 1.6e-6 to 4.7e-6), but for three of
// resnet34's sSE gradients (decoder block 0's first attention, block 3's
// second: norms 5e-8 to 1.5e-5, against ~1e-2 for a typical weight, so
// float32's error is large relative to them; gcond 4e-4 to 9e-4), which are
// checked to 4 x gcond (as is one with gcond 2.6e-5): every other
// train-mode gradient (all 92 and 154 of resnet18's, 198 of resnet34's 202
// with scse) is checked to tolGrad. lungo (avx2, avx512, generic, purego)
// agrees to 1.8e-5 on resnet34, those three to 4.3e-4, and to 3.4e-5 on
// resnet18.
//
// The eval-mode goldens, with the plain weights, are not so well placed:
// 9-12 ReLU inputs lie within 3 x the float32 error (closest 0.3-0.5 x, in
// layer1 and the decoder), and flipping one moves up to 90 of resnet18's
// gradients by more than 1e-4 (measured one at a time in float64). The
// script's 1e-6 input noise flips those of layer1, so the stem's and
// layer1's gradients (12 per case) get gcond 6e-5 to 4e-2 and are checked
// to 4 x gcond. lungo's eval-mode gradients agree to 5.1e-6 today: it flips
// none of the decisions whose flip would show.
const (
	tolForward = 1e-4
	tolGrad    = 1e-4
	condFactor = 4
)

// compareScaled reports an error if some |got-want| > tol * max|want|.
func compareScaled(t *testing.T, name string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", name, len(got), len(want))
		return
	}
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
	}
	worst, at := 0.0, 0
	for i := range got {
		if d := math.Abs(float64(got[i]) - float64(want[i])); d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	if !(worst <= tol*scale) {
		t.Errorf("%s: element %d = %g, want %g (|diff| %.3g > %.0e * scale %.3g)", name, at, got[at], want[at], worst, tol, scale)
	}
}

func checkNear(t *testing.T, name string, got, want, scale, tol float64) {
	t.Helper()
	if !(math.Abs(got-want) <= tol*scale) {
		t.Errorf("%s = %.8g, want %.8g (|diff| %.3g > %.0e * %.3g)", name, got, want, math.Abs(got-want), tol, scale)
	}
}

func TestGoldenForwardBackward(t *testing.T) {
	for i, c := range append(append([]goldenCase{}, goldenCases...), goldenTrainCases...) {
		shifted := i >= len(goldenCases)
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && c.cfg.Encoder == "resnet34" {
				t.Skip("resnet34 goldens skipped in -short mode")
			}
			g, err := golden.Load("../../testdata/unet_" + c.name + ".gold")
			if err != nil {
				t.Fatal(err)
			}
			m := MustNew(c.cfg, tensor.NewRNG(1))
			if shifted {
				detWeightsShifted(m)
			} else {
				detWeights(m)
			}
			if m.ClassDropout != nil {
				m.ClassDropout.P = 0 // as the script: train mode must be deterministic
			}
			x, tgt, clsTgt := goldenInputs(c.inputKey(), 2, 64, c.cfg.ClassHead)
			modes := 0

			// Eval mode: forward, then the gradients of the loss (running
			// statistics are not touched).
			m.SetTraining(false)
			mask, cls := m.Forward(nn.Const(x))
			golden.Compare(t, "eval_mask shape", mask.Data, g.Get("eval_mask"), math.Inf(1), 0)
			compareScaled(t, "eval_mask", mask.Data.Data, g.Get("eval_mask").Data, tolForward)
			if c.cfg.ClassHead > 0 {
				compareScaled(t, "eval_cls", cls.Data.Data, g.Get("eval_cls").Data, tolForward)
			} else if cls != nil {
				t.Errorf("class logits without a class head")
			}
			if _, ok := g.Tensors["eval/gnorm/encoder.conv1.weight"]; ok {
				backwardAndCheck(t, g, m, "eval", loss(mask, cls, tgt, clsTgt))
				modes++
			}

			// Train mode: batch statistics; running statistics updated once.
			nn.ZeroGrad(m)
			m.SetTraining(true)
			mask, cls = m.Forward(nn.Const(x))
			compareScaled(t, "train_mask", mask.Data.Data, g.Get("train_mask").Data, tolForward)
			if cls != nil {
				compareScaled(t, "train_cls", cls.Data.Data, g.Get("train_cls").Data, tolForward)
			}
			nbuf := 0
			for _, b := range m.NamedBuffers("") {
				want, ok := g.Tensors["bprobe/"+b.Name]
				if !ok {
					continue
				}
				nbuf++
				var dot, ss float64
				pr := probe(b.Name, len(b.Tensor.Data))
				for i, v := range b.Tensor.Data {
					dot += float64(v) * pr[i]
					ss += float64(v) * float64(v)
				}
				checkNear(t, "bprobe/"+b.Name, dot, float64(want.Data[0]), math.Sqrt(ss*float64(len(b.Tensor.Data))/3), tolForward)
			}
			if nbuf == 0 {
				t.Errorf("no running statistics checked")
			}
			if _, ok := g.Tensors["train/gnorm/encoder.conv1.weight"]; ok {
				backwardAndCheck(t, g, m, "train", loss(mask, cls, tgt, clsTgt))
				modes++
			} else {
				checkNear(t, "train/loss", float64(loss(mask, cls, tgt, clsTgt).Item()), float64(g.Scalar("train/loss")), 1, 1e-5)
			}
			if modes == 0 {
				t.Errorf("no gradients checked")
			}
		})
	}
}

// goldenInputs makes the script's input [n, 1, size, size] (from the hash
// of key), mask target and class target [n, classes] (nil for 0 classes)
// from the shared hash.
func goldenInputs(key string, n, size, classes int) (x, tgt, clsTgt *tensor.Tensor) {
	x = tensor.FromData(hashu32(fnv1a(key), n*size*size), n, 1, size, size)
	tgt = tensor.New(n, 1, size, size)
	for i, v := range hashu(fnv1a("target"), len(tgt.Data)) {
		if v > 0.3 {
			tgt.Data[i] = 1
		}
	}
	if classes > 0 {
		clsTgt = tensor.New(n, classes)
		for i, v := range hashu(fnv1a("cls_target"), len(clsTgt.Data)) {
			if v > 0 {
				clsTgt.Data[i] = 1
			}
		}
	}
	return x, tgt, clsTgt
}

// loss is the script's: BCE on the mask plus, with a head, BCE on the class
// logits.
func loss(mask, cls *nn.Value, tgt, clsTgt *tensor.Tensor) *nn.Value {
	l := nn.BCEWithLogits(mask, tgt, nil)
	if cls != nil {
		l = nn.Add(l, nn.BCEWithLogits(cls, clsTgt, nil))
	}
	return l
}

// backwardAndCheck compares the loss and, after backward, every parameter's
// gradient with the golden's <mode>/ digests.
func backwardAndCheck(t *testing.T, g *golden.File, m *Model, mode string, l *nn.Value) {
	t.Helper()
	checkNear(t, mode+"/loss", float64(l.Item()), float64(g.Scalar(mode+"/loss")), 1, 1e-5)
	l.Backward()
	params := m.NamedParameters("")
	loose := 0 // parameters checked to condFactor*gcond > tolGrad
	var rels []float64
	worst := ""
	for _, p := range params {
		gr := p.Value.Grad
		if gr == nil {
			t.Errorf("%s: no gradient", p.Name)
			continue
		}
		var ss, dot float64
		pr := probe(p.Name, len(gr.Data))
		for i, v := range gr.Data {
			ss += float64(v) * float64(v)
			dot += float64(v) * pr[i]
		}
		key := mode + "/%s/" + p.Name
		tol := math.Max(tolGrad, condFactor*float64(g.Scalar(fmt.Sprintf(key, "gcond"))))
		if tol > tolGrad {
			loose++
		}
		norm := float64(g.Scalar(fmt.Sprintf(key, "gnorm")))
		checkNear(t, fmt.Sprintf(key, "gnorm"), math.Sqrt(ss), norm, norm, tol)
		checkNear(t, fmt.Sprintf(key, "gprobe"), dot, float64(g.Scalar(fmt.Sprintf(key, "gprobe"))), norm*math.Sqrt(float64(len(gr.Data))/3), tol)
		want := g.Get(fmt.Sprintf(key, "gsample")).Data
		got := make([]float32, len(want))
		for i := range got {
			got[i] = gr.Data[sampleIndex(i, len(gr.Data))]
		}
		compareScaled(t, fmt.Sprintf(key, "gsample"), got, want, tol)

		// The relative error of this gradient, as the checks above scale it.
		rel := math.Abs(math.Sqrt(ss)-norm) / norm
		rel = math.Max(rel, math.Abs(dot-float64(g.Scalar(fmt.Sprintf(key, "gprobe"))))/(norm*math.Sqrt(float64(len(gr.Data))/3)))
		var wmax, dmax float64
		for i := range got {
			wmax = math.Max(wmax, math.Abs(float64(want[i])))
			dmax = math.Max(dmax, math.Abs(float64(got[i])-float64(want[i])))
		}
		rel = math.Max(rel, dmax/wmax)
		if len(rels) == 0 || rel > slices.Max(rels) {
			worst = p.Name
		}
		rels = append(rels, rel)
	}
	t.Logf("%s mode: %d of %d parameter gradients checked to %g, the rest to %g x PyTorch's float32 error", mode, len(params)-loose, len(params), tolGrad, float64(condFactor))
	if len(rels) > 0 {
		slices.Sort(rels)
		t.Logf("%s mode: relative gradient error vs float64: median %.2e, max %.2e (%s)", mode, rels[len(rels)/2], rels[len(rels)-1], worst)
	}
}

// sampleIndex is the script's sample_idx: 16 evenly spaced flat indices, or
// all of them for small tensors.
func sampleIndex(i, n int) int {
	if n <= 16 {
		return i
	}
	return i * (n - 1) / 15
}

// TestGoldenResNet50Forward checks the bottleneck encoder's forward pass in
// eval and train mode (no gradient golden for resnet50).
func TestGoldenResNet50Forward(t *testing.T) {
	if testing.Short() {
		t.Skip("resnet50 golden skipped in -short mode")
	}
	g, err := golden.Load("../../testdata/unet_r50_fwd.gold")
	if err != nil {
		t.Fatal(err)
	}
	m := MustNew(Config{Encoder: "resnet50", InChannels: 1, Classes: 1}, tensor.NewRNG(1))
	detWeights(m)
	x, _, _ := goldenInputs("input", 2, 64, 0)
	ex := nn.NewExec(nil, nil, false)
	m.SetTraining(false)
	mask, _ := m.Forward(ex.Input(x))
	golden.Compare(t, "eval_mask shape", mask.Data, g.Get("eval_mask"), math.Inf(1), 0)
	compareScaled(t, "eval_mask", mask.Data.Data, g.Get("eval_mask").Data, tolForward)
	m.SetTraining(true)
	mask, _ = m.Forward(ex.Input(x))
	compareScaled(t, "train_mask", mask.Data.Data, g.Get("train_mask").Data, tolForward)
}
