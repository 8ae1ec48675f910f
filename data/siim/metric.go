package siim

import (
	"fmt"
	"math"
	"sort"
)

// Dice returns the Dice coefficient 2|P∩T| / (|P|+|T|) of a predicted and
// a true mask, with the competition's convention for empty masks: 1 when
// both are empty, 0 when exactly one is (a false positive on an empty
// image scores 0). It panics if the sizes differ.
func Dice(pred, truth *Mask) float64 {
	pred.mustSameSize("Dice", truth)
	var inter, np, nt int
	for i, p := range pred.Pix {
		t := truth.Pix[i]
		if p != 0 {
			np++
			if t != 0 {
				inter++
			}
		}
		if t != 0 {
			nt++
		}
	}
	return diceCounts(inter, np, nt)
}

func diceCounts(inter, np, nt int) float64 {
	if np+nt == 0 {
		return 1
	}
	return 2 * float64(inter) / float64(np+nt)
}

// Score is the competition metric: the mean over images of Dice(preds[i],
// truths[i]). It panics if the slices differ in length or are empty.
func Score(preds, truths []*Mask) float64 {
	if len(preds) != len(truths) || len(preds) == 0 {
		panicf("Score: %d predictions for %d truths", len(preds), len(truths))
	}
	s := 0.0
	for i := range preds {
		s += Dice(preds[i], truths[i])
	}
	return s / float64(len(preds))
}

// ImageScore is one image's result in an Evaluation.
type ImageScore struct {
	ImageID     string
	Dice        float64
	TruePixels  int  // pixels in the true mask
	PredPixels  int  // pixels in the predicted mask
	Missing     bool // no prediction row: scored as an empty prediction
	Intersected int  // pixels in both
}

// Evaluation is a submission scored against labels.
type Evaluation struct {
	// Score is the competition metric: mean Dice over the labelled images.
	Score  float64
	Images []ImageScore // in label-file order
	// Missing lists labelled images without a prediction (scored as
	// empty); Extra lists predicted images absent from the labels
	// (ignored).
	Missing, Extra []string
	// Classes is the classification view: an image is positive when its
	// mask is non-empty, and its score for the AUC is the predicted area.
	Classes Classification
}

// Evaluate scores a submission against labels, decoding every mask as
// h x w. Images are those of truth; a labelled image without a
// prediction counts as an empty prediction and is listed in Missing.
func Evaluate(truth, pred *Labels, h, w int) (*Evaluation, error) {
	if len(truth.Images) == 0 {
		return nil, fmt.Errorf("siim: evaluate: the labels name no image")
	}
	ev := &Evaluation{Images: make([]ImageScore, 0, len(truth.Images))}
	tm, pm := NewMask(h, w), NewMask(h, w)
	scores := make([]float64, 0, len(truth.Images))
	pos := make([]bool, 0, len(truth.Images))
	sum := 0.0
	for _, tl := range truth.Images {
		if err := tl.MaskInto(tm); err != nil {
			return nil, fmt.Errorf("labels: %w", err)
		}
		is := ImageScore{ImageID: tl.ImageID}
		if pl := pred.Get(tl.ImageID); pl != nil {
			if err := pl.MaskInto(pm); err != nil {
				return nil, fmt.Errorf("submission: %w", err)
			}
		} else {
			clear(pm.Pix)
			is.Missing = true
			ev.Missing = append(ev.Missing, tl.ImageID)
		}
		for i, p := range pm.Pix {
			t := tm.Pix[i]
			if p != 0 {
				is.PredPixels++
				if t != 0 {
					is.Intersected++
				}
			}
			if t != 0 {
				is.TruePixels++
			}
		}
		is.Dice = diceCounts(is.Intersected, is.PredPixels, is.TruePixels)
		sum += is.Dice
		ev.Images = append(ev.Images, is)
		scores = append(scores, float64(is.PredPixels))
		pos = append(pos, is.TruePixels > 0)
	}
	for _, pl := range pred.Images {
		if truth.Get(pl.ImageID) == nil {
			ev.Extra = append(ev.Extra, pl.ImageID)
		}
	}
	ev.Score = sum / float64(len(truth.Images))
	ev.Classes = Classify(scores, pos, 0.5)
	return ev, nil
}

// Classification is the image-level view of segmentation: an image is
// positive when it has pneumothorax. Rates whose denominator is zero are
// NaN, as is AUC when one class is absent.
type Classification struct {
	TP, FP, TN, FN int
	Accuracy       float64 // (TP+TN) / N
	Sensitivity    float64 // TP / (TP+FN), recall of positives
	Specificity    float64 // TN / (TN+FP)
	AUC            float64 // area under the ROC curve of the scores
}

// Classify compares per-image scores with the truth: score > threshold
// predicts positive. The AUC uses the scores themselves (ties count half).
// It panics if the slices differ in length.
func Classify(scores []float64, positive []bool, threshold float64) Classification {
	if len(scores) != len(positive) {
		panicf("Classify: %d scores for %d labels", len(scores), len(positive))
	}
	var c Classification
	for i, s := range scores {
		switch p := s > threshold; {
		case p && positive[i]:
			c.TP++
		case p:
			c.FP++
		case positive[i]:
			c.FN++
		default:
			c.TN++
		}
	}
	c.Accuracy = ratio(c.TP+c.TN, len(scores))
	c.Sensitivity = ratio(c.TP, c.TP+c.FN)
	c.Specificity = ratio(c.TN, c.TN+c.FP)
	c.AUC = AUC(scores, positive)
	return c
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// AUC returns the area under the ROC curve: the probability that a random
// positive scores above a random negative, ties counting one half
// (the Mann-Whitney U statistic over n_pos * n_neg). This is the trapezoidal
// area under the ROC curve with one point per distinct score, as sklearn's
// roc_auc_score and gonum's stat.ROC + integrate.Trapezoidal compute it
// (metric_test.go checks both definitions). NaN when either class is absent
// or a score is NaN.
//
// gonum/stat is not used here: it would bring gonum's mat, lapack, blas and
// optimize packages into every importer of siim for these 30 lines.
func AUC(scores []float64, positive []bool) float64 {
	if len(scores) != len(positive) {
		panicf("AUC: %d scores for %d labels", len(scores), len(positive))
	}
	idx := make([]int, len(scores))
	for i, s := range scores {
		if math.IsNaN(s) {
			return math.NaN()
		}
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	// Sum of the positives' mid-ranks (1-based).
	var rankSum float64
	var npos, nneg int
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // mean of ranks i+1 .. j
		for k := i; k < j; k++ {
			if positive[idx[k]] {
				rankSum += mid
				npos++
			} else {
				nneg++
			}
		}
		i = j
	}
	if npos == 0 || nneg == 0 {
		return math.NaN()
	}
	u := rankSum - float64(npos)*float64(npos+1)/2
	return u / (float64(npos) * float64(nneg))
}
