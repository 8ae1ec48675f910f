package unet

import (
	"strconv"

	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// scse is concurrent spatial and channel squeeze and excitation (Roy et
// al. 2018) as in smp: x*cSE(x) + x*sSE(x) with
// cSE = sigmoid(conv1x1(relu(conv1x1(avgpool(x))))) (reduction 16) and
// sSE = sigmoid(conv1x1(x) to one channel). Keys: cSE.1, cSE.3, sSE.0.
type scse struct {
	children
	c1, c3, s0 *nn.Conv2DLayer
}

func newSCSE(rng *tensor.RNG, c int) *scse {
	a := &scse{
		c1: nn.NewConv2DLayer(rng, c, c/16, 1, 1, 0, true),
		c3: nn.NewConv2DLayer(rng, c/16, c, 1, 1, 0, true),
		s0: nn.NewConv2DLayer(rng, c, 1, 1, 1, 0, true),
	}
	a.add("cSE.1", a.c1)
	a.add("cSE.3", a.c3)
	a.add("sSE.0", a.s0)
	return a
}

// Forward gates x [N, H, W, C].
func (a *scse) Forward(x *nn.Value) *nn.Value {
	n, c := x.Data.Shape[0], x.Data.Shape[3]
	g := nn.Reshape(nn.GlobalAvgPool(x), n, 1, 1, c)
	g = nn.Sigmoid(a.c3.Forward(nn.ReLU(a.c1.Forward(g))))
	sl := a.s0.Forward(x)
	s := nn.Sigmoid(sl)
	nn.Free(sl) // inference only (see nn.Free), as below
	y := scseCombine(x, g, s)
	nn.Free(s)
	return y
}

// attention is smp's Attention wrapper: its child is named "attention"; nil
// scse means identity.
type attention struct {
	children
	a *scse
}

func newAttention(rng *tensor.RNG, kind string, c int) *attention {
	at := &attention{}
	if kind == "scse" {
		at.a = newSCSE(rng, c)
		at.add("attention", at.a)
	}
	return at
}

func (at *attention) Forward(x *nn.Value) *nn.Value {
	if at.a == nil {
		return x
	}
	return at.a.Forward(x)
}

// convBNReLU is Sequential(Conv2DLayer 3x3 no bias, BatchNorm2DLayer, ReLU).
func convBNReLU(rng *tensor.RNG, in, out int) *nn.Sequential {
	return nn.NewSequential(nn.NewConv2DLayer(rng, in, out, 3, 1, 1, false), nn.NewBatchNorm2DLayer(out), nn.NewReLULayer())
}

// decoderBlock upsamples 2x (nearest), concatenates the skip features,
// applies attention1, two conv-BN-ReLU and attention2.
type decoderBlock struct {
	children
	conv1, conv2           *nn.Sequential
	attention1, attention2 *attention
}

func newDecoderBlock(rng *tensor.RNG, in, skip, out int, att string) *decoderBlock {
	b := &decoderBlock{
		conv1:      convBNReLU(rng, in+skip, out),
		attention1: newAttention(rng, att, in+skip),
	}
	b.conv2 = convBNReLU(rng, out, out)
	b.attention2 = newAttention(rng, att, out)
	b.add("conv1", b.conv1)
	b.add("attention1", b.attention1)
	b.add("conv2", b.conv2)
	b.add("attention2", b.attention2)
	return b
}

// Forward maps x [N, H, W, in] and skip [N, 2H, 2W, skip] (or nil) to
// [N, 2H, 2W, out]. It consumes x and skip: in a pass without a graph they and every
// intermediate result are freed once used (see nn.Free).
func (b *decoderBlock) Forward(x, skip *nn.Value) *nn.Value {
	layers := []interface{ Forward(*nn.Value) *nn.Value }{b.attention1, b.conv1, b.conv2, b.attention2}
	var u *nn.Value
	if b.attention1.a == nil {
		// The first convolution reads the concatenation without keeping it
		// for the backward pass (see upConcatConv); batch norm and ReLU follow.
		u = upConcatConv(x, skip, b.conv1.Layers[0].(*nn.Conv2DLayer))
		layers[0], layers[1] = &nn.Sequential{Layers: b.conv1.Layers[1:]}, nil
	} else {
		u = nn.UpsampleConcat(x, skip) // nearest 2x, then the skip's channels
	}
	nn.Free(x)
	nn.Free(skip)
	for _, l := range layers {
		if l == nil {
			continue
		}
		next := l.Forward(u)
		if next != u {
			nn.Free(u)
		}
		u = next
	}
	return u
}

// decoder is smp's UnetDecoder: 5 blocks under "blocks.<i>", deepest first.
type decoder struct {
	children
	blocks []*decoderBlock
}

func newDecoder(rng *tensor.RNG, enc [5]int, dec []int, att string) *decoder {
	d := &decoder{}
	list := &children{}
	in := enc[4]
	for i, out := range dec {
		skip := 0
		if i < 4 {
			skip = enc[3-i]
		}
		b := newDecoderBlock(rng, in, skip, out, att)
		d.blocks = append(d.blocks, b)
		list.add(strconv.Itoa(i), b)
		in = out
	}
	d.add("blocks", list)
	return d
}

// Forward decodes the encoder features into [N, H, W, dec[4]]. It
// consumes them: in a pass without a graph each is freed once used.
func (d *decoder) Forward(f [5]*nn.Value) *nn.Value {
	x := f[4]
	for i, b := range d.blocks {
		var skip *nn.Value
		if i < 4 {
			skip = f[3-i]
		}
		x = b.Forward(x, skip)
	}
	return x
}
