package unet

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/nn/pth"
	"github.com/lungo-ml/lungo/tensor"
)

// Weight files: PyTorch .pth (torch.save of a state dict, read by nn/pth),
// safetensors with PyTorch's keys, and lungo checkpoints: safetensors files
// whose metadata holds the model's Config as JSON, so that a model rebuilds
// from the file alone.

// Metadata keys of a lungo checkpoint.
const (
	MetaFormat = "lungo.format" // FormatName
	MetaConfig = "lungo.config" // Config as JSON (MarshalConfig)
	FormatName = "unet/v1"
)

// StateDict returns m's parameters and buffers under PyTorch's keys (the
// model's own tensors, not copies; see nn.StateDictOf).
func (m *Model) StateDict() *nn.StateDict { return nn.StateDictOf(m) }

// FromPth converts a state dict read by package pth; integer tensors
// (num_batches_tracked) are marked Int64.
func FromPth(p *pth.StateDict) *nn.StateDict {
	sd := nn.NewStateDict()
	for _, k := range p.Keys {
		sd.Set(k, p.Tensors[k], p.IsInt(k))
	}
	return sd
}

// LoadStateDict copies sd into m. sd may be
//   - a full U-Net state dict (unet_ref.py / smp keys), possibly with the
//     "module." prefix of nn.DataParallel;
//   - a bare torchvision ResNet ("conv1.weight", "layer1.0...", "fc.*"):
//     it is loaded under "encoder.", fc is dropped and the decoder and heads
//     keep their current weights.
//
// A 3-channel stem ([64, 3, 7, 7]) loaded into a 1-channel model is summed
// over its input channels, as smp does for in_channels=1. Loading is strict:
// missing, unexpected or mis-shaped keys give an error naming each one, and
// then nothing is copied.
func (m *Model) LoadStateDict(sd *nn.StateDict) error {
	sd = stripPrefix(sd, "module.")
	if isBareResNet(sd) {
		full := m.StateDict()
		enc := nn.NewStateDict()
		for _, k := range full.Keys {
			if !strings.HasPrefix(k, "encoder.") {
				enc.Set(k, full.Tensors[k], full.Int64[k])
			}
		}
		for _, k := range sd.Keys {
			if strings.HasPrefix(k, "fc.") {
				continue
			}
			enc.Set("encoder."+k, sd.Tensors[k], sd.Int64[k])
		}
		sd = enc
	}
	const stem = "encoder.conv1.weight"
	if w, ok := sd.Tensors[stem]; ok && m.Config.InChannels == 1 && len(w.Shape) == 4 && w.Shape[1] == 3 {
		sd = sd.Clone()
		sd.Set(stem, sumInputChannels(w), false)
	}
	if err := nn.LoadStateDict(m, sd, true); err != nil {
		return fmt.Errorf("unet: %s model: %w", m.Config.Arch(), err)
	}
	return nil
}

// stripPrefix removes prefix from every key when all keys carry it.
func stripPrefix(sd *nn.StateDict, prefix string) *nn.StateDict {
	if len(sd.Keys) == 0 {
		return sd
	}
	for _, k := range sd.Keys {
		if !strings.HasPrefix(k, prefix) {
			return sd
		}
	}
	out := nn.NewStateDict()
	for _, k := range sd.Keys {
		out.Set(strings.TrimPrefix(k, prefix), sd.Tensors[k], sd.Int64[k])
	}
	return out
}

func isBareResNet(sd *nn.StateDict) bool {
	_, conv := sd.Tensors["conv1.weight"]
	_, layer := sd.Tensors["layer1.0.conv1.weight"]
	return conv && layer
}

