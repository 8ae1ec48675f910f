package unet

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/lungo-ml/lungo/nn"
)

// Working out the architecture from a state dict. The keys and shapes of
// unet_ref.py's (smp's) U-Net record everything a Config holds but the
// classification head's dropout:
//
//	encoder.conv1.weight                [64, InChannels, 7, 7]
//	encoder.layer<s>.<i>.conv3.weight   present only in bottleneck blocks (ResNet-50)
//	encoder.layer<s>.<i>.*              blocks per stage: 2-2-2-2 (18), 3-4-6-3 (34, 50)
//	decoder.blocks.<i>.conv1.0.weight   [DecoderChannels[i], in+skip, 3, 3], 5 blocks
//	decoder.blocks.<i>.attention1.attention.cSE.1.weight   scSE attention
//	segmentation_head.0.weight          [Classes, DecoderChannels[4], 3, 3]
//	classification_head.3.weight        [ClassHead, encoder channels]
//
// A bare torchvision ResNet has the encoder's keys without "encoder." (and
// fc.weight, fc.bias).

// InferConfig works out the U-Net sd holds from its keys and shapes: the
// encoder (resnet18/34/50 from the blocks per stage and the bottleneck
// keys), encoder depth (the decoder's blocks; lungo builds depth 5), input
// channels, decoder widths, scSE attention, classes and classification
// head. Keys may carry nn.DataParallel's "module." prefix. ClassDropout,
// which no tensor records, takes its default.
//
// Encoder-only weights (a torchvision ResNet, or smp "encoder." keys alone)
// are an *EncoderOnlyError: they need LoadEncoder. Weights whose encoder or
// decoder lungo does not build are an error saying what they are. A part
// that sd lacks altogether (the segmentation head, say) takes its default;
// loading such weights then fails naming it (see LoadStateDict).
func InferConfig(sd *nn.StateDict) (Config, error) {
	c, _, err := inferConfig(stripPrefix(sd, "module."))
	return c, err
}

// unseen marks the fields of an inferred Config that took defaults because
// the state dict lacks the tensors that record them.
type unseen struct {
	inChannels, decoder, classes bool
}

// fill returns c with its unseen fields taken from model.
func (u unseen) fill(c, model Config) Config {
	model = model.withDefaults()
	if u.inChannels {
		c.InChannels = model.InChannels
	}
	if u.decoder {
		c.DecoderChannels = model.DecoderChannels
	}
	if u.classes {
		c.Classes = model.Classes
	}
	return c
}

// WeightsConfig returns the configuration of weights read by ReadWeights:
// the Config a lungo checkpoint stores in its metadata, otherwise
// InferConfig's.
func WeightsConfig(sd *nn.StateDict, meta map[string]string) (Config, error) {
	if js, ok := meta[MetaConfig]; ok {
		return UnmarshalConfig(js)
	}
	return InferConfig(sd)
}

// EncoderOnlyError is the error for weights that hold a ResNet encoder and
// nothing else: a U-Net built from them would run a randomly initialised
// decoder. LoadEncoder (`lungo train -init-encoder FILE`) starts training
// from them.
type EncoderOnlyError struct {
	// Encoder is "resnet18", "resnet34" or "resnet50", or "" when the
	// blocks match none of them.
	Encoder string
	// Keys is "torchvision" (conv1.weight, layer1.0...) or "smp"
	// (encoder.conv1.weight, ...).
	Keys string
	// Missing are the parts of the model the weights lack: "decoder",
	// "segmentation head" and, for a model with one, "classification head".
	Missing []string
}

func (e *EncoderOnlyError) Error() string {
	name := "ResNet"
	if e.Encoder != "" {
		name = encoderTitle(e.Encoder)
	}
	missing := e.Missing
	if len(missing) == 0 {
		missing = []string{"decoder", "segmentation head"}
	}
	return fmt.Sprintf("unet: encoder-only %s weights (%s keys): %s missing; to fine-tune from them use `lungo train -init-encoder FILE` or unet.LoadEncoder",
		name, e.Keys, joinAnd(missing))
}

