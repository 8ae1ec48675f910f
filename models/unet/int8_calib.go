package unet

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// Calibration of int8 inference: the float32 range of every tensor the
// int8 network quantizes, observed by running the float32 network on
// calibration images. Tensors are named after the layer that produces them:
//
//	input                         the (zero-padded) network input
//	stem                          relu(bn1(conv1(x))), also the max-pool's
//	layer<s>.<i>.conv1 (, conv2)  inner convolutions of a block, after ReLU
//	layer<s>.<i>.downsample       the shortcut's conv + bn (no ReLU)
//	layer<s>.<i>                  the block's output: relu(... + shortcut)
//	decoder.blocks.<i>.conv1      and .conv2: after ReLU
//	segmentation_head             the logits
//
// The decoder's upsampled-and-concatenated input takes the union of its
// two parts' ranges. A range is widened to hold 0, and then quantized as
// uint8 with scale (hi-lo)/255 and a zero point (kernels.U8Params): 0 for
// the ReLU outputs.

// CalibrationMethod picks how a tensor's range is estimated from the
// calibration images.
type CalibrationMethod int

const (
	// MinMax takes the smallest and largest values seen in any image.
	MinMax CalibrationMethod = iota
	// Percentile takes, per image, the Percentile-th and
	// (100-Percentile)-th percentiles of a tensor's values (from an evenly
	// strided sample of at most 2^18 values) and averages them over the
	// images: a few outliers no longer stretch the quantization step. The
	// input and the logits keep their min-max ranges: clipping the rare
	// confident logits would shrink the masks.
	Percentile
)

// CalibrationPercentile is the percentile the Percentile method keeps.
const CalibrationPercentile = 99.99

// String returns "minmax" or "percentile".
func (c CalibrationMethod) String() string {
	switch c {
	case MinMax:
		return "minmax"
	case Percentile:
		return "percentile"
	}
	return fmt.Sprintf("CalibrationMethod(%d)", int(c))
}

// ParseCalibrationMethod parses "minmax" or "percentile".
func ParseCalibrationMethod(s string) (CalibrationMethod, error) {
	switch s {
	case "minmax", "":
		return MinMax, nil
	case "percentile":
		return Percentile, nil
	}
	return MinMax, fmt.Errorf("unet: calibration method %q, want minmax or percentile", s)
}

// Range is the float32 interval a tensor is quantized over.
type Range struct {
	Lo float32 `json:"lo"`
	Hi float32 `json:"hi"`
}

// Calibration is the result of Calibrate: a range per quantized tensor.
type Calibration struct {
	Method CalibrationMethod `json:"-"`
	Images int               `json:"images"`
	Ranges map[string]Range  `json:"ranges"`
}

// MetaInt8 is the checkpoint metadata key of a Calibration (JSON): a
// checkpoint that has it is an int8 ("quantized") checkpoint, loadable in
// every precision.
const MetaInt8 = "lungo.int8"

// Marshal returns c as JSON, the value stored under MetaInt8.
func (c *Calibration) Marshal() string {
	type wire struct {
		Method string `json:"method"`
		*Calibration
	}
	b, err := json.Marshal(wire{c.Method.String(), c})
	if err != nil {
		panic("unet: Calibration.Marshal: " + err.Error()) // only maps of floats: cannot fail
	}
	return string(b)
}

// UnmarshalCalibration parses Marshal's JSON, checking that every range is
// finite and ordered.
func UnmarshalCalibration(s string) (*Calibration, error) {
	var w struct {
		Method string `json:"method"`
		Calibration
	}
	if err := json.Unmarshal([]byte(s), &w); err != nil {
		return nil, fmt.Errorf("unet: int8 calibration: %w", err)
	}
	m, err := ParseCalibrationMethod(w.Method)
	if err != nil {
		return nil, err
	}
	c := w.Calibration
	c.Method = m
	if len(c.Ranges) == 0 {
		return nil, fmt.Errorf("unet: int8 calibration holds no ranges")
	}
	for k, r := range c.Ranges {
		if !finite(r.Lo) || !finite(r.Hi) || r.Lo > r.Hi {
			return nil, fmt.Errorf("unet: int8 calibration: range of %s is [%g, %g]", k, r.Lo, r.Hi)
		}
	}
	return &c, nil
}

func finite(f float32) bool { return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) }

// SaveQuantized writes m as a lungo checkpoint (float32 weights) with cal
// in its metadata: `lungo predict -precision int8` reads both, and the
// other precisions ignore cal.
func (m *Model) SaveQuantized(path string, cal *Calibration) error {
	return m.SaveQuantizedAs(path, cal, nn.F32)
}

