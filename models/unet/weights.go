package unet

import (
	"encoding/binary"
	"encoding/json"
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

// LoadStateDict copies sd, a full U-Net state dict (unet_ref.py / smp
// keys, possibly with nn.DataParallel's "module." prefix), into m.
//
// Loading is strict: every parameter and batch-norm buffer of m must be in
// sd (num_batches_tracked may be absent: m keeps its own), and sd must hold
// nothing else, shaped as m's. Otherwise nothing is copied and the error
// says why:
//   - weights of another architecture: an *ArchMismatchError naming what
//     they are ("weights are U-Net-ResNet34, not unet-resnet18");
//   - encoder-only weights (a torchvision ResNet): an *EncoderOnlyError
//     (they load with LoadEncoder);
//   - otherwise a *WeightsError naming the missing, unexpected and
//     mis-shaped keys, grouped by module.
//
// A 3-channel stem ([64, 3, 7, 7]) loaded into a 1-channel model is summed
// over its input channels, as smp does for in_channels=1.
func (m *Model) LoadStateDict(sd *nn.StateDict) error {
	sd = stripPrefix(sd, "module.")
	file, unseen, err := inferConfig(sd)
	if eo, ok := errIsEncoderOnly(err); ok {
		eo.Missing = m.parts()
		return eo
	}
	if err == nil {
		// What the weights do not record (a missing head, say) is left to
		// the strict load to name.
		file = unseen.fill(file, m.Config)
		if d := configDiff(file, m.Config); d != nil {
			return &ArchMismatchError{File: file, Model: m.Config}
		}
	}
	sd, required := m.completeStateDict(sd)
	if lerr := nn.LoadStateDict(m, sd, true); lerr != nil {
		werr := m.weightsError(lerr, required, sd.Keys)
		if we, ok := werr.(*WeightsError); ok && err != nil {
			we.Note = strings.TrimPrefix(err.Error(), "unet: ")
		}
		return werr
	}
	return nil
}

// parts names the parts of m besides the encoder, for EncoderOnlyError.
func (m *Model) parts() []string {
	p := []string{"decoder", "segmentation head"}
	if m.Config.ClassHead > 0 {
		p = append(p, "classification head")
	}
	return p
}

// completeStateDict returns sd with what loading it into m may take from
// elsewhere: the num_batches_tracked buffers sd lacks (m's own values) and a
// 3-channel stem summed for a 1-channel model. required is m's keys except
// num_batches_tracked.
func (m *Model) completeStateDict(sd *nn.StateDict) (out *nn.StateDict, required []string) {
	own := m.StateDict()
	out = sd
	clone := func() {
		if out == sd {
			out = nn.NewStateDict()
			for _, k := range sd.Keys {
				out.Set(k, sd.Tensors[k], sd.Int64[k])
			}
		}
	}
	for _, k := range own.Keys {
		if !strings.HasSuffix(k, ".num_batches_tracked") {
			required = append(required, k)
			continue
		}
		if _, ok := sd.Tensors[k]; !ok {
			clone()
			out.Set(k, own.Tensors[k], true)
		}
	}
	const stem = "encoder.conv1.weight"
	if w, ok := sd.Tensors[stem]; ok && m.Config.InChannels == 1 && len(w.Shape) == 4 && w.Shape[1] == 3 {
		clone()
		out.Set(stem, sumInputChannels(w), false)
	}
	return out, required
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
// .pth files). ReadWeightsFrom and ReadWeightsFS read other sources.
func ReadWeights(path string) (sd *nn.StateDict, meta map[string]string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("unet: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("unet: %w", err)
	}
	if sd, meta, err = ReadWeightsFrom(f, st.Size()); err != nil {
		return nil, nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return sd, meta, nil
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
// an *ArchMismatchError.
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
		if configDiff(c, m.Config) != nil {
			return fmt.Errorf("%w (file %s)", &ArchMismatchError{File: c, Model: m.Config}, path)
		}
	}
	if err := m.LoadStateDict(sd); err != nil {
		return fmt.Errorf("%w (file %s)", err, path)
	}
	return nil
}

// Open builds a model from a weight file: a lungo checkpoint (its stored
// Config), a .pth or a safetensors file. With cfg nil the configuration is
// the checkpoint's or, for other files, InferConfig's: what the keys and
// shapes say. A non-nil cfg must describe the weights (a wrong encoder is
// an *ArchMismatchError naming the right one), except that a 3-channel
// stem may load into a 1-channel model (summed, as smp does). Weights that
// leave any of the model's tensors unset are an error naming them (see
// LoadStateDict); encoder-only weights load with LoadEncoder.
func Open(path string, cfg *Config) (*Model, error) {
	sd, meta, err := ReadWeights(path)
	if err != nil {
		return nil, err
	}
	m, err := OpenStateDict(sd, meta, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return m, nil
}

// OpenStateDict is Open for weights already read by ReadWeights (meta may
// be nil).
func OpenStateDict(sd *nn.StateDict, meta map[string]string, cfg *Config) (*Model, error) {
	var c Config
	if cfg == nil {
		var err error
		if c, err = WeightsConfig(sd, meta); err != nil {
			return nil, err
		}
	} else {
		c = *cfg
		if js, ok := meta[MetaConfig]; ok {
			stored, err := UnmarshalConfig(js)
			if err != nil {
				return nil, err
			}
			if configDiff(stored, c) != nil {
				return nil, &ArchMismatchError{File: stored, Model: c}
			}
		}
	}
	m, err := New(c, tensor.NewRNG(0))
	if err != nil {
		return nil, err
	}
	if err := m.LoadStateDict(sd); err != nil {
		return nil, err
	}
	return m, nil
}

// CheckpointConfig returns the Config stored in a lungo checkpoint (or a
// training state, train's last.state); ok is false for files without one
// (.pth, plain safetensors). It reads the file's header only.
func CheckpointConfig(path string) (c Config, ok bool, err error) {
	isZip, err := isZipFile(path)
	if err != nil || isZip {
		return Config{}, false, err
	}
	meta, err := safetensorsMetadata(path)
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

// safetensorsMetadata reads the "__metadata__" of a safetensors file's
// header (an 8-byte little-endian length, then JSON) without its tensors.
func safetensorsMetadata(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var n [8]byte
	if _, err := io.ReadFull(f, n[:]); err != nil {
		return nil, fmt.Errorf("unet: %s: safetensors header: %w", path, err)
	}
	size := binary.LittleEndian.Uint64(n[:])
	if size > uint64(st.Size()-8) || size > 100<<20 {
		return nil, fmt.Errorf("unet: %s: safetensors header of %d bytes in a file of %d", path, size, st.Size())
	}
	hdr := make([]byte, size)
	if _, err := io.ReadFull(f, hdr); err != nil {
		return nil, fmt.Errorf("unet: %s: safetensors header: %w", path, err)
	}
	var top struct {
		Meta map[string]string `json:"__metadata__"`
	}
	if err := json.Unmarshal(hdr, &top); err != nil {
		return nil, fmt.Errorf("unet: %s: safetensors header: %w", path, err)
	}
	return top.Meta, nil
}

// SaveCheckpoint writes m as a lungo checkpoint: a safetensors file of its
// state dict whose metadata holds the format name and the Config JSON.
// extra metadata (may be nil) is added, e.g. the epoch.
func (m *Model) SaveCheckpoint(path string, extra map[string]string) error {
	return m.SaveCheckpointAs(path, extra, nn.F32)
}

// SaveCheckpointAs is SaveCheckpoint with the weights stored as dt: nn.BF16
// or nn.F16 halve the file. Open reads any of them into float32 (exactly:
// the rounding happens once, here), so a half-size checkpoint predicts in
// every precision. F16 refuses weights beyond its range.
func (m *Model) SaveCheckpointAs(path string, extra map[string]string, dt nn.DType) error {
	meta := map[string]string{}
	for k, v := range extra {
		meta[k] = v
	}
	meta[MetaFormat] = FormatName
	meta[MetaConfig] = m.Config.MarshalConfig()
	return nn.SaveSafetensorsAs(path, m.StateDict(), meta, dt)
}
