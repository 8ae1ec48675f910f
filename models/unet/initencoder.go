package unet

import (
	"fmt"
	"strings"

	"github.com/lungo-ml/lungo/nn"
)

// Starting from a pretrained encoder. A torchvision ResNet (ImageNet
// weights) has no decoder: Open and LoadStateDict refuse it, and
// LoadEncoder loads it into the encoder of a model whose decoder and heads
// keep their initialisation, the start of a fine-tuning run.

// EncoderLoad says what LoadEncoder loaded.
type EncoderLoad struct {
	// Encoder is the encoder the weights hold ("resnet18").
	Encoder string
	// Keys is "torchvision" (conv1.weight, layer1.0...) or "smp"
	// (encoder.conv1.weight, ...).
	Keys string
	// Tensors is the number of the encoder's tensors loaded from the file
	// (num_batches_tracked included when the file has them).
	Tensors int
	// StemSummed is true when a 3-channel stem was summed over its input
	// channels for a 1-channel model.
	StemSummed bool
	// Ignored are the file's keys outside the encoder, grouped by module
	// ("fc (2 tensors)", "decoder (60 tensors)").
	Ignored []string
}

// String returns r in one line: "ResNet-18 encoder (torchvision keys):
// 120 tensors, stem summed over 3 input channels; ignored fc (2 tensors)".
func (r EncoderLoad) String() string {
	s := fmt.Sprintf("%s encoder (%s keys): %d tensors", encoderTitle(r.Encoder), r.Keys, r.Tensors)
	if r.StemSummed {
		s += ", stem summed over 3 input channels"
	}
	if len(r.Ignored) > 0 {
		s += "; ignored " + listSome(r.Ignored)
	}
	return s
}

// LoadEncoder loads the encoder of m from a weight file (.pth, safetensors
// or lungo checkpoint) holding a torchvision ResNet ("conv1.weight",
// "layer1.0.conv1.weight", ...; fc is ignored) or a U-Net ("encoder."
// keys; the decoder and heads are ignored). m's decoder and heads keep
// their weights. The encoder must be m's (resnet18 weights for a resnet18
// model) and the file must hold every one of its parameters and batch-norm
// buffers (num_batches_tracked may be absent); otherwise nothing is loaded
// and the error names what is missing. A 3-channel stem loads into a
// 1-channel model summed over its input channels.
func LoadEncoder(m *Model, path string) (EncoderLoad, error) {
	sd, _, err := ReadWeights(path)
	if err != nil {
		return EncoderLoad{}, err
	}
	r, err := m.LoadEncoderStateDict(sd)
	if err != nil {
		return r, fmt.Errorf("%w (file %s)", err, path)
	}
	return r, nil
}

// LoadEncoderStateDict is LoadEncoder for a state dict.
func (m *Model) LoadEncoderStateDict(sd *nn.StateDict) (EncoderLoad, error) {
	sd = stripPrefix(sd, "module.")
	var r EncoderLoad
	var enc *nn.StateDict
	var outside []string
	switch {
	case isBareResNet(sd):
		r.Keys = "torchvision"
		enc = sd.Without("fc.")
		for _, k := range sd.Keys {
			if strings.HasPrefix(k, "fc.") {
				outside = append(outside, k)
			}
		}
	default:
		enc = sd.SubDict("encoder.")
		if enc.Len() == 0 {
			return r, fmt.Errorf("unet: no ResNet encoder in the weights: want torchvision keys (conv1.weight, layer1.0.conv1.weight, ...) or smp keys (encoder.conv1.weight, ...); %s", sampleKeys(sd))
		}
		r.Keys = "smp"
		for _, k := range sd.Keys {
			if !strings.HasPrefix(k, "encoder.") {
				outside = append(outside, k)
			}
		}
	}
	r.Ignored = groupKeys(sd.Keys, outside)
	// An encoder that is none lungo builds is named; one that is short of
	// blocks (no layer4, say) is left to the strict load below to list.
	name, _, ferr := findEncoder(enc)
	r.Encoder = name
	if ferr == nil && name != m.Config.Encoder {
		return r, fmt.Errorf("unet: the encoder weights are %s, not the model's %s: build the model with encoder %q (-arch unet-%s)",
			encoderTitle(name), m.Config.Encoder, name, name)
	}

	// The whole model's state dict with the file's encoder tensors: the
	// decoder and heads load onto themselves, unchanged.
	own := m.StateDict()
	full := nn.NewStateDict()
	var required []string
	for _, k := range own.Keys {
		if !strings.HasPrefix(k, "encoder.") {
			full.Set(k, own.Tensors[k], own.Int64[k])
		}
		if !strings.HasSuffix(k, ".num_batches_tracked") {
			required = append(required, k)
		}
	}
	for _, k := range enc.Keys {
		full.Set("encoder."+k, enc.Tensors[k], enc.Int64[k])
	}
	r.Tensors = enc.Len()
	if w := full.Tensors["encoder.conv1.weight"]; w != nil && m.Config.InChannels == 1 && len(w.Shape) == 4 && w.Shape[1] == 3 {
		full.Set("encoder.conv1.weight", sumInputChannels(w), false)
		r.StemSummed = true
	}
	for _, k := range own.Keys {
		if _, ok := full.Tensors[k]; !ok && strings.HasPrefix(k, "encoder.") && strings.HasSuffix(k, ".num_batches_tracked") {
			full.Set(k, own.Tensors[k], true)
		}
	}
	if err := nn.LoadStateDict(m, full, true); err != nil {
		werr := m.weightsError(err, required, full.Keys)
		if we, ok := werr.(*WeightsError); ok {
			we.Model = "the encoder of " + we.Model
			if ferr != nil {
				we.Note = strings.TrimPrefix(ferr.Error(), "unet: ")
			}
		}
		return r, werr
	}
	return r, nil
}
