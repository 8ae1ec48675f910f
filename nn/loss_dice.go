package nn

import (
	"math"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/tensor"
)

// DiceEps bounds the Dice denominator away from zero (as
// segmentation_models_pytorch's DiceLoss clamps it with eps = 1e-7), so an
// empty target with smooth = 0 and very negative logits gives a finite loss.
const DiceEps = 1e-7

// SoftDice is the soft Dice loss on probabilities p = sigmoid(logits):
//
//	I = sum p*t,  P = sum p,  T = sum t
//	loss = 1 - (2*I + smooth) / max(P + T + smooth, DiceEps)
//
// With perImage false the sums run over every element of the batch (one
// Dice for the whole batch, like segmentation_models_pytorch's DiceLoss in
// binary mode with from_logits=True, except that smp also zeroes the loss of
// a batch without positives; lungo does not). With perImage true dimension 0
// indexes images: each image gets its own Dice over its remaining elements
// and the loss is the mean over images. logits and target share any shape
// ([N, H, W, 1] from the models). smooth >= 0 (1 is a common choice; with 0
// an empty image only scores well when its predictions go to 0).
func SoftDice(logits *Value, target *tensor.Tensor, smooth float64, perImage bool) *Value {
	lossCheckTarget("SoftDice", logits, target)
	if !(smooth >= 0) {
		tensor.Panicf("nn", "SoftDice: smooth %g, want >= 0", smooth)
	}
	x, t := logits.Data.Data, target.Data
	groups := 1
	if perImage {
		if logits.Data.Dim() == 0 {
			tensor.Panicf("nn", "SoftDice: per-image loss needs a batch dimension, got shape []")
		}
		groups = logits.Data.Shape[0]
	}
	size := len(x) / groups
	// Per group: the sums and the clamped denominator.
	inter := make([]float64, groups)
	denom := make([]float64, groups)
	clamped := make([]bool, groups)
	var sum float64
	for g := range groups {
		off := g * size
		sums := lossReduce3(size, func(lo, hi int) (s [3]float64) {
			for k := off + lo; k < off+hi; k++ {
				pk, tk := lossSigmoid(float64(x[k])), float64(t[k])
				s[0] += pk * tk
				s[1] += pk
				s[2] += tk
			}
			return s
		})
		i, p, tt := sums[0], sums[1], sums[2]
		d := p + tt + smooth
		if d < DiceEps {
			d, clamped[g] = DiceEps, true
		}
		inter[g], denom[g] = i, d
		sum += 1 - (2*i+smooth)/d
	}
	out := tensor.Scalar(float32(sum / float64(groups)))
	return NewResult(out, func(o *Value) {
		scale := float64(o.Grad.Data[0]) / float64(groups)
		dx := logits.GradTensor().Data
		for g := range groups {
			d, num := denom[g], 2*inter[g]+smooth
			off := g * size
			kernels.Parallel(size, lossBlock, func(lo, hi int) {
				for k := off + lo; k < off+hi; k++ {
					pk, tk := lossSigmoid(float64(x[k])), float64(t[k])
					// dL/dp = -2t/D + (2I+s)/D^2 (the second term vanishes
					// where the clamp holds D constant).
					dp := -2 * tk / d
					if !clamped[g] {
						dp += num / (d * d)
					}
					dx[k] += float32(scale * dp * pk * (1 - pk))
				}
			})
		}
	}, logits)
}

// lossIsNaN reports whether any element of x is NaN.
func lossIsNaN(x []float32) bool {
	for _, v := range x {
		if math.IsNaN(float64(v)) {
			return true
		}
	}
	return false
}
