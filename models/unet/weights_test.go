package unet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/internal/golden"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/nn/pth"
	"github.com/lungo-ml/lungo/tensor"
)

// TestPthFromPyTorch loads a state dict that torch.save wrote for a random
// unet_ref resnet18 model (2 classes; tensors are strided views of small
// storages so the file stays small) and compares the probabilities with
// PyTorch's on a 64x96 input.
func TestPthFromPyTorch(t *testing.T) {
	cfg := Config{Encoder: "resnet18", InChannels: 1, Classes: 2}
	m, err := Open("../../testdata/unet_r18_views.pth", &cfg)
	if err != nil {
		t.Fatal(err)
	}
	g, err := golden.Load("../../testdata/unet_r18_views.gold")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Training() {
		t.Errorf("Open returned a model in eval mode")
	}
	probs, err := m.Predict(g.Get("input"))
	if err != nil {
		t.Fatal(err)
	}
	if !m.Training() {
		t.Errorf("Predict did not restore training mode")
	}
	golden.Compare(t, "probs", probs, g.Get("probs"), 1e-5, 1e-4)
	// num_batches_tracked (int64 in the file) arrived as a float.
	sd := m.StateDict()
	if v := sd.Tensors["encoder.bn1.num_batches_tracked"].Data[0]; v != 7 {
		t.Errorf("num_batches_tracked = %g, want 7", v)
	}
}

// TestBareResNet loads torchvision's resnet18 state dict (3-channel stem, fc)
// into the encoders of 1- and 3-channel models (LoadEncoderStateDict).
func TestBareResNet(t *testing.T) {
	p, err := pth.Load("../../testdata/resnet18_tv.pth")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []int{1, 3} {
		m := MustNew(Config{Encoder: "resnet18", InChannels: in}, tensor.NewRNG(3))
		before := m.StateDict().Clone()
		r, err := m.LoadEncoderStateDict(FromPth(p))
		if err != nil {
			t.Fatalf("in=%d: %v", in, err)
		}
		if r.Encoder != "resnet18" || r.Keys != "torchvision" || r.StemSummed != (in == 1) || len(r.Ignored) != 1 || r.Ignored[0] != "fc (2 tensors)" {
			t.Errorf("in=%d: report %+v", in, r)
		}
		after := m.StateDict()
		for _, k := range after.Keys {
			if strings.HasPrefix(k, "encoder.") {
				src := p.Tensors[strings.TrimPrefix(k, "encoder.")]
				want := src
				if k == "encoder.conv1.weight" && in == 1 {
					want = sumInputChannels(src)
					// Spot-check the sum against the file directly.
					if got, w := after.Tensors[k].At(5, 0, 2, 3), src.At(5, 0, 2, 3)+src.At(5, 1, 2, 3)+src.At(5, 2, 2, 3); got != w {
						t.Errorf("stem [5,0,2,3] = %g, want %g", got, w)
					}
				}
				golden.Compare(t, k, after.Tensors[k], want.Reshape(after.Tensors[k].Shape...), 0, 0)
			} else if !tensor.AllClose(after.Tensors[k], before.Tensors[k], 0, 0) {
				t.Errorf("%s changed by loading an encoder", k)
			}
		}
	}
}

