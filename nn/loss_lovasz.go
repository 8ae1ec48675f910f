package nn

import (
	"math"
	"slices"

	"github.com/lungo-ml/lungo/kernels"
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
	// Images are independent: sort them in parallel, add in order.
	items := make([]lovaszItem, len(x))
	grad := make([]float64, len(x))
	losses := make([]float64, groups)
	kernels.Parallel(groups, 1, func(lo, hi int) {
		for g := lo; g < hi; g++ {
			a, b := g*size, (g+1)*size
			losses[g] = lovaszFlat(x[a:b], t[a:b], items[a:b], grad[a:b], coef[a:b])
		}
	})
	var sum float64
	for _, l := range losses {
		sum += l
	}
	if lossIsNaN(x) {
		sum = math.NaN()
	}
	out := tensor.Scalar(float32(sum / float64(groups)))
	return NewResult(out, func(o *Value) {
		scale := float64(o.Grad.Data[0]) / float64(groups)
		dx := logits.GradTensor().Data
		kernels.Parallel(len(dx), lossBlock, func(lo, hi int) {
			for k := lo; k < hi; k++ {
				dx[k] += float32(scale * coef[k])
			}
		})
	}, logits)
}

// lovaszItem is one element's hinge error and index, sorted together so
// that the sort touches contiguous memory.
type lovaszItem struct {
	err float64
	idx int
}

// lovaszFlat returns the Lovász hinge of one flat group and writes d loss/d x
// into coef. items and grad are scratch of len(x).
func lovaszFlat(x, t []float32, items []lovaszItem, grad, coef []float64) float64 {
	for k := range x {
		items[k] = lovaszItem{1 - float64(x[k])*(2*float64(t[k])-1), k}
	}
	// Descending by error; ties in index order (deterministic). NaN errors
	// leave the order arbitrary, but then the loss is NaN anyway.
	slices.SortFunc(items, func(a, b lovaszItem) int {
		switch {
		case a.err > b.err:
			return -1
		case a.err < b.err:
			return 1
		}
		return a.idx - b.idx
	})
	// lovasz_grad: jaccard_i = 1 - (gts - cumsum(gt)_i) / (gts + cumsum(1-gt)_i),
	// grad = jaccard with grad[1:] = jaccard[1:] - jaccard[:-1].
	var gts float64
	for _, v := range t {
		gts += float64(v)
	}
	var cumGT, cumNeg, prev float64
	for i, it := range items {
		tk := float64(t[it.idx])
		cumGT += tk
		cumNeg += 1 - tk
		j := 1 - (gts-cumGT)/(gts+cumNeg)
		grad[i] = j - prev
		prev = j
	}
	var loss float64
	for i, it := range items {
		k := it.idx
		coef[k] = 0
		if it.err > 0 {
			loss += it.err * grad[i]
			coef[k] = -(2*float64(t[k]) - 1) * grad[i]
		}
	}
	return loss
}
