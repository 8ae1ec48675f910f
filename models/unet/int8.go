package unet

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"unsafe"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// Int8Model runs a Model's inference in int8: batch norm folded into the
// convolutions, weights quantized to int8 per output channel once
// (NewInt8), activations uint8 per tensor with the ranges of a Calibration,
// products summed in int32 (AVX-512 VNNI's VPDPBUSD where the CPU has it;
// kernels.Int8Accelerated), requantized in float32 with the bias, the
// residual add and the ReLU fused. Every convolution is int8, the stem and
// the segmentation head included; the head's logits are uint8 and the
// sigmoid runs in float32. The decoder's upsample and concatenation write
// straight into the next convolution's bordered input, requantizing both
// parts to their union's range.
//
// Like BF16Model, an Int8Model is a snapshot of the Model's weights; calls
// take turns, and Replica gives another goroutine its own activations.
type Int8Model struct {
	cfg     Config
	inScale float32 // the input's quantization
	inZero  uint8
	stem    *kernels.Int8Conv
	stages  [4][]int8Block
	decoder [5]int8DecoderBlock
	seg     *kernels.Int8Conv
	run     reducedRun // turns and the input contract, shared with the other precisions
	mem     *int8Memory
}

type int8Block struct {
	convs []*kernels.Int8Conv
	down  *kernels.Int8Conv
}

type int8DecoderBlock struct {
	scale        float32 // quantization of the upsampled, concatenated input
	zero         uint8
	conv1, conv2 *kernels.Int8Conv
}

// NewInt8 returns m's int8 inference model from m's current weights and
// batch-norm statistics and the activation ranges of cal (Calibrate, or a
// checkpoint's CheckpointCalibration). Models with scSE attention or a
// classification head are not supported yet, nor a cal that lacks a
// tensor of m (an error names it).
func NewInt8(m *Model, cal *Calibration) (*Int8Model, error) {
	if err := int8Supported(m); err != nil {
		return nil, err
	}
	if cal == nil {
		return nil, fmt.Errorf("unet: int8 needs a calibration (Calibrate, or a checkpoint made by lungo quantize)")
	}
	q := func(name string) (float32, uint8, error) {
		r, ok := cal.Ranges[name]
		if !ok {
			return 0, 0, fmt.Errorf("unet: int8 calibration has no range for %s (calibrated for another architecture?)", name)
		}
		s, z := kernels.U8Params(r.Lo, r.Hi)
		return s, z, nil
	}
	b := &Int8Model{cfg: m.Config, run: newReducedRun(m.Config.InChannels), mem: newInt8Memory()}
	var err error
	if b.inScale, b.inZero, err = q("input"); err != nil {
		return nil, err
	}
	e := m.Encoder
	ss, sz, err := q("stem")
	if err != nil {
		return nil, err
	}
	b.stem = foldInt8(convBN{e.conv1, e.bn1}, b.inScale, b.inZero, ss, sz)
	cs, cz := ss, sz // the current tensor's quantization (the max-pool keeps the stem's)
	var fs [5]struct {
		s float32
		z uint8
	}
	fs[0].s, fs[0].z = ss, sz
	for s, l := range e.layers {
		for i, layer := range l.Layers {
			prefix := "layer" + strconv.Itoa(s+1) + "." + strconv.Itoa(i)
			convs, down := blockParts(layer)
			var blk int8Block
			ts, tz := cs, cz
			for j, cb := range convs {
				name := prefix + ".conv" + strconv.Itoa(j+1)
				if j == len(convs)-1 {
					name = prefix
				}
				os, oz, err := q(name)
				if err != nil {
					return nil, err
				}
				blk.convs = append(blk.convs, foldInt8(cb, ts, tz, os, oz))
				ts, tz = os, oz
			}
			if down != nil {
				ds, dz, err := q(prefix + ".downsample")
				if err != nil {
					return nil, err
				}
				blk.down = foldInt8(*down, cs, cz, ds, dz)
			}
			b.stages[s] = append(b.stages[s], blk)
			cs, cz = ts, tz
		}
		fs[s+1].s, fs[s+1].z = cs, cz
	}
	for i, d := range m.decoder.blocks {
		p := "decoder.blocks." + strconv.Itoa(i)
		// The concatenation's range: the union of its parts'.
		lo, hi := float32(cz)*-cs, (255-float32(cz))*cs
		if i < 4 {
			k := fs[3-i]
			lo, hi = min(lo, float32(k.z)*-k.s), max(hi, (255-float32(k.z))*k.s)
		}
		us, uz := kernels.U8Params(lo, hi)
		s1, z1, err := q(p + ".conv1")
		if err != nil {
			return nil, err
		}
		s2, z2, err := q(p + ".conv2")
		if err != nil {
			return nil, err
		}
		b.decoder[i] = int8DecoderBlock{scale: us, zero: uz,
			conv1: foldInt8(convBN{d.conv1.Layers[0].(*nn.Conv2DLayer), d.conv1.Layers[1].(*nn.BatchNorm2DLayer)}, us, uz, s1, z1),
			conv2: foldInt8(convBN{d.conv2.Layers[0].(*nn.Conv2DLayer), d.conv2.Layers[1].(*nn.BatchNorm2DLayer)}, s1, z1, s2, z2)}
		cs, cz = s2, z2
	}
	hs, hz, err := q("segmentation_head")
	if err != nil {
		return nil, err
	}
	ws := m.segHead.Weight.Data.Shape
	var bias []float32
	if m.segHead.Bias != nil {
		bias = m.segHead.Bias.Data.Data
	}
	b.seg = kernels.PackInt8Conv(m.segHead.Weight.Data.Data, bias, ws[0], ws[1], ws[2], ws[3], m.segHead.Stride, m.segHead.Padding, cs, cz, hs, hz)
	return b, nil
}

