package nn

import (
	"math"

	"github.com/lungo-ml/lungo/tensor"
)

// Conv2DLayer is a 2-D convolution layer (nn.Conv2DLayer, groups = 1): Weight is
// [Out, In, K, K] (OIHW), Bias [Out] or nil. Inputs and outputs are
// channels-last.
type Conv2DLayer struct {
	Weight, Bias              *Value
	Stride, Padding, Dilation int
}

// NewConv2d returns a Conv2DLayer with PyTorch's default initialisation drawn
// from rng: weight kaiming_uniform(a=sqrt(5)), i.e. uniform in
// ±1/sqrt(fanIn), and bias uniform in ±1/sqrt(fanIn), fanIn = in*k*k.
// Dilation is 1; set the field to change it.
func NewConv2DLayer(rng *tensor.RNG, in, out, kernel, stride, padding int, bias bool) *Conv2DLayer {
	w := tensor.New(out, in, kernel, kernel)
	rng.KaimingUniform(w, math.Sqrt(5))
	c := &Conv2DLayer{Weight: Param(w), Stride: stride, Padding: padding, Dilation: 1}
	if bias {
		b := tensor.New(out)
		rng.BiasUniform(b, tensor.FanIn(w.Shape))
		c.Bias = Param(b)
	}
	return c
}

// Forward convolves x [N, H, W, In] into [N, OutH, OutW, Out].
func (c *Conv2DLayer) Forward(x *Value) *Value {
	return Conv2D(x, c.Weight, c.Bias, c.Stride, c.Padding, c.Dilation)
}

// NamedParameters returns "weight" and, with a bias, "bias".
func (c *Conv2DLayer) NamedParameters(prefix string) []NamedParam {
	return weightBias(prefix, c.Weight, c.Bias)
}

// NamedBuffers returns nil: Conv2DLayer has no buffers.
func (c *Conv2DLayer) NamedBuffers(string) []NamedBuffer { return nil }

// SetTraining does nothing: Conv2DLayer behaves the same in both modes.
func (c *Conv2DLayer) SetTraining(bool) {}

func weightBias(prefix string, w, b *Value) []NamedParam {
	ps := []NamedParam{{prefix + "weight", w}}
	if b != nil {
		ps = append(ps, NamedParam{prefix + "bias", b})
	}
	return ps
}

// ConvTranspose2DLayer is a 2-D transposed convolution layer
// (nn.ConvTranspose2DLayer, groups = 1): Weight is [In, Out, K, K], Bias [Out] or
// nil.
type ConvTranspose2DLayer struct {
	Weight, Bias                             *Value
	Stride, Padding, OutputPadding, Dilation int
}

// NewConvTranspose2d returns a ConvTranspose2DLayer initialised like PyTorch's:
// kaiming_uniform(a=sqrt(5)) with PyTorch's fan-in of the [In, Out, K, K]
// weight (Out*K*K), bias uniform in ±1/sqrt(that fan-in). Dilation is 1.
func NewConvTranspose2DLayer(rng *tensor.RNG, in, out, kernel, stride, padding, outputPadding int, bias bool) *ConvTranspose2DLayer {
	w := tensor.New(in, out, kernel, kernel)
	rng.KaimingUniform(w, math.Sqrt(5))
	c := &ConvTranspose2DLayer{Weight: Param(w), Stride: stride, Padding: padding, OutputPadding: outputPadding, Dilation: 1}
	if bias {
		b := tensor.New(out)
		rng.BiasUniform(b, tensor.FanIn(w.Shape))
		c.Bias = Param(b)
	}
	return c
}

// Forward computes the transposed convolution of x [N, H, W, In].
func (c *ConvTranspose2DLayer) Forward(x *Value) *Value {
	return ConvTranspose2D(x, c.Weight, c.Bias, c.Stride, c.Padding, c.OutputPadding, c.Dilation)
}

// NamedParameters returns "weight" and, with a bias, "bias".
func (c *ConvTranspose2DLayer) NamedParameters(prefix string) []NamedParam {
	return weightBias(prefix, c.Weight, c.Bias)
}

// NamedBuffers returns nil.
func (c *ConvTranspose2DLayer) NamedBuffers(string) []NamedBuffer { return nil }

// SetTraining does nothing.
func (c *ConvTranspose2DLayer) SetTraining(bool) {}

// LinearLayer is a fully connected layer (PyTorch's nn.Linear; the name
// Linear is the function): Weight [Out, In], Bias [Out] or nil.
type LinearLayer struct {
	Weight, Bias *Value
}

// NewLinear returns a LinearLayer initialised like nn.Linear: weight and
// bias uniform in ±1/sqrt(in).
func NewLinearLayer(rng *tensor.RNG, in, out int, bias bool) *LinearLayer {
	w := tensor.New(out, in)
	rng.KaimingUniform(w, math.Sqrt(5))
	l := &LinearLayer{Weight: Param(w)}
	if bias {
		b := tensor.New(out)
		rng.BiasUniform(b, in)
		l.Bias = Param(b)
	}
	return l
}

// Forward maps x [..., In] to [..., Out].
func (l *LinearLayer) Forward(x *Value) *Value { return Linear(x, l.Weight, l.Bias) }

// NamedParameters returns "weight" and, with a bias, "bias".
func (l *LinearLayer) NamedParameters(prefix string) []NamedParam {
	return weightBias(prefix, l.Weight, l.Bias)
}

// NamedBuffers returns nil.
func (l *LinearLayer) NamedBuffers(string) []NamedBuffer { return nil }

// SetTraining does nothing.
func (l *LinearLayer) SetTraining(bool) {}
