package unet

import (
	"context"
	"fmt"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// Model is a U-Net with a ResNet encoder, smp's decoder, a 3x3 segmentation
// head and an optional classification head. Its state-dict keys are those of
// /work/shared/ref/unet_ref.py (segmentation_models_pytorch's Unet):
// "encoder.*", "decoder.blocks.<i>.*", "segmentation_head.0.*",
// "classification_head.3.*".
type Model struct {
	children
	Config  Config
	Encoder *Encoder
	decoder *decoder
	segHead *nn.Conv2DLayer
	// ClassDropout and ClassLinear form the classification head (nil
	// without one): avg-pool of the deepest features, dropout, linear.
	ClassDropout *nn.DropoutLayer
	ClassLinear  *nn.LinearLayer
	training     bool
	// inference holds Predict's activation buffers between calls.
	inference *nn.Arena
	turn      chan struct{} // holds a token while a Predict runs
}

// New builds a model for cfg, initialised from rng like the reference:
// torchvision's ResNet initialisation for the encoder (kaiming normal,
// fan-out), PyTorch's layer defaults elsewhere. The model starts in
// training mode; dropout draws from a generator seeded from rng.
func New(cfg Config, rng *tensor.RNG) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if cfg.Attention == "scse" {
		for _, c := range cfg.DecoderChannels {
			if c < 16 {
				return nil, fmt.Errorf("unet: scse attention needs decoder channels >= 16, got %v", cfg.DecoderChannels)
			}
		}
	}
	m := &Model{Config: cfg, training: true, turn: make(chan struct{}, 1)}
	m.Encoder = newEncoder(rng, cfg.Encoder, cfg.InChannels)
	m.decoder = newDecoder(rng, m.Encoder.Channels, cfg.DecoderChannels, cfg.Attention)
	m.segHead = nn.NewConv2DLayer(rng, cfg.DecoderChannels[4], cfg.Classes, 3, 1, 1, true)
	m.add("encoder", m.Encoder)
	m.add("decoder", m.decoder)
	seg := &children{}
	seg.add("0", m.segHead)
	m.add("segmentation_head", seg)
	if cfg.ClassHead > 0 {
		m.ClassDropout = nn.NewDropoutLayer(cfg.ClassDropout, tensor.NewRNG(rng.Uint64()))
		m.ClassLinear = nn.NewLinearLayer(rng, m.Encoder.Channels[4], cfg.ClassHead, true)
		cls := &children{}
		cls.add("3", m.ClassLinear)
		m.add("classification_head", cls)
	}
	return m, nil
}

// MustNew is New for configurations known to be valid; it panics otherwise.
func MustNew(cfg Config, rng *tensor.RNG) *Model {
	m, err := New(cfg, rng)
	if err != nil {
		tensor.Panicf("unet", "%v", err)
	}
	return m
}

// SetTraining switches batch-norm statistics and dropout between training
// (true) and evaluation.
func (m *Model) SetTraining(training bool) {
	m.training = training
	m.children.SetTraining(training)
	if m.ClassDropout != nil { // not a child: it has no state-dict keys
		m.ClassDropout.SetTraining(training)
	}
}

// Training reports whether the model is in training mode.
func (m *Model) Training() bool { return m.training }

// Multiple is the factor input heights and widths are padded to.
const Multiple = 32

// Forward runs x [N, InChannels, H, W] (NCHW) through the network and
// returns mask logits [N, Classes, H, W] and, with a classification head,
// class logits [N, ClassHead] (nil otherwise). H and W that are not
// multiples of 32 are zero-padded at the bottom and right to the next
// multiple and the mask is cropped back, so the padding is part of the
// image the network sees. It panics on a wrong shape (see Predict for a
// checked entry point).
func (m *Model) Forward(x *nn.Value) (mask, class *nn.Value) {
	if err := m.checkInput(x.Data.Shape); err != nil {
		tensor.Panicf("unet", "Forward: %v", err)
	}
	// In a pass without a graph every intermediate result is freed as soon as it
	// has been consumed (nn.Free; a no-op when recording a graph).
	h, w := x.Data.Shape[2], x.Data.Shape[3]
	ph, pw := roundUp(h), roundUp(w)
	in := x
	if ph != h || pw != w {
		in = padCrop(x, ph, pw)
	}
	xn := nn.ToNHWC(in)
	if in != x {
		nn.Free(in)
	}
	f := m.Encoder.Forward(xn)
	nn.Free(xn)
	if m.ClassLinear != nil { // before the decoder consumes f[4]
		class = m.ClassLinear.Forward(m.ClassDropout.Forward(nn.GlobalAvgPool(f[4])))
	}
	d := m.decoder.Forward(f)
	y := m.segHead.Forward(d)
	nn.Free(d)
	mask = nn.ToNCHW(y)
	nn.Free(y)
	if ph != h || pw != w {
		full := mask
		mask = padCrop(full, h, w)
		nn.Free(full)
	}
	return mask, class
}

func roundUp(v int) int { return (v + Multiple - 1) / Multiple * Multiple }

