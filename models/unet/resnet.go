package unet

import (
	"strconv"

	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// torchvision's ResNet as a U-Net encoder: conv1-bn1-relu (1/2), maxpool and
// layer1 (1/4), layer2 (1/8), layer3 (1/16), layer4 (1/32); no avgpool, no
// fc. Parameter names are torchvision's ("layer1.0.conv1.weight",
// "layer2.0.downsample.0.weight"). All activations are [N, H, W, C].

// encoderConv returns a bias-free conv initialised like torchvision's ResNet
// (kaiming_normal_, mode fan_out, relu).
func encoderConv(rng *tensor.RNG, in, out, k, stride, pad int) *nn.Conv2DLayer {
	w := tensor.New(out, in, k, k)
	rng.KaimingNormal(w, true)
	return &nn.Conv2DLayer{Weight: nn.Param(w), Stride: stride, Padding: pad, Dilation: 1}
}

// basicBlock is torchvision's BasicBlock (ResNet-18/34): two 3x3 convs and an
// identity or 1x1-conv shortcut.
type basicBlock struct {
	children
	conv1, conv2 *nn.Conv2DLayer
	bn1, bn2     *nn.BatchNorm2DLayer
	down         *nn.Sequential // [conv1x1, bn] or nil
}

func newBasicBlock(rng *tensor.RNG, in, planes, stride int) *basicBlock {
	b := &basicBlock{
		conv1: encoderConv(rng, in, planes, 3, stride, 1), bn1: nn.NewBatchNorm2DLayer(planes),
		conv2: encoderConv(rng, planes, planes, 3, 1, 1), bn2: nn.NewBatchNorm2DLayer(planes),
	}
	if stride != 1 || in != planes {
		b.down = nn.NewSequential(encoderConv(rng, in, planes, 1, stride, 0), nn.NewBatchNorm2DLayer(planes))
	}
	b.add("conv1", b.conv1)
	b.add("bn1", b.bn1)
	b.add("conv2", b.conv2)
	b.add("bn2", b.bn2)
	if b.down != nil {
		b.add("downsample", b.down)
	}
	return b
}

// Forward returns relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
func (b *basicBlock) Forward(x *nn.Value) *nn.Value {
	c := b.conv1.Forward(x)
	out := b.bn1.ForwardReLU(c, nil)
	nn.Free(c) // inference only (see nn.Free), as below
	c = b.conv2.Forward(out)
	nn.Free(out)
	idt := x
	if b.down != nil {
		idt = b.down.Forward(x)
	}
	out = b.bn2.ForwardReLU(c, idt)
	nn.Free(c)
	if idt != x {
		nn.Free(idt)
	}
	return out
}

// bottleneck is torchvision's Bottleneck (ResNet-50, v1.5: the stride sits
// on the 3x3 conv): 1x1 reduce, 3x3, 1x1 expand by 4.
type bottleneck struct {
	children
	conv1, conv2, conv3 *nn.Conv2DLayer
	bn1, bn2, bn3       *nn.BatchNorm2DLayer
	down                *nn.Sequential
}

func newBottleneck(rng *tensor.RNG, in, planes, stride int) *bottleneck {
	b := &bottleneck{
		conv1: encoderConv(rng, in, planes, 1, 1, 0), bn1: nn.NewBatchNorm2DLayer(planes),
		conv2: encoderConv(rng, planes, planes, 3, stride, 1), bn2: nn.NewBatchNorm2DLayer(planes),
		conv3: encoderConv(rng, planes, 4*planes, 1, 1, 0), bn3: nn.NewBatchNorm2DLayer(4 * planes),
	}
	if stride != 1 || in != 4*planes {
		b.down = nn.NewSequential(encoderConv(rng, in, 4*planes, 1, stride, 0), nn.NewBatchNorm2DLayer(4*planes))
	}
	b.add("conv1", b.conv1)
	b.add("bn1", b.bn1)
	b.add("conv2", b.conv2)
	b.add("bn2", b.bn2)
	b.add("conv3", b.conv3)
	b.add("bn3", b.bn3)
	if b.down != nil {
		b.add("downsample", b.down)
	}
	return b
}

// Forward returns relu(bn3(conv3(...)) + shortcut(x)).
func (b *bottleneck) Forward(x *nn.Value) *nn.Value {
	c := b.conv1.Forward(x)
	out := b.bn1.ForwardReLU(c, nil)
	nn.Free(c) // inference only (see nn.Free), as below
	c = b.conv2.Forward(out)
	nn.Free(out)
	out = b.bn2.ForwardReLU(c, nil)
	nn.Free(c)
	c = b.conv3.Forward(out)
	nn.Free(out)
	idt := x
	if b.down != nil {
		idt = b.down.Forward(x)
	}
	out = b.bn3.ForwardReLU(c, idt)
	nn.Free(c)
	if idt != x {
		nn.Free(idt)
	}
	return out
}

// Encoder is a torchvision ResNet without avgpool and fc.
type Encoder struct {
	children
	conv1  *nn.Conv2DLayer
	bn1    *nn.BatchNorm2DLayer
	layers [4]*nn.Sequential
	// Channels are the channels of the 5 feature maps Forward returns.
	Channels [5]int
}

func newEncoder(rng *tensor.RNG, name string, inChannels int) *Encoder {
	spec := encoders[name]
	e := &Encoder{conv1: encoderConv(rng, inChannels, 64, 7, 2, 3), bn1: nn.NewBatchNorm2DLayer(64), Channels: spec.channels}
	e.add("conv1", e.conv1)
	e.add("bn1", e.bn1)
	in := 64
	for s, nb := range spec.blocks {
		planes := 64 << s
		stride := 2
		if s == 0 {
			stride = 1
		}
		seq := nn.NewSequential()
		for i := 0; i < nb; i++ {
			if spec.bottleneck {
				seq.Layers = append(seq.Layers, newBottleneck(rng, in, planes, stride))
				in = 4 * planes
			} else {
				seq.Layers = append(seq.Layers, newBasicBlock(rng, in, planes, stride))
				in = planes
			}
			stride = 1
		}
		e.layers[s] = seq
		e.add("layer"+strconv.Itoa(s+1), seq)
	}
	return e
}

// Forward returns the 5 feature maps of x [N, H, W, C]: strides 2, 4, 8, 16
// and 32 with e.Channels channels. In a pass without a graph every other
// intermediate result is freed as soon as it is consumed (see nn.Free).
func (e *Encoder) Forward(x *nn.Value) [5]*nn.Value {
	var f [5]*nn.Value
	c := e.conv1.Forward(x)
	f[0] = e.bn1.ForwardReLU(c, nil)
	nn.Free(c)
	h := nn.MaxPool2D(f[0], 3, 2, 1)
	for i, l := range e.layers {
		// The Sequential frees the outputs of all blocks but its last.
		next := l.Forward(h)
		if i == 0 {
			nn.Free(h) // the max-pool output; later inputs are features
		}
		h = next
		f[i+1] = h
	}
	return f
}
