package unet

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

const resnet18TV = "../../testdata/resnet18_tv.pth"

// TestInferConfigBuiltModels builds the configurations lungo builds, saves
// their state dicts and works the configuration out again.
func TestInferConfigBuiltModels(t *testing.T) {
	for _, c := range []Config{
		{Encoder: "resnet18", InChannels: 1, Classes: 1},
		{Encoder: "resnet18", InChannels: 3, Classes: 2, DecoderChannels: []int{16, 8, 8, 8, 8}},
		{Encoder: "resnet18", InChannels: 1, Classes: 1, Attention: "scse", ClassHead: 1, DecoderChannels: []int{64, 32, 32, 16, 16}},
		{Encoder: "resnet34", InChannels: 1, Classes: 2, ClassHead: 2},
		{Encoder: "resnet34", InChannels: 3, Classes: 1, Attention: "scse"},
		{Encoder: "resnet50", InChannels: 1, Classes: 1, DecoderChannels: []int{32, 32, 16, 16, 16}},
		{Encoder: "resnet50", InChannels: 3, Classes: 2, Attention: "scse", ClassHead: 1},
	} {
		m := MustNew(c, tensor.NewRNG(1))
		path := filepath.Join(t.TempDir(), "w.safetensors")
		if err := nn.SaveSafetensors(path, m.StateDict(), nil); err != nil {
			t.Fatal(err)
		}
		sd, _, err := ReadWeights(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := InferConfig(sd)
		if err != nil {
			t.Errorf("%s: %v", c.Describe(), err)
			continue
		}
		if got.MarshalConfig() != m.Config.MarshalConfig() {
			t.Errorf("inferred %s, want %s", got.MarshalConfig(), m.Config.MarshalConfig())
		}
		// With nn.DataParallel's prefix.
		pre := nn.NewStateDict()
		for _, k := range sd.Keys {
			pre.Set("module."+k, sd.Tensors[k], sd.Int64[k])
		}
		if got, err := InferConfig(pre); err != nil || got.MarshalConfig() != m.Config.MarshalConfig() {
			t.Errorf("module.-prefixed %s: %+v, %v", c.Describe(), got, err)
		}
	}
}

// TestInferConfigReferenceKeys works the configuration out from the keys
// and shapes PyTorch's unet_ref.py gives (testdata/unet_*.keys).
func TestInferConfigReferenceKeys(t *testing.T) {
	for name, want := range map[string]string{
		"r18":          "U-Net-ResNet18, 1 input channel, 1 class, decoder 256-128-64-32-16",
		"r34":          "U-Net-ResNet34, 1 input channel, 1 class, decoder 256-128-64-32-16",
		"r18_scse_cls": "U-Net-ResNet18, 1 input channel, 1 class, decoder 256-128-64-32-16, scSE attention, class head of 1 output",
		"r34_scse_cls": "U-Net-ResNet34, 1 input channel, 1 class, decoder 256-128-64-32-16, scSE attention, class head of 3 outputs",
		"r50_scse_cls": "U-Net-ResNet50, 1 input channel, 1 class, decoder 256-128-64-32-16, scSE attention, class head of 2 outputs",
	} {
		sd := keysFile(t, "../../testdata/unet_"+name+".keys")
		c, err := InferConfig(sd)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := c.Describe(); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// keysFile returns a state dict of zero tensors with the keys and shapes of
// a .keys file ("encoder.conv1.weight 64x1x7x7" per line).
func keysFile(t *testing.T, path string) *nn.StateDict {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sd := nn.NewStateDict()
	s := bufio.NewScanner(f)
	for s.Scan() {
		key, dims, _ := strings.Cut(s.Text(), " ")
		var shape []int
		for _, d := range strings.Split(dims, "x") {
			if d == "" {
				continue
			}
			n, err := strconv.Atoi(d)
			if err != nil {
				t.Fatalf("%s: %q: %v", path, s.Text(), err)
			}
			shape = append(shape, n)
		}
		sd.Set(key, tensor.New(shape...), strings.HasSuffix(key, "num_batches_tracked"))
	}
	return sd
}

// TestEncoderOnlyRefused: torchvision's resnet18 state dict is no U-Net;
// Open, LoadWeights and LoadStateDict say so and point at -init-encoder.
func TestEncoderOnlyRefused(t *testing.T) {
	check := func(what string, err error, classHead bool) {
		t.Helper()
		var eo *EncoderOnlyError
		if !errors.As(err, &eo) {
			t.Fatalf("%s: %v, want an *EncoderOnlyError", what, err)
		}
		msg := err.Error()
		for _, want := range []string{"encoder-only ResNet-18 weights", "decoder and segmentation head missing", "lungo train -init-encoder FILE"} {
			if classHead && want == "decoder and segmentation head missing" {
				want = "decoder, segmentation head and classification head missing"
			}
			if !strings.Contains(msg, want) {
				t.Errorf("%s: %q does not say %q", what, msg, want)
			}
		}
	}
	_, err := Open(resnet18TV, nil)
	check("Open(nil)", err, false)
	_, err = Open(resnet18TV, &Config{Encoder: "resnet18"})
	check("Open(resnet18)", err, false)
	m := MustNew(Config{Encoder: "resnet18", ClassHead: 1}, tensor.NewRNG(1))
	check("LoadWeights", m.LoadWeights(resnet18TV), true)
	// smp-style encoder keys alone.
	enc := nn.NewStateDict()
	full := m.StateDict()
	for _, k := range full.Keys {
		if strings.HasPrefix(k, "encoder.") {
			enc.Set(k, full.Tensors[k], full.Int64[k])
		}
	}
	_, err = InferConfig(enc)
	if !strings.Contains(err.Error(), "encoder-only ResNet-18 weights (smp keys)") {
		t.Errorf("smp encoder keys: %v", err)
	}
}

// TestMissingBufferNamed: a full state dict short of one batch-norm buffer
// is refused naming it; without its num_batches_tracked buffers it loads.
func TestMissingBufferNamed(t *testing.T) {
	cfg := Config{Encoder: "resnet18", DecoderChannels: []int{32, 16, 16, 8, 8}}
	src := MustNew(cfg, tensor.NewRNG(2))
	sd := src.StateDict().Clone()
	sd.Delete("encoder.layer3.1.bn2.running_var")
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := nn.SaveSafetensors(path, sd, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Config{nil, &cfg} {
		_, err := Open(path, c)
		var we *WeightsError
		if !errors.As(err, &we) || !strings.Contains(err.Error(), "missing encoder.layer3.1.bn2.running_var") {
			t.Errorf("Open(cfg %v): %v", c, err)
		}
		if we != nil && (len(we.Missing) != 1 || len(we.Unexpected) != 0 || len(we.Mismatched) != 0) {
			t.Errorf("WeightsError %+v", we)
		}
	}

	// Whole modules are named once; a parameters-only file is told apart.
	dst := MustNew(cfg, tensor.NewRNG(3))
	sd = src.StateDict().Without("decoder.blocks.4.", "segmentation_head.")
	err := dst.LoadStateDict(sd)
	if err == nil || !strings.Contains(err.Error(), "missing decoder.blocks.4 (10 tensors), segmentation_head (2 tensors)") {
		t.Errorf("without the last block and the head: %v", err)
	}
	// A decoder missing altogether is missing, not another architecture.
	err = dst.LoadStateDict(src.StateDict().Without("decoder."))
	if err == nil || !strings.Contains(err.Error(), "missing decoder (50 tensors)") {
		t.Errorf("without the decoder: %v", err)
	}
	params := nn.NewStateDict()
	for _, p := range src.NamedParameters("") {
		params.Set(p.Name, p.Value.Data, false)
	}
	err = dst.LoadStateDict(params)
	if err == nil || !strings.Contains(err.Error(), "running_mean and running_var of all 30 batch norms") {
		t.Errorf("parameters only: %v", err)
	}

	// num_batches_tracked may be absent: the model keeps its own.
	sd = src.StateDict().Clone()
	for _, k := range append([]string(nil), sd.Keys...) {
		if strings.HasSuffix(k, ".num_batches_tracked") {
			sd.Delete(k)
		}
	}
	if err := dst.LoadStateDict(sd); err != nil {
		t.Fatalf("without num_batches_tracked: %v", err)
	}
	if !tensor.AllClose(dst.StateDict().Tensors["decoder.blocks.0.conv1.0.weight"], src.StateDict().Tensors["decoder.blocks.0.conv1.0.weight"], 0, 0) {
		t.Errorf("weights not loaded")
	}

	// A shape mismatch names the key and both shapes.
	sd = src.StateDict().Clone()
	sd.Set("decoder.blocks.1.conv2.1.running_mean", tensor.New(15), false)
	if err := dst.LoadStateDict(sd); err == nil || !strings.Contains(err.Error(), "decoder.blocks.1.conv2.1.running_mean: file [15], model [16]") {
		t.Errorf("mis-shaped buffer: %v", err)
	}
}

// TestWrongArchNamesTheRightOne: weights opened as another architecture.
func TestWrongArchNamesTheRightOne(t *testing.T) {
	src := MustNew(Config{Encoder: "resnet34", Classes: 2, DecoderChannels: []int{32, 16, 16, 8, 8}}, tensor.NewRNG(2))
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := nn.SaveSafetensors(path, src.StateDict(), nil); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, &Config{Encoder: "resnet18", Classes: 2, DecoderChannels: []int{32, 16, 16, 8, 8}})
	var ae *ArchMismatchError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "weights are U-Net-ResNet34, not unet-resnet18") {
		t.Errorf("resnet34 weights as resnet18: %v", err)
	}
	_, err = Open(path, &Config{Encoder: "resnet34", Classes: 1})
	if err == nil || !strings.Contains(err.Error(), "weights have 2 classes, not 1; decoder 32-16-16-8-8, not 256-128-64-32-16") {
		t.Errorf("wrong classes and decoder: %v", err)
	}
	// A lungo checkpoint opened with another configuration.
	ckpt := filepath.Join(t.TempDir(), "m.lungo")
	if err := src.SaveCheckpoint(ckpt, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ckpt, &Config{Encoder: "resnet50", Classes: 2}); err == nil || !strings.Contains(err.Error(), "weights are U-Net-ResNet34, not unet-resnet50") {
		t.Errorf("checkpoint as resnet50: %v", err)
	}
}

// TestInferConfigOddDicts: state dicts that are no U-Net lungo builds give
// errors saying what they are, never a panic.
func TestInferConfigOddDicts(t *testing.T) {
	full := MustNew(Config{Encoder: "resnet18", DecoderChannels: []int{32, 16, 16, 8, 8}}, tensor.NewRNG(1)).StateDict()
	cases := map[string]struct {
		edit func(sd *nn.StateDict)
		want string
	}{
		"empty": {func(sd *nn.StateDict) { *sd = *nn.NewStateDict() }, "no ResNet encoder"},
		"other": {func(sd *nn.StateDict) {
			*sd = *nn.NewStateDict()
			sd.Set("bert.embeddings.weight", tensor.New(4, 2), false)
		}, "bert.embeddings.weight"},
		"depth 4":   {func(sd *nn.StateDict) { *sd = *sd.Without("decoder.blocks.4.") }, "decoder has 4 blocks"},
		"resnet101": {func(sd *nn.StateDict) { sd.Set("encoder.layer3.22.conv3.weight", tensor.New(1), false) }, "lungo builds resnet18"},
		"bad shapes": {func(sd *nn.StateDict) {
			sd.Set("encoder.conv1.weight", tensor.New(), false)
			sd.Set("segmentation_head.0.weight", tensor.New(), false)
		}, ""},
		"bad index": {func(sd *nn.StateDict) { sd.Set("decoder.blocks.99999999999999999999.x", tensor.New(1), false) }, ""},
	}
	for name, c := range cases {
		sd := full.Clone()
		c.edit(sd)
		_, err := InferConfig(sd)
		if c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
		// Loading never panics and never succeeds.
		m := MustNew(Config{Encoder: "resnet18", DecoderChannels: []int{32, 16, 16, 8, 8}}, tensor.NewRNG(1))
		if err := m.LoadStateDict(sd); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

// TestLoadEncoder loads torchvision's resnet18 into a fresh model's encoder:
// the encoder equals the file, the decoder and head are untouched.
func TestLoadEncoder(t *testing.T) {
	cfg := Config{Encoder: "resnet18", DecoderChannels: []int{32, 16, 16, 8, 8}, ClassHead: 1}
	m := MustNew(cfg, tensor.NewRNG(5))
	before := m.StateDict().Clone()
	r, err := LoadEncoder(m, resnet18TV)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.String(), "ResNet-18 encoder (torchvision keys): 120 tensors, stem summed over 3 input channels; ignored fc (2 tensors)"; got != want {
		t.Errorf("report %q, want %q", got, want)
	}
	file, _, err := ReadWeights(resnet18TV)
	if err != nil {
		t.Fatal(err)
	}
	after := m.StateDict()
	for _, k := range after.Keys {
		enc, ok := strings.CutPrefix(k, "encoder.")
		switch {
		case !ok:
			if !tensor.AllClose(after.Tensors[k], before.Tensors[k], 0, 0) {
				t.Errorf("%s changed by LoadEncoder", k)
			}
		case k == "encoder.conv1.weight":
			if !tensor.AllClose(after.Tensors[k], sumInputChannels(file.Tensors[enc]), 0, 0) {
				t.Errorf("stem is not the file's summed over RGB")
			}
		default:
			if w := file.Tensors[enc]; w == nil || !slices.Equal(w.Data, after.Tensors[k].Data) {
				t.Errorf("%s differs from the file", k)
			}
		}
	}

	// The encoder of a full U-Net (smp keys) loads too, the rest ignored.
	src := MustNew(Config{Encoder: "resnet18", Classes: 2}, tensor.NewRNG(6))
	r, err = m.LoadEncoderStateDict(src.StateDict())
	if err != nil {
		t.Fatal(err)
	}
	if r.Keys != "smp" || r.StemSummed || strings.Join(r.Ignored, ", ") != "decoder (60 tensors), segmentation_head (2 tensors)" {
		t.Errorf("report %+v", r)
	}
	if !tensor.AllClose(m.StateDict().Tensors["encoder.layer4.1.bn2.weight"], src.StateDict().Tensors["encoder.layer4.1.bn2.weight"], 0, 0) {
		t.Errorf("smp encoder not loaded")
	}

	// A file that does not cover the encoder loads nothing and names what is
	// missing; another encoder is named.
	snap := m.StateDict().Clone()
	part := src.StateDict().Without("encoder.layer4.")
	if _, err := m.LoadEncoderStateDict(part); err == nil || !strings.Contains(err.Error(), "missing encoder.layer4 (") {
		t.Errorf("encoder without layer4: %v", err)
	}
	part = src.StateDict().Clone()
	part.Delete("encoder.layer2.0.downsample.1.running_var")
	if _, err := m.LoadEncoderStateDict(part); err == nil || !strings.Contains(err.Error(), "weights do not fit the encoder of U-Net-ResNet18") ||
		!strings.Contains(err.Error(), "missing encoder.layer2.0.downsample.1.running_var") {
		t.Errorf("encoder without a running_var: %v", err)
	}
	m34 := MustNew(Config{Encoder: "resnet34", DecoderChannels: []int{32, 16, 16, 8, 8}}, tensor.NewRNG(1))
	if _, err := LoadEncoder(m34, resnet18TV); err == nil || !strings.Contains(err.Error(), "encoder weights are ResNet-18, not the model's resnet34") {
		t.Errorf("resnet18 into resnet34: %v", err)
	}
	odd := nn.NewStateDict()
	odd.Set("features.0.weight", tensor.New(2), false)
	if _, err := m.LoadEncoderStateDict(odd); err == nil || !strings.Contains(err.Error(), "features.0.weight") {
		t.Errorf("no encoder: %v", err)
	}
	for _, k := range snap.Keys {
		if !tensor.AllClose(m.StateDict().Tensors[k], snap.Tensors[k], 0, 0) {
			t.Fatalf("%s changed by a refused LoadEncoder", k)
		}
	}
}

// FuzzInferConfig: any keys and shapes give a Config that validates or an
// error, never a panic. Input: lines "key 2x3x4" as in testdata/*.keys.
func FuzzInferConfig(f *testing.F) {
	for _, name := range []string{"r18", "r50_scse_cls"} {
		b, err := os.ReadFile("../../testdata/unet_" + name + ".keys")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("conv1.weight 64x3x7x7\nlayer1.0.conv1.weight 64x64x3x3\nfc.weight 1000x512\n")
	f.Add("module.encoder.conv1.weight 64x1x7x7\nmodule.decoder.blocks.0.conv1.0.weight 0\nsegmentation_head.0.weight \n")
	f.Fuzz(func(t *testing.T, s string) {
		sd := nn.NewStateDict()
		for _, line := range strings.Split(s, "\n") {
			key, dims, _ := strings.Cut(line, " ")
			var shape []int
			numel := 1
			for _, d := range strings.Split(dims, "x") {
				n, err := strconv.Atoi(d)
				if err != nil || n < 0 || n > 4096 || numel*max(n, 1) > 1<<16 {
					continue
				}
				shape = append(shape, n)
				numel *= max(n, 1)
			}
			sd.Set(key, tensor.New(shape...), false)
		}
		c, err := InferConfig(sd)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("InferConfig gave %+v, which does not validate: %v", c, err)
		}
		_ = c.Describe()
		_ = configDiff(c, Config{Encoder: "resnet18"})
	})
}