func TestLoadErrorsNameKeys(t *testing.T) {
	m := MustNew(Config{Encoder: "resnet18"}, tensor.NewRNG(1))
	sd := m.StateDict().Clone()
	sd.Delete("decoder.blocks.2.conv1.1.running_var")
	sd.Set("decoder.extra.weight", tensor.New(3), false)
	sd.Set("segmentation_head.0.bias", tensor.New(2), false)
	err := m.LoadStateDict(sd)
	if err == nil {
		t.Fatal("bad state dict loaded")
	}
	for _, k := range []string{"decoder.blocks.2.conv1.1.running_var", "decoder.extra.weight", "segmentation_head.0.bias"} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error %q does not name %s", err, k)
		}
	}
	// A resnet34 state dict into a resnet18 model names the architecture
	// the weights are.
	m34 := MustNew(Config{Encoder: "resnet34"}, tensor.NewRNG(1))
	if err := m.LoadStateDict(m34.StateDict()); err == nil || !strings.Contains(err.Error(), "weights are U-Net-ResNet34, not unet-resnet18") {
		t.Errorf("resnet34 into resnet18: %v", err)
	}
	// DataParallel's "module." prefix is stripped.
	pre := nn.NewStateDict()
	src := MustNew(Config{Encoder: "resnet18"}, tensor.NewRNG(9)).StateDict()
	for _, k := range src.Keys {
		pre.Set("module."+k, src.Tensors[k], src.Int64[k])
	}
	if err := m.LoadStateDict(pre); err != nil {
		t.Errorf("module. prefix: %v", err)
	}
	if !tensor.AllClose(m.StateDict().Tensors["encoder.conv1.weight"], src.Tensors["encoder.conv1.weight"], 0, 0) {
		t.Errorf("module.-prefixed weights not loaded")
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Encoder: "resnet18", InChannels: 1, Classes: 2, Attention: "scse", ClassHead: 1}
	m := MustNew(cfg, tensor.NewRNG(4))
	m.StateDict().Tensors["encoder.bn1.num_batches_tracked"].Data[0] = 12
	path := filepath.Join(dir, "m.lungo")
	if err := m.SaveCheckpoint(path, map[string]string{"epoch": "3"}); err != nil {
		t.Fatal(err)
	}
	back, err := Open(path, nil) // the config comes from the file
	if err != nil {
		t.Fatal(err)
	}
	if back.Config.MarshalConfig() != m.Config.MarshalConfig() {
		t.Errorf("config %s, want %s", back.Config.MarshalConfig(), m.Config.MarshalConfig())
	}
	a, b := m.StateDict(), back.StateDict()
	for _, k := range a.Keys {
		if !tensor.AllClose(a.Tensors[k], b.Tensors[k], 0, 0) {
			t.Errorf("%s differs after the round trip", k)
		}
	}
	c, ok, err := CheckpointConfig(path)
	if err != nil || !ok || c.Attention != "scse" {
		t.Errorf("CheckpointConfig = %+v, %v, %v", c, ok, err)
	}
	// Loading it into another configuration is an error naming both.
	other := MustNew(Config{Encoder: "resnet18", InChannels: 1, Classes: 1}, tensor.NewRNG(1))
	if err := other.LoadWeights(path); err == nil || !strings.Contains(err.Error(), "scse") {
		t.Errorf("LoadWeights into another config: %v", err)
	}
	plain := filepath.Join(dir, "plain.safetensors")
	if err := nn.SaveSafetensors(plain, m.StateDict(), nil); err != nil {
		t.Fatal(err)
	}
	// A plain safetensors file (no config): the architecture comes from
	// its keys and shapes.
	if got, err := Open(plain, nil); err != nil {
		t.Errorf("Open(plain, nil): %v", err)
	} else if got.Config.MarshalConfig() != m.Config.MarshalConfig() {
		t.Errorf("Open(plain, nil): config %s, want %s", got.Config.MarshalConfig(), m.Config.MarshalConfig())
	}
	if _, err := Open(plain, &cfg); err != nil {
		t.Errorf("Open(plain, cfg): %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "junk"), []byte("PK\x03\x04junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(filepath.Join(dir, "junk"), &cfg); err == nil {
		t.Errorf("junk file opened")
	}
}

// TestPadCrop checks that sizes not divisible by 32 give a mask of the input
// size equal to running the zero-padded input and cropping.
func TestPadCrop(t *testing.T) {
	m := MustNew(Config{Encoder: "resnet18", DecoderChannels: []int{32, 16, 16, 8, 8}}, tensor.NewRNG(5))
	rng := tensor.NewRNG(6)
	x := rng.Randn(1, 1, 40, 50)
	probs, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if s := probs.Shape; s[0] != 1 || s[1] != 1 || s[2] != 40 || s[3] != 50 {
		t.Fatalf("probs shape %v", s)
	}
	padded := tensor.New(1, 1, 64, 64)
	for i := 0; i < 40; i++ {
		copy(padded.Data[i*64:i*64+50], x.Data[i*50:(i+1)*50])
	}
	full, err := m.Predict(padded)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		for j := 0; j < 50; j++ {
			if probs.At(0, 0, i, j) != full.At(0, 0, i, j) {
				t.Fatalf("probs[%d,%d] = %g, padded run %g", i, j, probs.At(0, 0, i, j), full.At(0, 0, i, j))
			}
		}
	}
	if _, err := m.Predict(tensor.New(1, 3, 32, 32)); err == nil {
		t.Errorf("3-channel input into a 1-channel model accepted")
	}
	// Gradients flow through the padding: the padded region's input gets none.
	m.SetTraining(true)
	xv := nn.Param(x)
	mask, _ := m.Forward(xv)
	nn.Mean(mask).Backward()
	if xv.Grad == nil || xv.Grad.Shape[2] != 40 {
		t.Fatalf("input gradient %v", xv.Grad)
	}
}