func (m *Model) checkInput(s []int) error {
	if len(s) != 4 || s[1] != m.Config.InChannels || s[0] < 1 || s[2] < 1 || s[3] < 1 {
		return fmt.Errorf("input of shape %v, want [N, %d, H, W] (NCHW)", s, m.Config.InChannels)
	}
	return nil
}

// Predict returns sigmoid probabilities [N, Classes, H, W] for x
// [N, InChannels, H, W], computed in evaluation mode without recording a
// graph; the model's mode is restored afterwards. A wrong input shape is an
// error. Activations come from an arena the model keeps between calls and
// are freed as soon as consumed (see the package doc's Memory section).
//
// Calls on one model take turns; to predict in parallel, give each
// goroutine its own Replica. Each call holds a kernels compute slot while
// it runs (kernels.Acquire), so that concurrent predictions never run
// more kernel threads than the pool has: a call waits for a slot rather
// than oversubscribe the cores, and its result does not depend on how many
// others run.
func (m *Model) Predict(x *tensor.Tensor) (*tensor.Tensor, error) {
	mask, _, err := m.PredictAllContext(context.Background(), x)
	return mask, err
}

// PredictContext is Predict that gives up when ctx is done: while it waits
// for its turn or a compute slot, and between operations once it runs. It
// then returns an error wrapping ctx's (errors.Is(err,
// context.Canceled) or context.DeadlineExceeded), and the model is ready
// for the next call.
func (m *Model) PredictContext(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
	mask, _, err := m.PredictAllContext(ctx, x)
	return mask, err
}

// PredictAll is Predict that also returns the classification head's
// sigmoid probabilities [N, ClassHead] (nil without a head).
func (m *Model) PredictAll(x *tensor.Tensor) (mask, class *tensor.Tensor, err error) {
	return m.PredictAllContext(context.Background(), x)
}

// PredictAllContext is PredictAll with PredictContext's cancellation.
func (m *Model) PredictAllContext(ctx context.Context, x *tensor.Tensor) (mask, class *tensor.Tensor, err error) {
	if err := m.checkInput(x.Shape); err != nil {
		return nil, nil, fmt.Errorf("unet: Predict: %w", err)
	}
	if err := m.lock(ctx); err != nil {
		return nil, nil, fmt.Errorf("unet: Predict: %w", err)
	}
	defer m.unlock()
	if err := kernels.Acquire(ctx); err != nil {
		return nil, nil, fmt.Errorf("unet: Predict: waiting for a compute slot: %w", err)
	}
	defer kernels.Release()
	was := m.training
	m.SetTraining(false)
	defer m.SetTraining(was)
	if m.inference == nil {
		m.inference = nn.NewArena()
	}
	defer m.inference.Release()
	ex := nn.NewExec(ctx, m.inference, false)
	err = ex.Run(func() {
		mv, cv := m.Forward(ex.Input(x))
		// The results outlive the arena: copies on the heap.
		mask = nn.Sigmoid(mv).Data.Clone()
		if cv != nil {
			class = nn.Sigmoid(cv).Data.Clone()
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("unet: Predict: %w", err)
	}
	return mask, class, nil
}

// lock takes the model's turn for Predict, or returns ctx's error.
func (m *Model) lock(ctx context.Context) error {
	select {
	case m.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *Model) unlock() { <-m.turn }

// Replica returns a model that shares m's parameters and batch-norm
// statistics (read-only: nothing is copied) but has its own mode, dropout
// generator and inference memory, for predicting in another goroutine at
// the same time as m and its other replicas. Do not train m, or load
// weights into it, while replicas predict: they would read weights being
// written. To predict while training, Clone the model first and make
// replicas of the clone.
func (m *Model) Replica() *Model {
	r := m.fresh()
	params, rparams := m.NamedParameters(""), r.NamedParameters("")
	for i := range params {
		rparams[i].Value.Data = params[i].Value.Data
	}
	bufs, rbufs := m.NamedBuffers(""), r.NamedBuffers("")
	for i := range bufs {
		*rbufs[i].Tensor = *bufs[i].Tensor // the header: same data
	}
	r.SetTraining(false)
	return r
}

// Clone returns a deep copy of m: its own parameters and batch-norm
// statistics with m's values, in m's mode. Training m afterwards does not
// change the clone.
func (m *Model) Clone() *Model {
	r := m.fresh()
	params, rparams := m.NamedParameters(""), r.NamedParameters("")
	for i := range params {
		copy(rparams[i].Value.Data.Data, params[i].Value.Data.Data)
	}
	bufs, rbufs := m.NamedBuffers(""), r.NamedBuffers("")
	for i := range bufs {
		copy(rbufs[i].Tensor.Data, bufs[i].Tensor.Data)
	}
	r.SetTraining(m.training)
	return r
}

// fresh returns a new model of m's configuration (weights to be
// overwritten).
func (m *Model) fresh() *Model {
	return MustNew(m.Config, tensor.NewRNG(0x5eed))
}

// ReleaseInferenceMemory drops the activation buffers Predict keeps for its
// next call (see the package doc's memory budget), leaving them to the
// garbage collector.
func (m *Model) ReleaseInferenceMemory() {
	if m.inference != nil {
		m.inference.Reset()
	}
}
