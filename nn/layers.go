package nn

import (
	"strconv"

	"github.com/lungo-ml/lungo/tensor"
)

// Layer is a Module with a forward function of one input, like a PyTorch
// nn.Module whose forward takes one tensor. 4-D inputs and outputs are
// channels-last [N, H, W, C].
type Layer interface {
	Module
	Forward(x *Value) *Value
}

// noParams is embedded by layers without parameters or buffers.
type noParams struct{}

func (noParams) NamedParameters(string) []NamedParam { return nil }
func (noParams) NamedBuffers(string) []NamedBuffer   { return nil }
func (noParams) SetTraining(bool)                    {}

// Sequential applies its layers in order; their state-dict keys are prefixed
// with their index ("0.weight", "1.running_mean", ...) as in nn.Sequential.
type Sequential struct {
	Layers []Layer
}

// NewSequential returns a Sequential of the given layers.
func NewSequential(layers ...Layer) *Sequential { return &Sequential{Layers: layers} }

// Forward applies the layers in order. A BatchNorm2DLayer followed by a ReLU
// runs as one BatchNormReLU (same result, one activation fewer kept).
// In a pass that records no graph each intermediate result is freed (see Free) once the next
// layer has consumed it; the input is the caller's and is kept.
func (s *Sequential) Forward(x *Value) *Value {
	in := x
	for i := 0; i < len(s.Layers); i++ {
		prev := x
		if bn, ok := s.Layers[i].(*BatchNorm2DLayer); ok && i+1 < len(s.Layers) {
			if _, ok := s.Layers[i+1].(*ReLULayer); ok {
				x = bn.ForwardReLU(x, nil)
				i++
			} else {
				x = bn.Forward(x)
			}
		} else {
			x = s.Layers[i].Forward(x)
		}
		if prev != in && !sharesData(prev, x) {
			Free(prev)
		}
	}
	return x
}

// sharesData reports whether a and b are views of the same buffer (a layer
// that returns its input or a reshaped view of it).
func sharesData(a, b *Value) bool {
	if a == b {
		return true
	}
	da, db := a.Data.Data, b.Data.Data
	return len(da) > 0 && len(db) > 0 && &da[0] == &db[0]
}

// NamedParameters returns the children's parameters keyed "<prefix><i>.<name>".
func (s *Sequential) NamedParameters(prefix string) []NamedParam {
	var out []NamedParam
	for i, l := range s.Layers {
		out = append(out, l.NamedParameters(prefix+strconv.Itoa(i)+".")...)
	}
	return out
}

// NamedBuffers returns the children's buffers keyed like NamedParameters.
func (s *Sequential) NamedBuffers(prefix string) []NamedBuffer {
	var out []NamedBuffer
	for i, l := range s.Layers {
		out = append(out, l.NamedBuffers(prefix+strconv.Itoa(i)+".")...)
	}
	return out
}

// SetTraining sets the mode of every child.
func (s *Sequential) SetTraining(training bool) {
	for _, l := range s.Layers {
		l.SetTraining(training)
	}
}

// ReLULayer is the layer form of ReLU.
type ReLULayer struct{ noParams }

// NewReLU returns a ReLU layer.
func NewReLULayer() *ReLULayer { return &ReLULayer{} }

// Forward returns ReLU(x).
func (*ReLULayer) Forward(x *Value) *Value { return ReLU(x) }

// MaxPool2DLayer is the layer form of MaxPool2D: a Kernel x Kernel window moved
// by Stride with Padding on each side.
type MaxPool2DLayer struct {
	noParams
	Kernel, Stride, Padding int
}

// NewMaxPool2d returns a max-pooling layer; stride 0 means stride = kernel,
// PyTorch's default.
func NewMaxPool2DLayer(kernel, stride, padding int) *MaxPool2DLayer {
	if stride == 0 {
		stride = kernel
	}
	return &MaxPool2DLayer{Kernel: kernel, Stride: stride, Padding: padding}
}

// Forward pools x [N, H, W, C].
func (m *MaxPool2DLayer) Forward(x *Value) *Value { return MaxPool2D(x, m.Kernel, m.Stride, m.Padding) }

// Upsample doubles the height and width of x [N, H, W, C] (nn.Upsample with
// scale_factor=2; bilinear uses align_corners=False).
type UpsampleLayer struct {
	noParams
	Bilinear bool
}

// NewUpsample returns an Upsample layer; mode is "nearest" or "bilinear".
func NewUpsampleLayer(mode string) *UpsampleLayer {
	switch mode {
	case "nearest":
		return &UpsampleLayer{}
	case "bilinear":
		return &UpsampleLayer{Bilinear: true}
	}
	tensor.Panicf("nn", "NewUpsample: mode %q, want \"nearest\" or \"bilinear\"", mode)
	return nil
}

// Forward upsamples x by 2.
func (u *UpsampleLayer) Forward(x *Value) *Value {
	if u.Bilinear {
		return UpsampleBilinear2x(x)
	}
	return UpsampleNearest2x(x)
}

// DropoutLayer is the layer form of Dropout (PyTorch's nn.Dropout; the
// name Dropout is the function). It is active in training mode only.
type DropoutLayer struct {
	P        float32
	RNG      *tensor.RNG
	training bool
}

// NewDropout returns a dropout layer with drop probability p drawing its
// masks from rng, in training mode.
func NewDropoutLayer(p float32, rng *tensor.RNG) *DropoutLayer {
	if !(p >= 0 && p <= 1) {
		tensor.Panicf("nn", "NewDropout: p = %g, want 0 <= p <= 1", p)
	}
	return &DropoutLayer{P: p, RNG: rng, training: true}
}

// Forward applies dropout in training mode and is the identity otherwise.
func (d *DropoutLayer) Forward(x *Value) *Value { return Dropout(x, d.P, d.RNG, d.training) }

func (*DropoutLayer) NamedParameters(string) []NamedParam { return nil }
func (*DropoutLayer) NamedBuffers(string) []NamedBuffer   { return nil }

// SetTraining switches dropout on (true) or off.
func (d *DropoutLayer) SetTraining(training bool) { d.training = training }
