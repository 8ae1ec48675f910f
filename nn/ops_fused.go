package nn

import (
	"math"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/tensor"
)

// Fused operations that keep fewer activation-sized tensors alive than their
// parts would: the intermediate results never get a buffer of their own.

// bnStats validates BatchNorm2D's arguments and returns the rows m, the
// channels c and the per-channel mean and 1/sqrt(var + eps) that normalise
// x: the batch's in training mode (updating runMean and runVar), the running
// ones otherwise.
func bnStats(e *Exec, op string, x, gamma, beta *Value, runMean, runVar *tensor.Tensor, training bool, momentum, eps float32) (m, c int, mean, invstd []float32) {
	s := x.Data.Shape
	if len(s) != 4 && len(s) != 2 {
		tensor.Panicf("nn", "%s: input must be [N, H, W, C] or [M, C], got shape %v", op, s)
	}
	c = s[len(s)-1]
	if c > 0 {
		m = len(x.Data.Data) / c
	}
	for _, v := range []struct {
		name string
		s    []int
	}{{"gamma", shapeOf(gamma)}, {"beta", shapeOf(beta)}, {"running mean", shapeOf2(runMean)}, {"running variance", shapeOf2(runVar)}} {
		if v.s != nil && (len(v.s) != 1 || v.s[0] != c) {
			tensor.Panicf("nn", "%s: %s has shape %v, want [%d] for input %v", op, v.name, v.s, c, s)
		}
	}
	mean, invstd = e.Floats(c), e.Floats(c)
	if training {
		if m < 2 {
			tensor.Panicf("nn", "%s: training needs more than one value per channel, input %v", op, s)
		}
		variance := e.Floats(c)
		kernels.BatchNormStats(mean, variance, invstd, x.Data.Data, m, c, eps)
		if runMean != nil || runVar != nil {
			unbias := float32(float64(m) / float64(m-1))
			for j := 0; j < c; j++ {
				if runMean != nil {
					runMean.Data[j] = (1-momentum)*runMean.Data[j] + momentum*mean[j]
				}
				if runVar != nil {
					runVar.Data[j] = (1-momentum)*runVar.Data[j] + momentum*variance[j]*unbias
				}
			}
		}
		e.Recycle(variance)
	} else {
		if runMean == nil || runVar == nil {
			tensor.Panicf("nn", "%s: evaluation mode needs running statistics", op)
		}
		copy(mean, runMean.Data)
		for j := 0; j < c; j++ {
			invstd[j] = float32(1 / math.Sqrt(float64(runVar.Data[j])+float64(eps)))
		}
	}
	return m, c, mean, invstd
}

// BatchNormReLU returns relu(BatchNorm2D(x, ...) + residual) in one pass:
// x [N, H, W, C] or [M, C], residual of x's shape or nil (then
// relu(BatchNorm2D(x, ...))). The arguments and the running-statistics
// update are BatchNorm2D's; the result equals PyTorch's
// F.relu(F.batch_norm(x, ...) + residual) to float32 rounding.
//
// For backward it keeps x, the output and the per-channel statistics (what
// PyTorch keeps too): neither the normalised tensor nor the sum with the
// residual gets a buffer, so a conv-BN-ReLU keeps two activation-sized
// tensors alive instead of three (four with a residual add).
func BatchNormReLU(x, gamma, beta, residual *Value, runMean, runVar *tensor.Tensor, training bool, momentum, eps float32) *Value {
	e := execOf(x, gamma, beta, residual)
	m, c, mean, invstd := bnStats(e, "BatchNormReLU", x, gamma, beta, runMean, runVar, training, momentum, eps)
	var res []float32
	if residual != nil {
		tensor.MustSameShape("nn", "BatchNormReLU", x.Data.Shape, residual.Data.Shape)
		res = residual.Data.Data
	}
	y := e.Alloc(x.Data.Shape...)
	kernels.BatchNormApplyReLU(y.Data, x.Data.Data, res, mean, invstd, valueData(gamma), valueData(beta), m, c)
	return NewResult(y, func(out *Value) {
		xNeed := x.RequiresGrad
		gNeed := gamma != nil && gamma.RequiresGrad
		bNeed := beta != nil && beta.RequiresGrad
		rNeed := residual != nil && residual.RequiresGrad
		if !xNeed && !gNeed && !bNeed && !rNeed {
			return
		}
		// dz, the gradient of the batch norm's output, is also the
		// residual's: when the residual has no gradient yet it is written
		// straight into one, else over dy where nothing reads dy again.
		var dz []float32
		var accR *tensor.Tensor
		inPlace := false
		switch {
		case rNeed:
			dz, accR = gradDst(e, residual)
		case gradScratch(out):
			dz, inPlace = out.Grad.Data, true
		default:
			dz = e.Floats(len(y.Data))
		}
		kernels.ReLUBackward(dz, out.Grad.Data, out.Data.Data)
		if xNeed || gNeed || bNeed {
			batchNormGrads(e, x, gamma, beta, dz, mean, invstd, m, c, training, gNeed, bNeed)
		}
		switch {
		case inPlace:
		case !rNeed:
			e.Recycle(dz)
		case accR != nil:
			gradDone(e, accR, dz)
		}
	}, x, gamma, beta, residual)
}

// UpsampleConcat returns Concat(UpsampleNearest2x(x), skip): x [N, H, W, C]
// enlarged 2x by nearest-neighbour repetition and joined along channels
// with skip [N, 2H, 2W, K], giving [N, 2H, 2W, C+K] (a U-Net decoder's
// torch.cat([F.interpolate(x, scale_factor=2), skip], dim=1)). The
// upsampled copy of x is written straight into the result and never exists
// on its own. A nil skip gives UpsampleNearest2x(x).
func UpsampleConcat(x, skip *Value) *Value {
	e := execOf(x, skip)
	if skip == nil {
		return UpsampleNearest2x(x)
	}
	n, h, w, c := dims4("UpsampleConcat", x)
	sn, sh, sw, k := dims4("UpsampleConcat", skip)
	if sn != n || sh != 2*h || sw != 2*w {
		tensor.Panicf("nn", "UpsampleConcat: skip has shape %v, want [%d, %d, %d, K] for x %v", skip.Data.Shape, n, 2*h, 2*w, x.Data.Shape)
	}
	ct := c + k
	y := e.Alloc(n, 2*h, 2*w, ct)
	kernels.UpsampleNearest2xConcat(y.Data, x.Data.Data, skip.Data.Data, n, h, w, c, k)
	return NewResult(y, func(out *Value) {
		dy := out.Grad.Data
		accumGrad(e, x, func(dx []float32) {
			kernels.UpsampleNearest2xConcatBackward(dx, nil, dy, n, h, w, c, k, false)
		})
		accumGrad(e, skip, func(ds []float32) {
			kernels.UpsampleNearest2xConcatBackward(nil, ds, dy, n, h, w, c, k, false)
		})
	}, x, skip)
}