// joinAnd returns "a", "a and b", "a, b and c".
func joinAnd(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// inferConfig is InferConfig for a state dict without the "module." prefix;
// u says which fields took defaults.
func inferConfig(sd *nn.StateDict) (c Config, u unseen, err error) {
	bare := isBareResNet(sd)
	enc := sd.SubDict("encoder.")
	style := "smp"
	if bare {
		enc, style = sd.Without("fc."), "torchvision"
	}
	if enc.Len() == 0 {
		return Config{}, u, fmt.Errorf("unet: no ResNet encoder in the weights (no encoder.conv1.weight, encoder.layer1.0.conv1.weight, ...; %s)", sampleKeys(sd))
	}
	var head bool
	for _, k := range sd.Keys {
		if strings.HasPrefix(k, "decoder.") || strings.HasPrefix(k, "segmentation_head.") || strings.HasPrefix(k, "classification_head.") {
			head = true
			break
		}
	}
	name, inCh, encErr := findEncoder(enc)
	if bare || !head {
		return Config{}, u, &EncoderOnlyError{Encoder: name, Keys: style}
	}
	if encErr != nil {
		return Config{}, u, encErr
	}
	c = Config{Encoder: name, InChannels: inCh, Classes: 1}
	if c.InChannels == 0 {
		c.InChannels, u.inChannels = 1, true // no stem: loading names it as missing
	}

	blocks := indexCount(sd, "decoder.blocks.")
	switch {
	case blocks == 0:
		// No decoder: the defaults; loading names it as missing.
		u.decoder = true
	case blocks != len(DefaultDecoderChannels):
		return Config{}, u, fmt.Errorf("unet: the weights' decoder has %d blocks (encoder depth %d): lungo builds encoder depth 5 (5 decoder blocks)", blocks, blocks)
	default:
		c.DecoderChannels = make([]int, blocks)
		for i := range c.DecoderChannels {
			c.DecoderChannels[i] = DefaultDecoderChannels[i]
			p := "decoder.blocks." + strconv.Itoa(i) + "."
			if d, ok := firstDim(sd, p+"conv1.0.weight", p+"conv2.0.weight", p+"conv1.1.weight", p+"conv2.1.weight"); ok {
				c.DecoderChannels[i] = d
			} else {
				u.decoder = true
			}
		}
	}
	for _, k := range sd.Keys {
		if strings.HasPrefix(k, "decoder.") && (strings.Contains(k, ".attention1.attention.") || strings.Contains(k, ".attention2.attention.")) {
			c.Attention = "scse"
			break
		}
	}
	if d, ok := firstDim(sd, "segmentation_head.0.weight", "segmentation_head.0.bias"); ok {
		c.Classes = d
	} else {
		u.classes = true
	}
	if d, ok := firstDim(sd, "classification_head.3.weight", "classification_head.3.bias"); ok {
		c.ClassHead = d
	}
	if err := c.Validate(); err != nil {
		return Config{}, u, fmt.Errorf("%w (worked out from the weights' shapes)", err)
	}
	return c.withDefaults(), u, nil
}

// findEncoder works out which torchvision ResNet enc (keys without
// "encoder.") is and its input channels (0 without a stem). name is "" when
// the blocks match no encoder lungo builds, and err says what they are.
func findEncoder(enc *nn.StateDict) (name string, inChannels int, err error) {
	if w, ok := enc.Tensors["conv1.weight"]; ok && len(w.Shape) == 4 {
		inChannels = w.Shape[1]
	}
	var blocks [4]int
	for s := range blocks {
		blocks[s] = indexCount(enc, "layer"+strconv.Itoa(s+1)+".")
	}
	bottleneck := false
	for _, k := range enc.Keys {
		if strings.HasPrefix(k, "layer") && strings.Contains(k, ".conv3.") {
			bottleneck = true
			break
		}
	}
	for _, n := range []string{"resnet18", "resnet34", "resnet50"} {
		if spec := encoders[n]; spec.blocks == blocks && spec.bottleneck == bottleneck {
			name = n
		}
	}
	kind := "basic"
	if bottleneck {
		kind = "bottleneck"
	}
	desc := fmt.Sprintf("%d-%d-%d-%d %s blocks per stage", blocks[0], blocks[1], blocks[2], blocks[3], kind)
	if name == "" {
		what := "a ResNet"
		switch {
		case blocks == [4]int{3, 4, 23, 3} && bottleneck:
			what = "ResNet-101"
		case blocks == [4]int{3, 8, 36, 3} && bottleneck:
			what = "ResNet-152"
		case blocks[3] == 0 && blocks[0] > 0:
			what = "a ResNet without layer4, of encoder depth 4 or less"
		}
		return "", inChannels, fmt.Errorf("unet: the encoder weights are %s (%s): lungo builds resnet18 (2-2-2-2 basic), resnet34 (3-4-6-3 basic) and resnet50 (3-4-6-3 bottleneck)", what, desc)
	}
	if w, ok := enc.Tensors["layer1.0.conv1.weight"]; ok && bottleneck && len(w.Shape) == 4 && w.Shape[0] != 64 {
		return "", inChannels, fmt.Errorf("unet: the encoder weights are a ResNeXt or Wide ResNet (%s, layer1.0.conv1.weight %v): lungo builds resnet18, resnet34 and resnet50", desc, w.Shape)
	}
	return name, inChannels, nil
}

// indexCount returns 1 + the largest i of keys "<prefix><i>.*" in sd, 0
// when there are none.
func indexCount(sd *nn.StateDict, prefix string) int {
	n := 0
	for _, k := range sd.Keys {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		num, _, ok := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(num); ok && err == nil && i >= 0 && i < 1<<16 && i+1 > n {
			n = i + 1
		}
	}
	return n
}

// firstDim returns the first dimension of the first of keys that sd holds
// with at least one dimension.
func firstDim(sd *nn.StateDict, keys ...string) (int, bool) {
	for _, k := range keys {
		if t, ok := sd.Tensors[k]; ok && len(t.Shape) > 0 {
			return t.Shape[0], true
		}
	}
	return 0, false
}

// sampleKeys names a few of sd's keys, for errors about files that hold
// something else altogether.
func sampleKeys(sd *nn.StateDict) string {
	if sd.Len() == 0 {
		return "the file holds no tensors"
	}
	keys := append([]string(nil), sd.Keys...)
	sort.Strings(keys)
	if len(keys) > 4 {
		return fmt.Sprintf("the file holds %d tensors: %s, ...", len(keys), strings.Join(keys[:4], ", "))
	}
	return "the file holds " + strings.Join(keys, ", ")
}

// ArchMismatchError is the error for weights loaded into a model of another
// configuration: File is what the weights hold, Model what was asked for.
type ArchMismatchError struct {
	File, Model Config
}

func (e *ArchMismatchError) Error() string {
	return "unet: weights " + strings.Join(configDiff(e.File, e.Model), "; ") + " (they hold " + e.File.Describe() + ")"
}

// configDiff lists how weights of configuration file differ from a model of
// configuration model, nil when they fit. A 3-channel stem fits a 1-channel
// model (LoadStateDict sums it); the dropout of the classification head is
// not in the weights and not compared.
func configDiff(file, model Config) []string {
	file, model = file.withDefaults(), model.withDefaults()
	var d []string
	if file.Encoder != model.Encoder {
		d = append(d, fmt.Sprintf("are U-Net-%s, not %s", strings.ReplaceAll(encoderTitle(file.Encoder), "-", ""), model.Arch()))
	}
	if file.InChannels != model.InChannels && !(file.InChannels == 3 && model.InChannels == 1) {
		d = append(d, fmt.Sprintf("have %s, not %d", plural(file.InChannels, "input channel"), model.InChannels))
	}
	if file.Classes != model.Classes {
		d = append(d, fmt.Sprintf("have %s, not %d", plural(file.Classes, "class"), model.Classes))
	}
	if joinInts(file.DecoderChannels, "-") != joinInts(model.DecoderChannels, "-") {
		d = append(d, fmt.Sprintf("have decoder %s, not %s", joinInts(file.DecoderChannels, "-"), joinInts(model.DecoderChannels, "-")))
	}
	if file.Attention != model.Attention {
		d = append(d, fmt.Sprintf("have attention %s, not %s", orNone(file.Attention), orNone(model.Attention)))
	}
	if file.ClassHead != model.ClassHead {
		if file.ClassHead == 0 {
			d = append(d, fmt.Sprintf("have no class head, not one of %s", plural(model.ClassHead, "output")))
		} else if model.ClassHead == 0 {
			d = append(d, fmt.Sprintf("have a class head of %s, not none", plural(file.ClassHead, "output")))
		} else {
			d = append(d, fmt.Sprintf("have a class head of %s, not %d", plural(file.ClassHead, "output"), model.ClassHead))
		}
	}
	if len(d) > 1 {
		for i := 1; i < len(d); i++ {
			d[i] = strings.TrimPrefix(strings.TrimPrefix(d[i], "are "), "have ")
		}
	}
	return d
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return strconv.Quote(s)
}

// errIsEncoderOnly reports whether err is an *EncoderOnlyError.
func errIsEncoderOnly(err error) (*EncoderOnlyError, bool) {
	var e *EncoderOnlyError
	ok := errors.As(err, &e)
	return e, ok
}
