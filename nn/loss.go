package nn

import (
	"math"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/tensor"
)

// Losses for binary segmentation. Every loss takes raw logits (any shape;
// models give [N, H, W, 1] channels-last) and a target tensor of the same
// shape holding 0/1 masks (soft targets in [0, 1] are accepted where PyTorch
// accepts them), and returns a scalar Value (shape []) whose backward sends
// the gradient to the logits only: targets are constants. Forward and
// backward are written by hand on the raw data, with reductions in float64
// over fixed blocks (results do not depend on the thread count). A NaN logit
// yields a NaN loss, which the trainer can detect.

// BCEWithLogits is torch.nn.functional.binary_cross_entropy_with_logits
// with reduction "mean":
//
//	l_i = (1-t_i)*x_i + (1+(pw-1)*t_i) * (log(1+exp(-|x_i|)) + max(-x_i, 0))
//	loss = mean_i l_i
//
// which is numerically stable for logits of any magnitude. posWeight (the
// weight pw of positive examples) may be nil (pw = 1), hold one value, or
// hold one value per entry of the last dimension of logits (per channel for
// [N, H, W, C] logits), as PyTorch broadcasts it.
func BCEWithLogits(logits *Value, target, posWeight *tensor.Tensor) *Value {
	x, t := logits.Data.Data, target.Data
	lossCheckTarget("BCEWithLogits", logits, target)
	pw := lossPosWeight(logits, posWeight)
	weight := func(i int, ti float64) float64 {
		if pw == nil {
			return 1
		}
		return 1 + (float64(pw[i%len(pw)])-1)*ti
	}
	n := len(x)
	sum := lossReduce(n, func(lo, hi int) (s float64) {
		for i := lo; i < hi; i++ {
			xi, ti := float64(x[i]), float64(t[i])
			s += (1-ti)*xi + weight(i, ti)*lossSoftplusNeg(xi)
		}
		return s
	})
	out := tensor.Scalar(float32(sum / float64(n)))
	return NewResult(out, func(o *Value) {
		g := float64(o.Grad.Data[0]) / float64(n)
		dx := logits.GradTensor().Data
		kernels.Parallel(n, lossBlock, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				xi, ti := float64(x[i]), float64(t[i])
				// d/dx [(1-t)x + w*softplus(-x)] = (1-t) - w*sigmoid(-x)
				dx[i] += float32(g * ((1 - ti) - weight(i, ti)*lossSigmoid(-xi)))
			}
		})
	}, logits)
}

// FocalLoss is torchvision.ops.sigmoid_focal_loss with reduction "mean":
//
//	p = sigmoid(x), ce = BCEWithLogits (per element)
//	p_t = p*t + (1-p)*(1-t)
//	l = ce * (1-p_t)^gamma, times alpha*t + (1-alpha)*(1-t) when alpha >= 0
//	loss = mean l
//
// torchvision's defaults are alpha = 0.25, gamma = 2; a negative alpha turns
// the class weighting off. gamma must be >= 0. Where 1-p_t is exactly 0 (a
// saturated logit) and 0 < gamma < 1 the gradient's infinite factor is
// taken as 0.
func FocalLoss(logits *Value, target *tensor.Tensor, alpha, gamma float64) *Value {
	lossCheckTarget("FocalLoss", logits, target)
	if !(gamma >= 0) {
		tensor.Panicf("nn", "FocalLoss: gamma %g, want >= 0", gamma)
	}
	x, t := logits.Data.Data, target.Data
	weight := func(ti float64) float64 {
		if alpha < 0 {
			return 1
		}
		return alpha*ti + (1-alpha)*(1-ti)
	}
	n := len(x)
	sum := lossReduce(n, func(lo, hi int) (s float64) {
		for i := lo; i < hi; i++ {
			xi, ti := float64(x[i]), float64(t[i])
			p := lossSigmoid(xi)
			ce := (1-ti)*xi + lossSoftplusNeg(xi)
			omp := 1 - (p*ti + (1-p)*(1-ti))
			s += weight(ti) * ce * lossPow(omp, gamma)
		}
		return s
	})
	out := tensor.Scalar(float32(sum / float64(n)))
	return NewResult(out, func(o *Value) {
		g := float64(o.Grad.Data[0]) / float64(n)
		dx := logits.GradTensor().Data
		kernels.Parallel(n, lossBlock, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				xi, ti := float64(x[i]), float64(t[i])
				p := lossSigmoid(xi)
				ce := (1-ti)*xi + lossSoftplusNeg(xi)
				omp := 1 - (p*ti + (1-p)*(1-ti))
				// d(omp)/dx = -(2t-1) p (1-p); d(omp^gamma) = gamma omp^(gamma-1) d(omp).
				var powm1 float64
				switch {
				case gamma == 0:
					powm1 = 0 // the modulating factor is the constant 1
				case omp == 0 && gamma < 1:
					powm1 = 0 // saturated logit: take the zero one-sided slope
				default:
					powm1 = gamma * lossPow(omp, gamma-1)
				}
				d := (p-ti)*lossPow(omp, gamma) - ce*powm1*(2*ti-1)*p*(1-p)
				dx[i] += float32(g * weight(ti) * d)
			}
		})
	}, logits)
}

