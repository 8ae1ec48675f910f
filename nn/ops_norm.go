package nn

import (
	"math"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/tensor"
)

// BatchNorm2D normalises x per channel: y = (x - mean)/sqrt(var + eps)*gamma
// + beta, for x [N, H, W, C] (channels last) or [M, C]. gamma and beta are
// [C] or nil (1 and 0); runMean and runVar are [C] running statistics.
//
// In training mode the statistics are the batch's (biased variance for the
// normalisation) and the running statistics are updated in place as PyTorch
// does: run = (1-momentum)*run + momentum*batch, with the unbiased variance
// (M/(M-1) times the biased one) for runVar; M = N*H*W must exceed 1. In
// evaluation mode runMean and runVar normalise and are left unchanged.
func BatchNorm2D(x, gamma, beta *Value, runMean, runVar *tensor.Tensor, training bool, momentum, eps float32) *Value {
	s := x.Data.Shape
	if len(s) != 4 && len(s) != 2 {
		tensor.Panicf("nn", "BatchNorm2D: input must be [N, H, W, C] or [M, C], got shape %v", s)
	}
	c := s[len(s)-1]
	m := 0
	if c > 0 {
		m = len(x.Data.Data) / c
	}
	for _, v := range []struct {
		name string
		s    []int
	}{{"gamma", shapeOf(gamma)}, {"beta", shapeOf(beta)}, {"running mean", shapeOf2(runMean)}, {"running variance", shapeOf2(runVar)}} {
		if v.s != nil && (len(v.s) != 1 || v.s[0] != c) {
			tensor.Panicf("nn", "BatchNorm2D: %s has shape %v, want [%d] for input %v", v.name, v.s, c, s)
		}
	}
	mean, invstd := floats(c), floats(c)
	if training {
		if m < 2 {
			tensor.Panicf("nn", "BatchNorm2D: training needs more than one value per channel, input %v", s)
		}
		variance := floats(c)
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
	} else {
		if runMean == nil || runVar == nil {
			tensor.Panicf("nn", "BatchNorm2D: evaluation mode needs running statistics")
		}
		copy(mean, runMean.Data)
		for j := 0; j < c; j++ {
			invstd[j] = float32(1 / math.Sqrt(float64(runVar.Data[j])+float64(eps)))
		}
	}
	y := emptyTensor(s...)
	kernels.BatchNormApply(y.Data, x.Data.Data, mean, invstd, valueData(gamma), valueData(beta), m, c)
	return NewResult(y, func(out *Value) {
		dy := out.Grad.Data
		xNeed := x.RequiresGrad
		gNeed := gamma != nil && gamma.RequiresGrad
		bNeed := beta != nil && beta.RequiresGrad
		if !xNeed && !gNeed && !bNeed {
			return
		}
		// The kernel writes dx, dgamma and dbeta (overwriting) in one pass.
		dx, accX := gradDst(x)
		var dg, db []float32
		var accG, accB *tensor.Tensor
		if gNeed {
			dg, accG = gradDst(gamma)
		}
		if bNeed {
			db, accB = gradDst(beta)
		}
		kernels.BatchNormBackward(dx, dg, db, dy, x.Data.Data, mean, invstd, valueData(gamma), m, c, training)
		gradDone(accX, dx)
		gradDone(accG, dg)
		gradDone(accB, db)
	}, x, gamma, beta)
}

func valueData(v *Value) []float32 {
	if v == nil {
		return nil
	}
	return v.Data.Data
}

func shapeOf(v *Value) []int {
	if v == nil {
		return nil
	}
	return v.Data.Shape
}

func shapeOf2(t *tensor.Tensor) []int {
	if t == nil {
		return nil
	}
	return t.Shape
}
