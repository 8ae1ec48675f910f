package infer

import (
	"context"
	"fmt"

	"github.com/lungo-ml/lungo/data/siim"
)

// Eval holds a model's predictions on labelled images: per image its ID,
// quantised mask probabilities (see Quantize), the true mask at the same
// size and, with a classification head, the class probability.
type Eval struct {
	IDs    []string
	Size   int
	Probs  [][]uint8
	Truths [][]uint8
	Class  []float32 // nil without a classification head
}

// Evaluate predicts the items idx of loader's source (which should not
// augment) and collects an Eval. The model's mode is left unchanged. It
// gives up with ctx's error when ctx is done.
func Evaluate(ctx context.Context, p Predictor, loader *siim.Loader, epoch int, idx []int) (*Eval, error) {
	ev := &Eval{}
	for b, err := range loader.Batches(ctx, epoch, idx) {
		if err != nil {
			return nil, err
		}
		mask, class, err := p.PredictContext(ctx, b.Images)
		if err != nil {
			return nil, err
		}
		n, s := mask.Shape[0], mask.Shape[2]
		if mask.Shape[1] != 1 {
			return nil, fmt.Errorf("infer: Evaluate handles one mask class, the model has %d", mask.Shape[1])
		}
		ev.Size = s
		for i := 0; i < n; i++ {
			q := make([]uint8, s*s)
			Quantize(q, mask.Data[i*s*s:(i+1)*s*s])
			t := make([]uint8, s*s)
			for j, v := range b.Masks.Data[i*s*s : (i+1)*s*s] {
				if v > 0.5 {
					t[j] = 1
				}
			}
			ev.IDs = append(ev.IDs, b.IDs[i])
			ev.Probs = append(ev.Probs, q)
			ev.Truths = append(ev.Truths, t)
			if class != nil {
				ev.Class = append(ev.Class, class.Data[i*class.Shape[1]])
			}
		}
	}
	return ev, nil
}

// Dice returns the competition score (mean per-image Dice, 1 for empty
// against empty) of the masks thresholded at t.
func (ev *Eval) Dice(t float32) float64 {
	return ev.Score(Triplet{Top: t, Bottom: t})
}

// Score returns the competition score with the triplet post-processing.
func (ev *Eval) Score(tr Triplet) float64 {
	_, s := SearchTriplet(ev.Probs, ev.Truths, TripletGrid{Tops: []float32{tr.Top}, Bottoms: []float32{tr.Bottom}, MinAreas: []int{tr.MinArea}})
	return s
}

// PositiveDice returns the mean Dice over the images whose truth is not
// empty, with the triplet post-processing.
func (ev *Eval) PositiveDice(tr Triplet) float64 {
	var probs, truths [][]uint8
	for i, t := range ev.Truths {
		for _, v := range t {
			if v != 0 {
				probs, truths = append(probs, ev.Probs[i]), append(truths, t)
				break
			}
		}
	}
	if len(probs) == 0 {
		return 0
	}
	_, s := SearchTriplet(probs, truths, TripletGrid{Tops: []float32{tr.Top}, Bottoms: []float32{tr.Bottom}, MinAreas: []int{tr.MinArea}})
	return s
}

// Masks applies the triplet to every image and returns the binary masks.
func (ev *Eval) Masks(tr Triplet) []*siim.Mask {
	out := make([]*siim.Mask, len(ev.Probs))
	p := make([]float32, ev.Size*ev.Size)
	for i, q := range ev.Probs {
		for j, v := range q {
			p[j] = float32(v) / 255
		}
		m := siim.NewMask(ev.Size, ev.Size)
		tr.Apply(m.Pix, p)
		out[i] = m
	}
	return out
}
