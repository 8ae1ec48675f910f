package nn

import (
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
	e := execOf(x, gamma, beta)
	m, c, mean, invstd := bnStats(e, "BatchNorm2D", x, gamma, beta, runMean, runVar, training, momentum, eps)
	y := e.Alloc(x.Data.Shape...)
	kernels.BatchNormApply(y.Data, x.Data.Data, mean, invstd, valueData(gamma), valueData(beta), m, c)
	return NewResult(y, func(out *Value) {
		dy := out.Grad.Data
		xNeed := x.RequiresGrad
		gNeed := gamma != nil && gamma.RequiresGrad
		bNeed := beta != nil && beta.RequiresGrad
		if !xNeed && !gNeed && !bNeed {
			return
		}
		batchNormGrads(e, x, gamma, beta, dy, mean, invstd, m, c, training, gNeed, bNeed)
	}, x, gamma, beta)
}

// batchNormGrads accumulates the batch-norm gradients of x, gamma (when
// gNeed) and beta (when bNeed) from dy [m, c]; the kernel writes dx, dgamma
// and dbeta (overwriting) in one pass.
func batchNormGrads(e *Exec, x, gamma, beta *Value, dy, mean, invstd []float32, m, c int, training, gNeed, bNeed bool) {
	dx, accX := gradDst(e, x)
	var dg, db []float32
	var accG, accB *tensor.Tensor
	if gNeed {
		dg, accG = gradDst(e, gamma)
	}
	if bNeed {
		db, accB = gradDst(e, beta)
	}
	kernels.BatchNormBackward(dx, dg, db, dy, x.Data.Data, mean, invstd, valueData(gamma), m, c, training)
	gradDone(e, accX, dx)
	gradDone(e, accG, dg)
	gradDone(e, accB, db)
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