// SaveQuantizedAs is SaveQuantized with the weights stored as dt (see
// SaveCheckpointAs): nn.BF16 halves the file. Calibrate the model with the
// weights rounded as dt rounds them, so that the ranges fit what loads.
func (m *Model) SaveQuantizedAs(path string, cal *Calibration, dt nn.DType) error {
	return m.SaveCheckpointAs(path, map[string]string{MetaInt8: cal.Marshal()}, dt)
}

// CheckpointCalibration returns the Calibration stored in a checkpoint's
// metadata, or an error saying that it has none (run lungo quantize).
func CheckpointCalibration(meta map[string]string) (*Calibration, error) {
	s, ok := meta[MetaInt8]
	if !ok {
		return nil, fmt.Errorf("unet: the weights hold no int8 calibration: make them with lungo quantize")
	}
	return UnmarshalCalibration(s)
}

// ReadCalibration returns the Calibration a checkpoint file holds (reading
// its header only), or an error saying that it has none.
func ReadCalibration(path string) (*Calibration, error) {
	isZip, err := isZipFile(path)
	if err != nil {
		return nil, err
	}
	if isZip {
		return nil, fmt.Errorf("unet: %s is a .pth file: it holds no int8 calibration (make one with lungo quantize)", path)
	}
	meta, err := safetensorsMetadata(path)
	if err != nil {
		return nil, err
	}
	cal, err := CheckpointCalibration(meta)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return cal, nil
}

// Calibrate runs m in float32 on images (each [N, InChannels, H, W]) and
// returns the ranges of the tensors int8 inference quantizes. Models with
// scSE attention or a classification head are not supported (as NewInt8).
func Calibrate(ctx context.Context, m *Model, images []*tensor.Tensor, method CalibrationMethod) (*Calibration, error) {
	if err := int8Supported(m); err != nil {
		return nil, err
	}
	if len(images) == 0 {
		return nil, fmt.Errorf("unet: Calibrate: no images")
	}
	if method != MinMax && method != Percentile {
		return nil, fmt.Errorf("unet: Calibrate: method %v", method)
	}
	cal := &Calibration{Method: method, Ranges: map[string]Range{}}
	sums := map[string][2]float64{} // Percentile: sums of per-image lo and hi
	calls, n := 0, 0
	obs := func(name string, v *nn.Value) {
		d := v.Data.Data
		var lo, hi float32
		if method == MinMax || name == "input" || name == "segmentation_head" {
			lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
			for _, f := range d {
				lo, hi = min(lo, f), max(hi, f)
			}
			if r, ok := cal.Ranges[name]; ok {
				lo, hi = min(lo, r.Lo), max(hi, r.Hi)
			}
			cal.Ranges[name] = Range{lo, hi}
			return
		}
		lo, hi = percentiles(d, CalibrationPercentile)
		s := sums[name]
		sums[name] = [2]float64{s[0] + float64(lo), s[1] + float64(hi)}
	}
	if err := m.lock(ctx); err != nil {
		return nil, fmt.Errorf("unet: Calibrate: %w", err)
	}
	defer m.unlock()
	was := m.training
	m.SetTraining(false)
	defer m.SetTraining(was)
	arena := nn.NewArena()
	defer arena.Reset()
	for i, x := range images {
		if err := m.checkInput(x.Shape); err != nil {
			return nil, fmt.Errorf("unet: Calibrate: image %d: %w", i, err)
		}
		ex := nn.NewExec(ctx, arena, false)
		err := ex.Run(func() { m.observe(ex.Input(x), obs) })
		arena.Release()
		if err != nil {
			return nil, fmt.Errorf("unet: Calibrate: %w", err)
		}
		calls++
		n += x.Shape[0]
	}
	if method == Percentile {
		for k, s := range sums {
			cal.Ranges[k] = Range{float32(s[0] / float64(calls)), float32(s[1] / float64(calls))}
		}
	}
	cal.Images = n
	for k, r := range cal.Ranges {
		if !finite(r.Lo) || !finite(r.Hi) {
			return nil, fmt.Errorf("unet: Calibrate: %s ranges over [%g, %g]", k, r.Lo, r.Hi)
		}
	}
	return cal, nil
}