// foldInt8 folds the evaluation-mode batch norm into the convolution (as
// foldBF16, in float64) and quantizes it for inputs (is, iz), outputs
// (os, oz).
func foldInt8(cb convBN, is float32, iz uint8, os float32, oz uint8) *kernels.Int8Conv {
	conv, bn := cb.conv, cb.bn
	ws := conv.Weight.Data.Shape
	k, c, r, s := ws[0], ws[1], ws[2], ws[3]
	if conv.Dilation != 1 {
		tensor.Panicf("unet", "foldInt8: dilation %d", conv.Dilation)
	}
	w := conv.Weight.Data.Data
	fw, fb := make([]float32, len(w)), make([]float32, k)
	per := c * r * s
	for o := 0; o < k; o++ {
		scale := 1 / math.Sqrt(float64(bn.RunningVar.Data[o])+float64(bn.Eps))
		scale *= float64(bn.Weight.Data.Data[o])
		bias := 0.0
		if conv.Bias != nil {
			bias = float64(conv.Bias.Data.Data[o])
		}
		fb[o] = float32(float64(bn.Bias.Data.Data[o]) + (bias-float64(bn.RunningMean.Data[o]))*scale)
		for i := o * per; i < (o+1)*per; i++ {
			fw[i] = float32(float64(w[i]) * scale)
		}
	}
	return kernels.PackInt8Conv(fw, fb, k, c, r, s, conv.Stride, conv.Padding, is, iz, os, oz)
}

// Config returns the configuration of the model b was made from.
func (b *Int8Model) Config() Config { return b.cfg }

// Replica returns an Int8Model sharing b's weights (read-only) with its own
// activation memory and turn, for predicting in another goroutine.
func (b *Int8Model) Replica() *Int8Model {
	r := *b
	r.run, r.mem = newReducedRun(b.cfg.InChannels), newInt8Memory()
	return &r
}

// ReleaseInferenceMemory drops the activation buffers kept for the next
// call.
func (b *Int8Model) ReleaseInferenceMemory() {
	b.run.reset(b.mem.arena)
}

// Predict returns sigmoid probabilities [N, Classes, H, W] for x
// [N, InChannels, H, W], as Model.Predict does, computed in int8.
func (b *Int8Model) Predict(x *tensor.Tensor) (*tensor.Tensor, error) {
	return b.PredictContext(context.Background(), x)
}

// PredictContext is Predict that gives up when ctx is done, while waiting
// for its turn or a compute slot and between layers.
func (b *Int8Model) PredictContext(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
	return b.run.predict(ctx, b.mem.arena, x, b.forward)
}

