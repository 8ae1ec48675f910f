package nn

import (
	"cmp"
	"math"
	"slices"

	"github.com/lungo-ml/lungo/tensor"
)

// LovaszHinge is the Lovász hinge loss of Berman, Rannen Triki and Blaschko
// (CVPR 2018), a convex surrogate of the Jaccard (IoU) loss, following their
// reference lovasz_hinge(logits, labels, per_image) without an ignore label:
//
//	signs = 2*t - 1, errors = 1 - x*signs
//	sort errors descending (labels permuted alike)
//	g = lovasz_grad(sorted labels)   (the Jaccard loss increments)
//	loss = dot(relu(sorted errors), g)
//
// With perImage true dimension 0 indexes images and the loss is the mean of
// the per-image losses; otherwise one loss is computed over all elements.
// Labels must be 0 or 1. The gradient is the reference's: g_i * -sign_i for
// elements with a positive error, 0 elsewhere (ties in the sort may order
// equal errors differently from torch.sort; the loss value does not depend on
// it). A NaN logit makes the loss NaN.
func LovaszHinge(logits *Value, target *tensor.Tensor, perImage bool) *Value {
	lossCheckTarget("LovaszHinge", logits, target)
	x, t := logits.Data.Data, target.Data
	groups := 1
	if perImage {
		if logits.Data.Dim() == 0 {
			tensor.Panicf("nn", "LovaszHinge: per-image loss needs a batch dimension, got shape []")
		}
		groups = logits.Data.Shape[0]
	}
	size := len(x) / groups
	// coef[k] is d loss_group / d x_k, kept for the backward pass.
	coef := make([]float64, len(x))
	perm := make([]int, size)
	grad := make([]float64, size)
	var sum float64
	for g := range groups {
		off := g * size
		sum += lovaszFlat(x[off:off+size], t[off:off+size], perm, grad, coef[off:off+size])
	}
	if lossIsNaN(x) {
		sum = math.NaN()
	}
	out := tensor.Scalar(float32(sum / float64(groups)))
	return NewResult(out, func(o *Value) {
		scale := float64(o.Grad.Data[0]) / float64(groups)
		dx := logits.GradTensor().Data
		for k, c := range coef {
			dx[k] += float32(scale * c)
		}
	}, logits)
}

// lovaszFlat returns the Lovász hinge of one flat group and writes d loss/d x
// into coef. perm and grad are scratch of len(x).
func lovaszFlat(x, t []float32, perm []int, grad, coef []float64) float64 {
	n := len(x)
	errs := make([]float64, n)
	for k := range x {
		errs[k] = 1 - float64(x[k])*(2*float64(t[k])-1)
		perm[k] = k
	}
	// Descending by error; stable so ties keep index order.
	slices.SortStableFunc(perm, func(a, b int) int { return cmp.Compare(errs[b], errs[a]) })
	// lovasz_grad: jaccard_i = 1 - (gts - cumsum(gt)_i) / (gts + cumsum(1-gt)_i),
	// grad = jaccard with grad[1:] = jaccard[1:] - jaccard[:-1].
	var gts float64
	for _, v := range t {
		gts += float64(v)
	}
	var cumGT, cumNeg, prev float64
	for i, k := range perm {
		cumGT += float64(t[k])
		cumNeg += 1 - float64(t[k])
		j := 1 - (gts-cumGT)/(gts+cumNeg)
		grad[i] = j - prev
		prev = j
	}
	var loss float64
	for i, k := range perm {
		e := errs[k]
		coef[k] = 0
		if e > 0 {
			loss += e * grad[i]
			coef[k] = -(2*float64(t[k]) - 1) * grad[i]
		}
	}
	return loss
}