// percentiles returns the (100-p)-th and p-th percentiles of an evenly
// strided sample of at most 2^18 of d's values.
func percentiles(d []float32, p float64) (lo, hi float32) {
	step := max(1, (len(d)+(1<<18)-1)>>18)
	s := make([]float32, 0, len(d)/step+1)
	for i := 0; i < len(d); i += step {
		s = append(s, d[i])
	}
	slices.Sort(s)
	at := func(q float64) float32 {
		i := int(math.Round(q / 100 * float64(len(s)-1)))
		return s[min(max(i, 0), len(s)-1)]
	}
	return at(100 - p), at(p)
}

// observe is Forward (mask only) that hands every tensor the int8 network
// quantizes to obs, named as in the Calibration doc. It frees what it has
// observed as Forward does.
func (m *Model) observe(x *nn.Value, obs func(string, *nn.Value)) {
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
	obs("input", xn)
	e := m.Encoder
	c := e.conv1.Forward(xn)
	nn.Free(xn)
	f0 := e.bn1.ForwardReLU(c, nil)
	nn.Free(c)
	obs("stem", f0)
	var f [5]*nn.Value
	f[0] = f0
	cur := nn.MaxPool2D(f0, 3, 2, 1)
	for s, l := range e.layers {
		for i, layer := range l.Layers {
			prefix := "layer" + strconv.Itoa(s+1) + "." + strconv.Itoa(i)
			convs, down := blockParts(layer)
			t := cur
			for j, cb := range convs[:len(convs)-1] {
				c := cb.conv.Forward(t)
				next := cb.bn.ForwardReLU(c, nil)
				nn.Free(c)
				obs(prefix+".conv"+strconv.Itoa(j+1), next)
				if t != cur {
					nn.Free(t)
				}
				t = next
			}
			last := convs[len(convs)-1]
			c := last.conv.Forward(t)
			if t != cur {
				nn.Free(t)
			}
			idt := cur
			if down != nil {
				dc := down.conv.Forward(cur)
				idt = down.bn.Forward(dc)
				nn.Free(dc)
				obs(prefix+".downsample", idt)
			}
			out := last.bn.ForwardReLU(c, idt)
			nn.Free(c)
			if idt != cur {
				nn.Free(idt)
			}
			obs(prefix, out)
			if s == 0 && i == 0 || i > 0 {
				nn.Free(cur) // the max-pool output or a block's; stage outputs are kept
			}
			cur = out
		}
		f[s+1] = cur
	}
	cur = f[4]
	for i, d := range m.decoder.blocks {
		var skip *nn.Value
		if i < 4 {
			skip = f[3-i]
		}
		p := "decoder.blocks." + strconv.Itoa(i)
		c1 := d.conv1.Layers[0].(*nn.Conv2DLayer)
		u := upConcatConv(cur, skip, c1)
		nn.Free(cur)
		nn.Free(skip)
		a := d.conv1.Layers[1].(*nn.BatchNorm2DLayer).ForwardReLU(u, nil)
		nn.Free(u)
		obs(p+".conv1", a)
		c := d.conv2.Layers[0].(*nn.Conv2DLayer).Forward(a)
		nn.Free(a)
		cur = d.conv2.Layers[1].(*nn.BatchNorm2DLayer).ForwardReLU(c, nil)
		nn.Free(c)
		obs(p+".conv2", cur)
	}
	y := m.segHead.Forward(cur)
	nn.Free(cur)
	obs("segmentation_head", y)
	nn.Free(y)
}

// convBN is a convolution and the batch norm that follows it.
type convBN struct {
	conv *nn.Conv2DLayer
	bn   *nn.BatchNorm2DLayer
}

// blockParts returns the convolutions of a ResNet block in order and its
// downsample (nil for none).
func blockParts(layer nn.Layer) (convs []convBN, down *convBN) {
	var seq *nn.Sequential
	switch v := layer.(type) {
	case *basicBlock:
		convs = []convBN{{v.conv1, v.bn1}, {v.conv2, v.bn2}}
		seq = v.down
	case *bottleneck:
		convs = []convBN{{v.conv1, v.bn1}, {v.conv2, v.bn2}, {v.conv3, v.bn3}}
		seq = v.down
	default:
		tensor.Panicf("unet", "unexpected encoder block %T", layer)
	}
	if seq != nil {
		down = &convBN{seq.Layers[0].(*nn.Conv2DLayer), seq.Layers[1].(*nn.BatchNorm2DLayer)}
	}
	return convs, down
}

// int8Supported returns an error for models int8 inference does not run.
func int8Supported(m *Model) error {
	if m.Config.Attention != "" {
		return fmt.Errorf("unet: int8 inference does not support %q attention yet", m.Config.Attention)
	}
	if m.ClassLinear != nil {
		return fmt.Errorf("unet: int8 inference does not support a classification head yet")
	}
	return nil
}
