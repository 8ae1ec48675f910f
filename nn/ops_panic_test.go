package nn

import (
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// mustPanicNN runs fn and checks it panics with a *tensor.ShapeError whose
// message starts with "nn: " and contains want.
func mustPanicNN(t *testing.T, name, want string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("%s: no panic", name)
			return
		}
		e, ok := r.(*tensor.ShapeError)
		if !ok {
			t.Errorf("%s: panic value %T (%v), want *tensor.ShapeError", name, r, r)
			return
		}
		if msg := e.Error(); !strings.HasPrefix(msg, "nn: ") || !strings.Contains(msg, want) {
			t.Errorf("%s: panic %q, want an \"nn: \" message containing %q", name, msg, want)
		}
	}()
	fn()
}

func TestOpsPanicOnBadShapes(t *testing.T) {
	v := func(shape ...int) *Value { return Const(tensor.New(shape...)) }
	x := v(1, 5, 5, 3)
	cases := []struct {
		name, want string
		fn         func()
	}{
		{"Conv2D/3d", "Conv2D: input must be 4-D", func() { Conv2D(v(5, 5, 3), v(2, 3, 3, 3), nil, 1, 0, 1) }},
		{"Conv2D/channels", "Conv2D: weight has shape [2 4 3 3], want [K, 3, R, S]", func() { Conv2D(x, v(2, 4, 3, 3), nil, 1, 0, 1) }},
		{"Conv2D/bias", "Conv2D: bias has shape [3], want [2]", func() { Conv2D(x, v(2, 3, 3, 3), v(3), 1, 0, 1) }},
		{"Conv2D/stride", "want stride, dilation >= 1", func() { Conv2D(x, v(2, 3, 3, 3), nil, 0, 0, 1) }},
		{"Conv2D/small", "too small", func() { Conv2D(x, v(2, 3, 7, 7), nil, 1, 0, 1) }},
		{"ConvTranspose2D/channels", "ConvTranspose2D: weight has shape", func() { ConvTranspose2D(x, v(2, 3, 3, 3), nil, 1, 0, 0, 1) }},
		{"ConvTranspose2D/outpad", "output padding", func() { ConvTranspose2D(x, v(3, 2, 3, 3), nil, 2, 0, 2, 1) }},
		{"MaxPool2D/window", "MaxPool2D: input [1 5 5 3] smaller than the 7x7 window", func() { MaxPool2D(x, 7, 1, 0) }},
		{"AvgPool2D/pad", "AvgPool2D: kernel 2, stride 1, pad 2", func() { AvgPool2D(x, 2, 1, 2) }},
		{"GlobalAvgPool/2d", "GlobalAvgPool: input must be 4-D", func() { GlobalAvgPool(v(2, 3)) }},
		{"BatchNorm2D/gamma", "BatchNorm2D: gamma has shape [4], want [3]", func() {
			BatchNorm2D(x, v(4), nil, tensor.New(3), tensor.Full(1, 3), true, 0.1, 1e-5)
		}},
		{"BatchNorm2D/one", "more than one value per channel", func() {
			BatchNorm2D(v(1, 1, 1, 3), nil, nil, nil, nil, true, 0.1, 1e-5)
		}},
		{"BatchNorm2D/eval", "evaluation mode needs running statistics", func() { BatchNorm2D(x, nil, nil, nil, nil, false, 0.1, 1e-5) }},
		{"Add", "Add: shape mismatch [2 3] vs [3 2]", func() { Add(v(2, 3), v(3, 2)) }},
		{"Mul", "Mul: shape mismatch", func() { Mul(v(2, 3), v(6)) }},
		{"Linear", "Linear: input [4 5] and weight [3 6] do not match", func() { Linear(v(4, 5), v(3, 6), nil) }},
		{"Linear/bias", "Linear: bias has shape [4], want [3]", func() { Linear(v(4, 5), v(3, 5), v(4)) }},
		{"Concat/lead", "Concat: input 1 has shape [1 5 4 2]", func() { Concat(x, v(1, 5, 4, 2)) }},
		{"Concat/none", "Concat: no inputs", func() { Concat() }},
		{"Reshape", "Reshape: cannot reshape [2 3] (6 elements) to [4 2]", func() { Reshape(v(2, 3), 4, 2) }},
		{"Reshape/infer", "Reshape: cannot reshape [2 3] (6 elements) to [4 -1]", func() { Reshape(v(2, 3), 4, -1) }},
		{"Reshape/two", "Reshape: bad shape [-1 -1]", func() { Reshape(v(2, 3), -1, -1) }},
		{"ToNHWC", "ToNHWC: input must be 4-D [N, C, H, W]", func() { ToNHWC(v(3, 4)) }},
		{"ToNCHW", "ToNCHW: input must be 4-D", func() { ToNCHW(v(3, 4)) }},
		{"UpsampleNearest2x", "UpsampleNearest2x: input must be 4-D", func() { UpsampleNearest2x(v(3, 4)) }},
		{"UpsampleBilinear2x", "UpsampleBilinear2x: input must be 4-D", func() { UpsampleBilinear2x(v(3, 4)) }},
		{"Dropout/p", "Dropout: p = 1.5", func() { Dropout(x, 1.5, tensor.NewRNG(1), true) }},
		{"Mean/empty", "Mean: empty value", func() { Mean(v(0, 3)) }},
		{"NewUpsample", "NewUpsample: mode \"cubic\"", func() { NewUpsampleLayer("cubic") }},
		{"Backward/nonscalar", "Backward: value has shape [2 3]", func() { Param(tensor.New(2, 3)).Backward() }},
	}
	for _, c := range cases {
		mustPanicNN(t, c.name, c.want, c.fn)
	}
}
