package unet

import (
	"fmt"
	"math"
	"testing"

	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// upConcatCase runs loss = sum(conv(UpsampleConcat(x, skip)) * r) through
// upConcatConv (fused) or the two nn ops and returns the output and the
// gradients of x, skip, weight and bias.
func upConcatCase(ex *nn.Exec, fused bool, x, skip, r *tensor.Tensor, conv *nn.Conv2DLayer) []*tensor.Tensor {
	conv.Weight.Grad, conv.Bias.Grad = nil, nil
	xv := ex.Param(x.Clone())
	var sv *nn.Value
	if skip != nil {
		sv = ex.Param(skip.Clone())
	}
	var y *nn.Value
	if fused {
		y = upConcatConv(xv, sv, conv)
	} else {
		y = conv.Forward(nn.UpsampleConcat(xv, sv))
	}
	nn.Sum(nn.Mul(y, nn.Const(r))).Backward()
	out := []*tensor.Tensor{y.Data.Clone(), xv.Grad.Clone(), conv.Weight.Grad.Clone(), conv.Bias.Grad.Clone()}
	if sv != nil {
		out = append(out, sv.Grad.Clone())
	}
	return out
}

// TestUpConcatConvMatchesOps: upConcatConv gives the output and gradients
// (x, skip, weight, bias) of nn.UpsampleConcat followed by the convolution
// exactly, with and without skip, on the heap and in an arena over several
// steps (whose recycled buffers then hold stale values), and needs less
// arena memory than the two ops when u is the larger tensor.
func TestUpConcatConvMatchesOps(t *testing.T) {
	rng := tensor.NewRNG(7)
	for _, tc := range []struct{ n, h, w, c, k, o int }{{2, 5, 7, 6, 5, 4}, {1, 4, 4, 3, 0, 5}, {2, 8, 6, 16, 16, 8}} {
		name := fmt.Sprintf("%+v", tc)
		x := rng.Randn(tc.n, tc.h, tc.w, tc.c)
		var skip *tensor.Tensor
		if tc.k > 0 {
			skip = rng.Randn(tc.n, 2*tc.h, 2*tc.w, tc.k)
		}
		r := rng.Randn(tc.n, 2*tc.h, 2*tc.w, tc.o)
		conv := nn.NewConv2DLayer(rng, tc.c+tc.k, tc.o, 3, 1, 1, true)
		want := upConcatCase(nil, false, x, skip, r, conv)
		got := upConcatCase(nil, true, x, skip, r, conv)
		for i := range want {
			if k, d, ok := tensor.MaxDiff(got[i].Data, want[i].Data, 0, 0); !ok {
				t.Errorf("%s heap: result %d differs at %d by %g", name, i, k, d)
			}
		}
		var bytes [2]int64
		for f, fused := range []bool{false, true} {
			arena := nn.NewArena()
			for step := range 3 {
				got := upConcatCase(nn.NewExec(nil, arena, true), fused, x, skip, r, conv)
				arena.Release()
				for i := range want {
					if k, d, ok := tensor.MaxDiff(got[i].Data, want[i].Data, 0, 0); !ok {
						t.Errorf("%s arena fused=%v step %d: result %d differs at %d by %g", name, fused, step, i, k, d)
					}
				}
			}
			bytes[f] = arena.Bytes()
		}
		// Where u is larger than the output (as in the U-Net), its range
		// serves the loss's temporaries instead of staying in use.
		if tc.c+tc.k > tc.o && bytes[1] >= bytes[0] {
			t.Errorf("%s: fused op's arena holds %d bytes, the two ops' %d: want less", name, bytes[1], bytes[0])
		}
	}
}

// TestUpConcatConvFiniteDifferences checks a sample of upConcatConv's
// gradients against central differences of its forward pass.
func TestUpConcatConvFiniteDifferences(t *testing.T) {
	rng := tensor.NewRNG(9)
	n, h, w, c, k, o := 1, 3, 4, 3, 2, 2
	x, skip := rng.Randn(n, h, w, c), rng.Randn(n, 2*h, 2*w, k)
	r := rng.Randn(n, 2*h, 2*w, o)
	conv := nn.NewConv2DLayer(rng, c+k, o, 3, 1, 1, true)
	grads := upConcatCase(nil, true, x, skip, r, conv)
	loss := func() float64 {
		var s float64
		ex := nn.NewExec(nil, nil, false)
		y := upConcatConv(ex.Input(x), ex.Input(skip), conv)
		for i, v := range y.Data.Data {
			s += float64(v) * float64(r.Data[i])
		}
		return s
	}
	const eps = 1e-2
	for _, in := range []struct {
		name string
		data []float32
		grad *tensor.Tensor
	}{{"x", x.Data, grads[1]}, {"weight", conv.Weight.Data.Data, grads[2]}, {"bias", conv.Bias.Data.Data, grads[3]}, {"skip", skip.Data, grads[4]}} {
		for _, i := range []int{0, len(in.data) / 3, len(in.data) / 2, len(in.data) - 1} {
			v := in.data[i]
			in.data[i] = v + eps
			lp := loss()
			in.data[i] = v - eps
			lm := loss()
			in.data[i] = v
			fd := (lp - lm) / (2 * eps)
			if g := float64(in.grad.Data[i]); math.Abs(g-fd) > 2e-3*(1+math.Abs(fd)) {
				t.Errorf("d loss / d %s[%d] = %g, finite differences %g", in.name, i, g, fd)
			}
		}
	}
}
