package unet

import (
	"context"
	"fmt"
	"math"
	"unsafe"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// BF16Model runs a Model's inference in bfloat16: batch norm folded into
// the convolutions, weights rounded to bf16 once (NewBF16), activations
// kept in bf16 between layers, products summed in float32 (AVX-512 BF16's
// VDPBF16PS where the CPU has it; kernels.BF16Accelerated). The 3x3
// stride-1 convolutions run Winograd F(2x2,3x3) (kernels.PackBF16Winograd:
// 2.25x fewer products, weights transformed once), the others (stem,
// strided, 1x1) the direct convolution. The residual
// adds and ReLUs are fused into the convolutions as in float32, the
// decoder's upsample and concatenation write straight into the next
// convolution's zero-bordered input; the segmentation head's logits are
// rounded to bf16 too, and the sigmoid runs in float32.
//
// A BF16Model is a snapshot: training the Model afterwards does not change
// it. Calls take turns like Model.Predict's; Replica gives another
// goroutine its own activation memory over the same weights.
type BF16Model struct {
	cfg     Config
	stem    *kernels.BF16Conv
	stages  [4][]bf16Block
	decoder [5]bf16DecoderBlock
	seg     *kernels.BF16Conv // segmentation head
	run     reducedRun        // turns and the input contract, shared with the other precisions
	mem     *bf16Memory
}

// bf16Block is a ResNet block: conv1, conv2 (and conv3 in a bottleneck),
// each with its batch norm folded in, and the folded downsample or nil.
type bf16Block struct {
	convs []*kernels.BF16Conv
	down  *kernels.BF16Conv
}

type bf16DecoderBlock struct{ conv1, conv2 *kernels.BF16Conv }

// NewBF16 returns m's bf16 inference model, from m's current weights and
// batch-norm statistics. Models with scSE attention or a classification
// head are not supported yet (an error says so).
func NewBF16(m *Model) (*BF16Model, error) {
	if m.Config.Attention != "" {
		return nil, fmt.Errorf("unet: bf16 inference does not support %q attention yet", m.Config.Attention)
	}
	if m.ClassLinear != nil {
		return nil, fmt.Errorf("unet: bf16 inference does not support a classification head yet")
	}
	b := &BF16Model{cfg: m.Config, run: newReducedRun(m.Config.InChannels), mem: newBF16Memory()}
	e := m.Encoder
	b.stem = foldBF16(e.conv1, e.bn1)
	for s, l := range e.layers {
		for _, layer := range l.Layers {
			var blk bf16Block
			var down *nn.Sequential
			switch v := layer.(type) {
			case *basicBlock:
				blk.convs = []*kernels.BF16Conv{foldBF16(v.conv1, v.bn1), foldBF16(v.conv2, v.bn2)}
				down = v.down
			case *bottleneck:
				blk.convs = []*kernels.BF16Conv{foldBF16(v.conv1, v.bn1), foldBF16(v.conv2, v.bn2), foldBF16(v.conv3, v.bn3)}
				down = v.down
			default:
				return nil, fmt.Errorf("unet: bf16: unexpected encoder block %T", layer)
			}
			if down != nil {
				blk.down = foldBF16(down.Layers[0].(*nn.Conv2DLayer), down.Layers[1].(*nn.BatchNorm2DLayer))
			}
			b.stages[s] = append(b.stages[s], blk)
		}
	}
	for i, d := range m.decoder.blocks {
		b.decoder[i] = bf16DecoderBlock{
			conv1: foldBF16(d.conv1.Layers[0].(*nn.Conv2DLayer), d.conv1.Layers[1].(*nn.BatchNorm2DLayer)),
			conv2: foldBF16(d.conv2.Layers[0].(*nn.Conv2DLayer), d.conv2.Layers[1].(*nn.BatchNorm2DLayer)),
		}
	}
	b.seg = packConvBF16(m.segHead)
	return b, nil
}

// foldBF16 folds the evaluation-mode batch norm bn into conv (bias-free or
// not) and packs the result for the bf16 kernels:
// w' = w*gamma/sqrt(var+eps), b' = beta + (b - mean)*gamma/sqrt(var+eps),
// computed in float64 before the one rounding to bf16.
func foldBF16(conv *nn.Conv2DLayer, bn *nn.BatchNorm2DLayer) *kernels.BF16Conv {
	ws := conv.Weight.Data.Shape
	k, c, r, s := ws[0], ws[1], ws[2], ws[3]
	if conv.Dilation != 1 {
		tensor.Panicf("unet", "foldBF16: dilation %d", conv.Dilation)
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
	return packBF16(fw, fb, k, c, r, s, conv.Stride, conv.Padding)
}

// packBF16 packs the weights w [K, C, R, S] of a convolution for the bf16
// kernels: for Winograd F(2x2,3x3) where that pays
// (kernels.BF16WinogradPays), for the direct kernel otherwise.
func packBF16(w, bias []float32, k, c, r, s, stride, pad int) *kernels.BF16Conv {
	if kernels.BF16WinogradPays(k, c, r, s, stride, pad) {
		return kernels.PackBF16Winograd(w, bias, k, c, pad)
	}
	return kernels.PackBF16Conv(w, bias, k, c, r, s, stride, pad)
}

// packConvBF16 packs conv (no batch norm) for the bf16 kernels.
func packConvBF16(conv *nn.Conv2DLayer) *kernels.BF16Conv {
	ws := conv.Weight.Data.Shape
	var bias []float32
	if conv.Bias != nil {
		bias = conv.Bias.Data.Data
	}
	return packBF16(conv.Weight.Data.Data, bias, ws[0], ws[1], ws[2], ws[3], conv.Stride, conv.Padding)
}

// Config returns the configuration of the model b was made from.
func (b *BF16Model) Config() Config { return b.cfg }

// Replica returns a BF16Model sharing b's weights (read-only) with its own
// activation memory and turn, for predicting in another goroutine.
func (b *BF16Model) Replica() *BF16Model {
	r := *b
	r.run, r.mem = newReducedRun(b.cfg.InChannels), newBF16Memory()
	return &r
}

// ReleaseInferenceMemory drops the activation buffers kept for the next
// call.
func (b *BF16Model) ReleaseInferenceMemory() {
	b.run.reset(b.mem.arena)
}

// Predict returns sigmoid probabilities [N, Classes, H, W] for x
// [N, InChannels, H, W], as Model.Predict does, computed in bf16.
func (b *BF16Model) Predict(x *tensor.Tensor) (*tensor.Tensor, error) {
	return b.PredictContext(context.Background(), x)
}

// PredictContext is Predict that gives up when ctx is done, while waiting
// for its turn or a compute slot and between layers (Model.PredictContext's
// contract).
func (b *BF16Model) PredictContext(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
	return b.run.predict(ctx, b.mem.arena, x, b.forward)
}

// forward runs the network; every activation goes back to b.mem as soon as
// the next layer has consumed it.
func (b *BF16Model) forward(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
	n, cin, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	ph, pw := roundUp(h), roundUp(w)
	mem := b.mem
	// The input: NCHW float32 to NHWC bf16 with the stem's border of 3, the
	// channels padded to even, zeros right and below up to ph x pw.
	in := mem.image(n, ph, pw, b.stem.Cp, b.stem.Pad)
	clear(in.Data)
	kernels.Parallel(n*h, 8, func(lo, hi int) {
		for row := lo; row < hi; row++ {
			bi, y := row/h, row%h
			for xx := 0; xx < w; xx++ {
				o := in.Offset(bi, y, xx)
				for c := 0; c < cin; c++ {
					in.Data[o+c] = kernels.F32ToBF16(x.Data[((bi*cin+c)*h+y)*w+xx])
				}
			}
		}
	})
	var f [5]kernels.BF16Image
	f[0] = b.conv(in, b.stem, nil, 1)
	mem.put(in)
	cur := mem.image(n, (f[0].H-1)/2+1, (f[0].W-1)/2+1, f[0].C, 1)
	kernels.BF16MaxPool3x3s2(cur, f[0])
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
		var skip *kernels.BF16Image
		if i < 4 {
			skip = &f[3-i]
		}
		ct := cur.C
		if skip != nil {
			ct += skip.C
		}
		u := mem.image(n, 2*cur.H, 2*cur.W, ct, d.conv1.Pad)
		kernels.BF16UpsampleConcat(u, cur, skip)
		mem.put(cur)
		if skip != nil {
			mem.put(*skip)
		}
		a := b.conv(u, d.conv1, nil, d.conv2.Pad)
		mem.put(u)
		cur = b.conv(a, d.conv2, nil, b.seg.Pad)
		mem.put(a)
	}
	// The segmentation head: logits rounded to bf16 (relative error 2^-9,
	// under 0.001 in the probabilities), sigmoid in float32.
	classes := b.cfg.Classes
	lg := mem.image(n, ph, pw, classes, 0)
	kernels.BF16Conv2D(lg, cur, b.seg, nil, false)
	mem.put(cur)
	logits := mem.arena.Floats(n * ph * pw * classes)
	kernels.FromBF16(logits, lg.Data)
	mem.put(lg)
	kernels.Sigmoid(logits, logits)
	out := tensor.New(n, classes, h, w)
	for bi := 0; bi < n; bi++ {
		for c := 0; c < classes; c++ {
			for y := 0; y < h; y++ {
				row := out.Data[((bi*classes+c)*h+y)*w : ((bi*classes+c)*h+y+1)*w]
				for xx := range row {
					row[xx] = logits[((bi*ph+y)*pw+xx)*classes+c]
				}
			}
		}
	}
	return out, nil
}

// conv runs cv on x (ReLU fused; res added before it when not nil) into a
// new image with a border of halo.
func (b *BF16Model) conv(x kernels.BF16Image, cv *kernels.BF16Conv, res *kernels.BF16Image, halo int) kernels.BF16Image {
	y := b.mem.image(x.N, cv.OutH(x.H), cv.OutW(x.W), cv.K, halo)
	kernels.BF16Conv2D(y, x, cv, res, true)
	return y
}

// block runs a ResNet block on x (not freed).
func (b *BF16Model) block(x kernels.BF16Image, blk bf16Block) kernels.BF16Image {
	idt := x
	if blk.down != nil {
		idt = b.mem.image(x.N, blk.down.OutH(x.H), blk.down.OutW(x.W), blk.down.K, 0)
		kernels.BF16Conv2D(idt, x, blk.down, nil, false)
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

func (b *BF16Model) putAll(imgs []kernels.BF16Image, cur kernels.BF16Image) {
	seen := map[*uint16]bool{}
	for _, m := range append(imgs, cur) {
		if len(m.Data) > 0 && !seen[&m.Data[0]] {
			seen[&m.Data[0]] = true
			b.mem.put(m)
		}
	}
}

// bf16Memory draws the activations of one BF16Model from an nn.Arena
// kept between calls: bf16 images are viewed as halves of float32
// buffers, so that freed neighbours merge as in float32 inference and the
// peak is that of the images alive at once.
type bf16Memory struct {
	arena *nn.Arena
}

func newBF16Memory() *bf16Memory { return &bf16Memory{arena: nn.NewArena()} }

// image returns an image whose border is zero (its interior is left for
// the caller to write).
func (m *bf16Memory) image(n, h, w, c, halo int) kernels.BF16Image {
	l := kernels.BF16ImageLen(n, h, w, c, halo)
	f := m.arena.Floats((l + 1) / 2)
	d := unsafe.Slice((*uint16)(unsafe.Pointer(&f[0])), l)
	img := kernels.BF16Image{Data: d, N: n, H: h, W: w, C: c, Halo: halo}
	img.ClearHalo()
	return img
}

// put hands img's buffer back for the next images of the pass.
func (m *bf16Memory) put(img kernels.BF16Image) {
	if len(img.Data) > 0 {
		m.arena.Recycle(unsafe.Slice((*float32)(unsafe.Pointer(&img.Data[0])), (len(img.Data)+1)/2))
	}
}