// WeightedLoss is one term of Combine: Weight times a scalar loss Value.
type WeightedLoss struct {
	Weight float64
	Loss   *Value
}

// Combine returns the weighted sum of scalar losses, sum_k w_k * L_k (for
// example 0.5*BCE + 0.5*Dice), as one scalar Value whose backward sends
// w_k times its gradient to each term. Terms with Loss == nil panic.
func Combine(terms ...WeightedLoss) *Value {
	if len(terms) == 0 {
		tensor.Panicf("nn", "Combine: no terms")
	}
	parents := make([]*Value, len(terms))
	var sum float64
	for k, term := range terms {
		if term.Loss == nil || len(term.Loss.Data.Data) != 1 {
			tensor.Panicf("nn", "Combine: term %d is not a scalar loss", k)
		}
		parents[k] = term.Loss
		sum += term.Weight * float64(term.Loss.Data.Data[0])
	}
	out := tensor.Scalar(float32(sum))
	return NewResult(out, func(o *Value) {
		g := float64(o.Grad.Data[0])
		for _, term := range terms {
			if term.Loss.RequiresGrad {
				term.Loss.GradTensor().Data[0] += float32(g * term.Weight)
			}
		}
	}, parents...)
}

// lossCheckTarget panics unless target has the logits' shape.
func lossCheckTarget(op string, logits *Value, target *tensor.Tensor) {
	tensor.MustSameShape("nn", op, logits.Data.Shape, target.Shape)
	if len(target.Data) == 0 {
		tensor.Panicf("nn", "%s: empty input %v", op, target.Shape)
	}
}

// lossPosWeight returns posWeight's data (nil for nil) after checking that it
// broadcasts over logits: one value, or one per entry of the last dimension.
func lossPosWeight(logits *Value, posWeight *tensor.Tensor) []float32 {
	if posWeight == nil {
		return nil
	}
	n, shape := len(posWeight.Data), logits.Data.Shape
	if n == 1 || (len(shape) > 0 && n == shape[len(shape)-1]) {
		return posWeight.Data
	}
	tensor.Panicf("nn", "BCEWithLogits: posWeight shape %v does not broadcast over the last dimension of %v", posWeight.Shape, shape)
	return nil
}

// lossBlock is the fixed block length of loss reductions: partial sums per
// block are added in block order, so results do not depend on the thread
// count.
const lossBlock = 8192

// lossReduce returns the sum over fixed blocks of [0, n) of fn(lo, hi),
// evaluating blocks in parallel and adding them in order.
func lossReduce(n int, fn func(lo, hi int) float64) float64 {
	nb := (n + lossBlock - 1) / lossBlock
	if nb <= 1 {
		return fn(0, n)
	}
	part := make([]float64, nb)
	kernels.Parallel(nb, 1, func(blo, bhi int) {
		for b := blo; b < bhi; b++ {
			part[b] = fn(b*lossBlock, min(n, (b+1)*lossBlock))
		}
	})
	var s float64
	for _, v := range part {
		s += v
	}
	return s
}

// lossReduce3 is lossReduce for three sums at once.
func lossReduce3(n int, fn func(lo, hi int) [3]float64) [3]float64 {
	nb := (n + lossBlock - 1) / lossBlock
	if nb <= 1 {
		return fn(0, n)
	}
	part := make([][3]float64, nb)
	kernels.Parallel(nb, 1, func(blo, bhi int) {
		for b := blo; b < bhi; b++ {
			part[b] = fn(b*lossBlock, min(n, (b+1)*lossBlock))
		}
	})
	var s [3]float64
	for _, v := range part {
		s[0] += v[0]
		s[1] += v[1]
		s[2] += v[2]
	}
	return s
}

// lossPow is math.Pow with the common exponents 0, 1, 2 done by hand.
func lossPow(x, y float64) float64 {
	switch y {
	case 0:
		return 1
	case 1:
		return x
	case 2:
		return x * x
	}
	return math.Pow(x, y)
}

// lossSigmoid is 1/(1+exp(-x)) computed without overflow.
func lossSigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// lossSoftplusNeg is log(1+exp(-x)) = log1p(exp(-|x|)) + max(-x, 0), the
// stable form PyTorch uses; NaN stays NaN.
func lossSoftplusNeg(x float64) float64 {
	m := -x
	if !(m > 0) && !math.IsNaN(m) {
		m = 0
	}
	return math.Log1p(math.Exp(-math.Abs(x))) + m
}
