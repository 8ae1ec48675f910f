package train

import (
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"math"
	"path/filepath"

	"github.com/lungo-ml/lungo/infer"
	"github.com/lungo-ml/lungo/internal/atomicfile"
	"github.com/lungo-ml/lungo/internal/chart"
)

// EpochInfo is one epoch's record, also written to metrics.jsonl.
type EpochInfo struct {
	Epoch     int     `json:"epoch"`
	TrainLoss float64 `json:"train_loss"`
	// ValDice is the competition mean Dice at threshold 0.5; NaN without
	// validation (null in JSON).
	ValDice float64 `json:"val_dice"`
	// ValDicePost is the competition mean Dice after the triplet
	// post-processing that scores best on the validation images among
	// infer.DefaultTripletGrid, ValTriplet: the search the pipeline runs
	// after training, so it is tuned on the images it scores. NaN without
	// validation.
	ValDicePost  float64        `json:"val_dice_post"`
	ValTriplet   *infer.Triplet `json:"val_triplet,omitempty"`
	LR           float64        `json:"lr"`
	Seconds      float64        `json:"seconds"`
	ImagesPerSec float64        `json:"images_per_sec"`
	Best         bool           `json:"best"`
}

// MarshalJSON writes NaN as null, which JSON cannot hold otherwise.
func (e EpochInfo) MarshalJSON() ([]byte, error) {
	type plain EpochInfo
	return json.Marshal(struct {
		plain
		ValDice     *float64 `json:"val_dice"`
		ValDicePost *float64 `json:"val_dice_post"`
	}{plain(e), finite(e.ValDice), finite(e.ValDicePost)})
}

// UnmarshalJSON reads null scores back as NaN.
func (e *EpochInfo) UnmarshalJSON(b []byte) error {
	type plain EpochInfo
	var v struct {
		plain
		ValDice     *float64 `json:"val_dice"`
		ValDicePost *float64 `json:"val_dice_post"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*e = EpochInfo(v.plain)
	e.ValDice, e.ValDicePost = orNaN(v.ValDice), orNaN(v.ValDicePost)
	return nil
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// validate scores the model on the validation items, when the job has
// them: Dice at 0.5 and after the best triplet of the default grid.
func (f *fitter) validate(ctx context.Context, info *EpochInfo) error {
	job := f.job
	if job.Val == nil || len(job.ValIdx) == 0 {
		return nil
	}
	// Predict keeps its activation buffers between calls: hand them to the
	// collector before training resumes, so that the next epoch's arena
	// reuses that memory instead of adding to it.
	defer job.Model.ReleaseInferenceMemory()
	ev, err := infer.Evaluate(ctx, infer.Predictor{Model: job.Model}, job.Val, info.Epoch, job.ValIdx)
	if err != nil {
		return fmt.Errorf("train: validation after epoch %d: %w", info.Epoch, err)
	}
	info.ValDice = ev.Dice(0.5)
	tr, score := infer.SearchTriplet(ev.Probs, ev.Truths, infer.DefaultTripletGrid(ev.Size))
	info.ValDicePost, info.ValTriplet = score, &tr
	return nil
}

// writeMetrics rewrites metrics.jsonl and curves.png from the history.
func (f *fitter) writeMetrics() error {
	dir := f.cfg.Dir
	err := writeAtomic(filepath.Join(dir, MetricsFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, e := range f.st.History {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	img, err := chart.Render(curves(f.st.History, f.st.BestEpoch), curvesWidth, curvesHeight)
	if err != nil {
		return fmt.Errorf("train: drawing %s: %w", CurvesFile, err)
	}
	return writeAtomic(filepath.Join(dir, CurvesFile), func(w io.Writer) error { return png.Encode(w, img) })
}

// Size of each panel of curves.png, in pixels.
const curvesWidth, curvesHeight = 560, 360

var (
	colorLoss     = color.RGBA{200, 50, 40, 255}
	colorDice     = color.RGBA{30, 80, 200, 255}
	colorDicePost = color.RGBA{20, 150, 90, 255}
)

// curves returns the panels of curves.png: the training loss and, when the
// run validates, the validation Dice at 0.5 and after post-processing, by
// epoch, with the best epoch marked.
func curves(history []EpochInfo, best int) []chart.Panel {
	var ep, loss, dice, post []float64
	validated := false
	for _, e := range history {
		ep = append(ep, float64(e.Epoch))
		loss = append(loss, e.TrainLoss)
		dice = append(dice, e.ValDice)
		post = append(post, e.ValDicePost)
		validated = validated || !math.IsNaN(e.ValDice)
	}
	mark, label := math.NaN(), ""
	if best > 0 {
		mark, label = float64(best), fmt.Sprintf("best: epoch %d", best)
	}
	panels := []chart.Panel{{
		Title: "training loss", XLabel: "epoch", YLabel: "loss", MarkX: mark, MarkLabel: label,
		Series: []chart.Series{{Name: "train loss", Color: colorLoss, X: ep, Y: loss}},
	}}
	if validated {
		panels = append(panels, chart.Panel{
			Title: "validation Dice", XLabel: "epoch", YLabel: "mean Dice", MarkX: mark, MarkLabel: label,
			Series: []chart.Series{
				{Name: "threshold 0.5", Color: colorDice, X: ep, Y: dice},
				{Name: "post-processed", Color: colorDicePost, X: ep, Y: post, Dashed: true},
			},
		})
	}
	return panels
}

// writeAtomic writes path through a temporary file in the same directory,
// synced and renamed over path (package atomicfile).
func writeAtomic(path string, write func(w io.Writer) error) error {
	if err := atomicfile.Write(path, write); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}