// forward runs the network; every activation goes back to b.mem as soon as
// the next layer has consumed it.
func (b *Int8Model) forward(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
	n, cin, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	ph, pw := roundUp(h), roundUp(w)
	mem := b.mem
	// The input: NCHW float32 to NHWC uint8 with the stem's border, the
	// zero point right and below up to ph x pw (Forward's zero padding).
	in := mem.image(n, ph, pw, b.stem.Cp, b.stem.Pad, b.inScale, b.inZero)
	kernels.Parallel(n*ph, 8, func(lo, hi int) {
		for row := lo; row < hi; row++ {
			bi, y := row/ph, row%ph
			d := in.Data[in.Offset(bi, y, 0):][:pw*in.C]
			for i := range d {
				d[i] = b.inZero
			}
			if y >= h {
				continue
			}
			for c := 0; c < cin; c++ {
				kernels.QuantizeU8s(d[c:], in.C, x.Data[((bi*cin+c)*h+y)*w:][:w], b.inScale, b.inZero)
			}
		}
	})
	var f [5]kernels.U8Image
	f[0] = b.conv(in, b.stem, nil, 1)
	mem.put(in)
	cur := mem.image(n, (f[0].H-1)/2+1, (f[0].W-1)/2+1, f[0].C, 1, f[0].Scale, f[0].Zero)
	kernels.U8MaxPool3x3s2(cur, f[0])
	for s, blocks := range b.stages {
		for i, blk := range blocks {
			if err := ctx.Err(); err != nil {
				b.putAll(f[:s+1], cur)
				return nil, err
			}
			next := b.block(cur, blk)
			if s == 0 || i > 0 { // else cur is f[s], kept for the decoder
				mem.put(cur)
			}
			cur = next
		}
		f[s+1] = cur
	}
	cur = f[4]
	for i, d := range b.decoder {
		if err := ctx.Err(); err != nil {
			b.putAll(f[:4-i], cur)
			return nil, err
		}
		var skip *kernels.U8Image
		if i < 4 {
			skip = &f[3-i]
		}
		ct := cur.C
		if skip != nil {
			ct += skip.C
		}
		u := mem.image(n, 2*cur.H, 2*cur.W, ct, d.conv1.Pad, d.scale, d.zero)
		kernels.U8UpsampleConcat(u, cur, skip)
		mem.put(cur)
		if skip != nil {
			mem.put(*skip)
		}
		a := b.conv(u, d.conv1, nil, d.conv2.Pad)
		mem.put(u)
		cur = b.conv(a, d.conv2, nil, b.seg.Pad)
		mem.put(a)
	}
	// The segmentation head: uint8 logits, dequantized, sigmoid in float32.
	classes := b.cfg.Classes
	lg := mem.image(n, ph, pw, classes, 0, b.seg.OutScale, b.seg.OutZero)
	kernels.Int8Conv2D(lg, cur, b.seg, nil, false)
	mem.put(cur)
	var table [256]float32
	for q := range table {
		table[q] = float32(1 / (1 + math.Exp(-float64(lg.Scale)*float64(q-int(lg.Zero)))))
	}
	out := tensor.New(n, classes, h, w)
	kernels.Parallel(n*classes*h, 16, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			bi, c, y := r/(classes*h), r/h%classes, r%h
			row := out.Data[r*w : (r+1)*w]
			src := lg.Data[(bi*ph+y)*pw*classes+c:]
			for xx := range row {
				row[xx] = table[src[xx*classes]]
			}
		}
	})
	mem.put(lg)
	return out, nil
}

// conv runs cv on x with a fused ReLU (res added before it when not nil)
// into a new image with a border of halo.
func (b *Int8Model) conv(x kernels.U8Image, cv *kernels.Int8Conv, res *kernels.U8Image, halo int) kernels.U8Image {
	y := b.mem.image(x.N, cv.OutH(x.H), cv.OutW(x.W), cv.K, halo, cv.OutScale, cv.OutZero)
	kernels.Int8Conv2D(y, x, cv, res, true)
	return y
}

// block runs a ResNet block on x (not freed).
func (b *Int8Model) block(x kernels.U8Image, blk int8Block) kernels.U8Image {
	idt := x
	if blk.down != nil {
		d := blk.down
		idt = b.mem.image(x.N, d.OutH(x.H), d.OutW(x.W), d.K, 0, d.OutScale, d.OutZero)
		kernels.Int8Conv2D(idt, x, d, nil, false)
	}
	t := x
	last := len(blk.convs) - 1
	for i, cv := range blk.convs[:last] {
		next := b.conv(t, cv, nil, blk.convs[i+1].Pad)
		if i > 0 {
			b.mem.put(t)
		}
		t = next
	}
	out := b.conv(t, blk.convs[last], &idt, 1)
	if last > 0 {
		b.mem.put(t)
	}
	if blk.down != nil {
		b.mem.put(idt)
	}
	return out
}

func (b *Int8Model) putAll(imgs []kernels.U8Image, cur kernels.U8Image) {
	seen := map[*uint8]bool{}
	for _, m := range append(imgs, cur) {
		if len(m.Data) > 0 && !seen[&m.Data[0]] {
			seen[&m.Data[0]] = true
			b.mem.put(m)
		}
	}
}

// int8Memory draws the activations of one Int8Model from an nn.Arena kept
// between calls, uint8 images viewed as float32 buffers (as bf16Memory).
type int8Memory struct {
	arena *nn.Arena
}

func newInt8Memory() *int8Memory { return &int8Memory{arena: nn.NewArena()} }

// image returns an image whose border holds the zero point (its interior
// is left for the caller to write).
func (m *int8Memory) image(n, h, w, c, halo int, scale float32, zero uint8) kernels.U8Image {
	l := kernels.U8ImageLen(n, h, w, c, halo)
	f := m.arena.Floats((l + 3) / 4)
	d := unsafe.Slice((*uint8)(unsafe.Pointer(&f[0])), l)
	img := kernels.U8Image{Data: d, N: n, H: h, W: w, C: c, Halo: halo, Scale: scale, Zero: zero}
	img.ClearHalo()
	return img
}

// put hands img's buffer back for the next images of the pass.
func (m *int8Memory) put(img kernels.U8Image) {
	if len(img.Data) > 0 {
		m.arena.Recycle(unsafe.Slice((*float32)(unsafe.Pointer(&img.Data[0])), (len(img.Data)+3)/4))
	}
}