// sumInputChannels returns w [K, C, R, S] summed over C as [K, 1, R, S].
func sumInputChannels(w *tensor.Tensor) *tensor.Tensor {
	k, c, rs := w.Shape[0], w.Shape[1], w.Shape[2]*w.Shape[3]
	out := tensor.New(k, 1, w.Shape[2], w.Shape[3])
	for o := 0; o < k; o++ {
		for i := 0; i < c; i++ {
			src := w.Data[(o*c+i)*rs : (o*c+i+1)*rs]
			dst := out.Data[o*rs : (o+1)*rs]
			for j := range dst {
				dst[j] += src[j]
			}
		}
	}
	return out
}

// ReadWeights reads a weight file: a .pth (zip) or a safetensors file
// (lungo checkpoints included). meta is the safetensors metadata (nil for
// .pth files).
func ReadWeights(path string) (sd *nn.StateDict, meta map[string]string, err error) {
	isZip, err := isZipFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("unet: %w", err)
	}
	if isZip {
		p, err := pth.Load(path)
		if err != nil {
			return nil, nil, err
		}
		return FromPth(p), nil, nil
	}
	return nn.LoadSafetensors(path)
}

func isZipFile(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var head [4]byte
	if _, err := io.ReadFull(f, head[:]); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return string(head[:]) == "PK\x03\x04", nil
}

// LoadWeights loads a .pth, safetensors or lungo checkpoint file into m
// (see LoadStateDict). A lungo checkpoint made for another configuration is
// an error.
func (m *Model) LoadWeights(path string) error {
	sd, meta, err := ReadWeights(path)
	if err != nil {
		return err
	}
	if js, ok := meta[MetaConfig]; ok {
		c, err := UnmarshalConfig(js)
		if err != nil {
			return fmt.Errorf("%w (file %s)", err, path)
		}
		if c.MarshalConfig() != m.Config.MarshalConfig() {
			return fmt.Errorf("unet: %s holds a %s model, not %s", path, c.MarshalConfig(), m.Config.MarshalConfig())
		}
	}
	if err := m.LoadStateDict(sd); err != nil {
		return fmt.Errorf("%w (file %s)", err, path)
	}
	return nil
}

// Open builds a model from a weight file. A lungo checkpoint carries its
// configuration; for other files (.pth, plain safetensors) cfg says what
// to build and must not be nil.
func Open(path string, cfg *Config) (*Model, error) {
	sd, meta, err := ReadWeights(path)
	if err != nil {
		return nil, err
	}
	var c Config
	if js, ok := meta[MetaConfig]; ok {
		if c, err = UnmarshalConfig(js); err != nil {
			return nil, fmt.Errorf("%w (file %s)", err, path)
		}
	} else if cfg != nil {
		c = *cfg
	} else {
		return nil, fmt.Errorf("unet: %s is not a lungo checkpoint (no %q metadata): give the architecture", path, MetaConfig)
	}
	m, err := New(c, tensor.NewRNG(0))
	if err != nil {
		return nil, err
	}
	if err := m.LoadStateDict(sd); err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return m, nil
}

// CheckpointConfig returns the Config stored in a lungo checkpoint; ok is
// false for files without one (.pth, plain safetensors).
func CheckpointConfig(path string) (c Config, ok bool, err error) {
	isZip, err := isZipFile(path)
	if err != nil || isZip {
		return Config{}, false, err
	}
	_, meta, err := nn.LoadSafetensors(path)
	if err != nil {
		return Config{}, false, err
	}
	js, ok := meta[MetaConfig]
	if !ok {
		return Config{}, false, nil
	}
	c, err = UnmarshalConfig(js)
	return c, err == nil, err
}

// SaveCheckpoint writes m as a lungo checkpoint: a safetensors file of its
// state dict whose metadata holds the format name and the Config JSON.
// extra metadata (may be nil) is added, e.g. the epoch.
func (m *Model) SaveCheckpoint(path string, extra map[string]string) error {
	meta := map[string]string{}
	for k, v := range extra {
		meta[k] = v
	}
	meta[MetaFormat] = FormatName
	meta[MetaConfig] = m.Config.MarshalConfig()
	return nn.SaveSafetensors(path, m.StateDict(), meta)
}
