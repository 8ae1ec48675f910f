package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/optim"
	"github.com/lungo-ml/lungo/tensor"
)

// Schedule is a learning-rate schedule Fit steps and checkpoints
// (optim.StepLR, optim.WarmupCosine).
type Schedule interface {
	Step()
	State() *optim.State
	LoadState(*optim.State) error
}

// LossFunc maps the model's outputs (mask logits [N, Classes, H, W], class
// logits [N, K] or nil) and the batch to a scalar loss.
type LossFunc func(mask, class *nn.Value, b *siim.Batch) *nn.Value

// Job is what Fit trains: a model, its loss and optimizer, optional
// schedules, and the loaders with the items of each split.
type Job struct {
	Model *unet.Model
	Loss  LossFunc // nil: DefaultLoss
	Opt   optim.Optimizer

	StepSchedule  Schedule                 // stepped after every optimizer step; may be nil
	EpochSchedule Schedule                 // stepped after every epoch; may be nil
	Plateau       *optim.ReduceLROnPlateau // stepped with the validation Dice (mode max); may be nil

	Train    *siim.Loader // with augmentation
	TrainIdx []int        // source items to train on
	TrainPos []bool       // whether each TrainIdx item is positive (for PositiveFraction)
	Val      *siim.Loader // without augmentation; may be nil (no validation)
	ValIdx   []int
}

// Config sets how Fit trains. Zero values take the defaults noted.
type Config struct {
	Dir        string  // run folder for checkpoints, metrics.jsonl and curves.png (required)
	Epochs     int     // default 1
	AccumSteps int     // batches per optimizer step (gradient accumulation); default 1
	ClipNorm   float64 // clip the gradients' global norm to this; 0: off
	EMADecay   float64 // keep an exponential moving average of the weights and validate it; 0: off
	TopK       int     // average the weights of the best TopK epochs at the end; <= 1: off
	Patience   int     // stop after this many epochs without a better validation Dice; 0: off
	Seed       uint64  // sampler and dropout seed
	Resume     bool    // continue from Dir/last.state if it exists

	// PositiveFraction, if set, resamples each epoch to this fraction of
	// positive images (SamplesPerEpoch images; default len(TrainIdx)).
	// Without it each epoch is a permutation of TrainIdx.
	PositiveFraction func(epoch int) float64
	SamplesPerEpoch  int

	Log      io.Writer // one line per epoch; nil: no log
	Progress bool      // redraw a progress bar on Log during each epoch

	AfterStep  func(StepInfo) error  // called after every optimizer step; an error stops Fit
	AfterEpoch func(EpochInfo) error // called after every epoch's validation; an error stops Fit
}

// StepInfo describes one optimizer step.
type StepInfo struct {
	Epoch, Step, Steps int // Step counts optimizer steps within the epoch, from 1
	Loss               float64
	LR                 float64
}

// Result summarises a run.
type Result struct {
	History   []EpochInfo
	BestEpoch int
	BestDice  float64
	// Model is the checkpoint to predict with: the TopK average when TopK
	// > 1, else the best epoch (the last one without validation).
	Model string
	// Stopped says why training ended: "completed", "early stop".
	Stopped string
}

// DefaultLoss is BCE-with-logits plus soft Dice on the mask, plus BCE on the
// classification head's logits against the image labels when there is one.
func DefaultLoss(mask, class *nn.Value, b *siim.Batch) *nn.Value {
	terms := []nn.WeightedLoss{
		{Weight: 1, Loss: nn.BCEWithLogits(mask, b.Masks, nil)},
		{Weight: 1, Loss: nn.SoftDice(mask, b.Masks, 1, false)},
	}
	if class != nil {
		labels := b.Labels.Reshape(class.Data.Shape...)
		terms = append(terms, nn.WeightedLoss{Weight: 0.5, Loss: nn.BCEWithLogits(class, labels, nil)})
	}
	return nn.Combine(terms...)
}

// NonFiniteLossError reports a NaN or infinite loss. Training stops without
// writing anything, so the run folder keeps the last good checkpoint.
type NonFiniteLossError struct {
	Epoch, Batch int
	Loss         float64
	IDs          []string
}

func (e *NonFiniteLossError) Error() string {
	return fmt.Sprintf("train: loss is %v at epoch %d, batch %d (images %v); the last good checkpoint is kept", e.Loss, e.Epoch, e.Batch, e.IDs)
}

// Fit trains job.Model as cfg says. Every epoch ends with validation (when
// job.Val is set), a line in metrics.jsonl, the curves, the epoch's
// checkpoint files and Dir/last.state, all written atomically. When ctx is
// cancelled Fit saves the state after the last whole optimizer step and
// returns an error wrapping ctx.Err(); Fit with Resume then continues exactly
// where it stopped: same batches, same optimizer and schedule state, same
// weights as an uninterrupted run.
func Fit(ctx context.Context, job *Job, cfg Config) (*Result, error) {
	if cfg.Dir == "" {
		return nil, errors.New("train: Config.Dir is empty: say where the run folder goes")
	}
	if job.Model == nil || job.Opt == nil || job.Train == nil {
		return nil, errors.New("train: Job needs a Model, an Opt and a Train loader")
	}
	if len(job.TrainIdx) == 0 {
		return nil, errors.New("train: no training images")
	}
	if cfg.PositiveFraction != nil && len(job.TrainPos) != len(job.TrainIdx) {
		return nil, fmt.Errorf("train: TrainPos has %d entries for %d training items", len(job.TrainPos), len(job.TrainIdx))
	}
	if cfg.Epochs <= 0 {
		cfg.Epochs = 1
	}
	if cfg.AccumSteps <= 0 {
		cfg.AccumSteps = 1
	}
	if job.Loss == nil {
		job.Loss = DefaultLoss
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	f := &fitter{job: job, cfg: cfg, params: nn.Parameters(job.Model)}
	if cfg.EMADecay > 0 {
		f.ema = NewEMA(job.Model, cfg.EMADecay)
	}
	f.st.Epoch = 1
	if cfg.Resume {
		if err := f.load(); err != nil {
			return nil, err
		}
	}
	return f.run(ctx)
}

type fitter struct {
	job    *Job
	cfg    Config
	params []*nn.Value
	ema    *EMA
	st     runState
}

func (f *fitter) logf(format string, args ...any) {
	if f.cfg.Log != nil {
		fmt.Fprintf(f.cfg.Log, format, args...)
	}
}

// order returns the item indices of an epoch.
func (f *fitter) order(epoch int) []int {
	job := f.job
	var sel []int
	if f.cfg.PositiveFraction != nil {
		s := siim.Sampler{Positive: job.TrainPos, Seed: f.cfg.Seed}
		sel = s.Epoch(epoch, f.cfg.PositiveFraction(epoch), f.cfg.SamplesPerEpoch)
	} else {
		s := siim.Sampler{Positive: make([]bool, len(job.TrainIdx)), Seed: f.cfg.Seed}
		sel = s.Epoch(epoch, -1, 0)
	}
	out := make([]int, len(sel))
	for i, k := range sel {
		out[i] = job.TrainIdx[k]
	}
	return out
}

func (f *fitter) run(ctx context.Context) (*Result, error) {
	res := &Result{Stopped: "completed"}
	for f.st.Epoch <= f.cfg.Epochs {
		info, err := f.epoch(ctx)
		if err != nil {
			return nil, err
		}
		if f.cfg.AfterEpoch != nil {
			if err := f.cfg.AfterEpoch(info); err != nil {
				return nil, fmt.Errorf("train: AfterEpoch at epoch %d: %w", info.Epoch, err)
			}
		}
		if f.cfg.Patience > 0 && f.st.Since >= f.cfg.Patience {
			res.Stopped = "early stop"
			f.logf("early stop: no better validation Dice for %d epochs\n", f.st.Since)
			break
		}
	}
	final, err := f.finish()
	if err != nil {
		return nil, err
	}
	res.History = f.st.History
	res.BestEpoch, res.BestDice = f.st.BestEpoch, f.st.BestDice
	res.Model = final
	return res, nil
}

// epoch trains and validates f.st.Epoch, from batch f.st.Batch on.
func (f *fitter) epoch(ctx context.Context) (EpochInfo, error) {
	job, cfg, st := f.job, f.cfg, &f.st
	epoch := st.Epoch
	order := f.order(epoch)
	bs := 0
	nBatches := 0
	start := time.Now()
	images := 0
	job.Model.SetTraining(true)

	// The step's own pass: activations from an arena reused every batch.
	arena := nn.NewArena()
	ex := nn.NewExec(nil, arena, true)

	done := st.Batch // batches already done (resume)
	pending := 0     // batches accumulated since the last optimizer step
	var pendingLoss float64
	// step applies the accumulated gradients after batch bi.
	step := func(bi int) error {
		if err := kernels.Acquire(ctx); err != nil {
			return f.interrupted(ctx)
		}
		if cfg.ClipNorm > 0 {
			optim.ClipGradNorm(f.params, cfg.ClipNorm)
		}
		job.Opt.Step()
		job.Opt.ZeroGrad()
		kernels.Release()
		if f.ema != nil {
			f.ema.Update()
		}
		if job.StepSchedule != nil {
			job.StepSchedule.Step()
		}
		st.Steps++
		st.Batch = bi + 1
		st.LossSum += pendingLoss
		st.LossN += pending
		if cfg.AfterStep != nil {
			err := cfg.AfterStep(StepInfo{Epoch: epoch, Step: (bi + cfg.AccumSteps) / cfg.AccumSteps,
				Steps: (nBatches + cfg.AccumSteps - 1) / cfg.AccumSteps, Loss: pendingLoss / float64(pending), LR: job.Opt.LR()})
			if err != nil {
				return fmt.Errorf("train: AfterStep at epoch %d: %w", epoch, err)
			}
		}
		pending, pendingLoss = 0, 0
		if cfg.Progress {
			f.progress(epoch, bi+1, nBatches, st.LossSum/float64(st.LossN), images, time.Since(start))
		}
		return nil
	}
	job.Opt.ZeroGrad()
	bi := -1
	for b, err := range job.Train.Batches(ctx, epoch, order) {
		if err != nil {
			if ctx.Err() != nil {
				return EpochInfo{}, f.interrupted(ctx)
			}
			return EpochInfo{}, fmt.Errorf("train: epoch %d: %w", epoch, err)
		}
		bi++
		if bs == 0 {
			bs = b.Images.Shape[0]
			nBatches = (len(order) + bs - 1) / bs
		}
		if bi < done {
			continue // resumed mid-epoch: these batches were trained before
		}
		if n, h, w := b.Images.Shape[0], b.Images.Shape[2], b.Images.Shape[3]; n == 1 && (h+31)/32*((w+31)/32) == 1 {
			// Skipped images left one image whose deepest features are
			// 1x1: batch norm cannot train on a single value per channel.
			f.logf("epoch %d: skipping batch %d: one image of %dx%d is too little for batch norm\n", epoch, bi, h, w)
			continue
		}
		if job.Model.ClassDropout != nil {
			job.Model.ClassDropout.RNG = tensor.NewRNG(mix(cfg.Seed, uint64(epoch), uint64(bi)))
		}
		// A compute slot for the batch (see kernels.Acquire): training
		// shares the cores fairly with predictions in other goroutines.
		if err := kernels.Acquire(ctx); err != nil {
			return EpochInfo{}, f.interrupted(ctx)
		}
		mask, class := job.Model.Forward(ex.Input(b.Images))
		loss := job.Loss(mask, class, b)
		lv := float64(loss.Item())
		if math.IsNaN(lv) || math.IsInf(lv, 0) {
			arena.Release()
			kernels.Release()
			return EpochInfo{}, &NonFiniteLossError{Epoch: epoch, Batch: bi, Loss: lv, IDs: b.IDs}
		}
		if cfg.AccumSteps > 1 {
			loss = nn.Scale(loss, 1/float32(cfg.AccumSteps))
		}
		loss.Backward()
		arena.Release()
		kernels.Release()
		pending++
		pendingLoss += lv
		images += b.Images.Shape[0]
		if pending < cfg.AccumSteps {
			continue
		}
		if err := step(bi); err != nil {
			return EpochInfo{}, err
		}
		if ctx.Err() != nil {
			return EpochInfo{}, f.interrupted(ctx)
		}
	}
	if ctx.Err() != nil {
		return EpochInfo{}, f.interrupted(ctx)
	}
	if pending > 0 { // a last, partial accumulation (or skipped batches)
		if err := step(bi); err != nil {
			return EpochInfo{}, err
		}
	}
	if cfg.Progress {
		f.logf("\n")
	}
	secs := time.Since(start).Seconds()
	info := EpochInfo{Epoch: epoch, TrainLoss: st.LossSum / math.Max(1, float64(st.LossN)), LR: job.Opt.LR(),
		Seconds: secs, ImagesPerSec: float64(images) / secs, ValDice: math.NaN(), ValDicePost: math.NaN()}

	if err := f.endEpoch(ctx, &info); err != nil {
		if ctx.Err() != nil {
			// Saved only now, when endEpoch has swapped the live weights
			// back in place of the EMA ones.
			return EpochInfo{}, f.interrupted(ctx)
		}
		return EpochInfo{}, err
	}
	st.History = append(st.History, info)
	f.logf("epoch %d/%d  loss %.4f  val dice %.4f (post-processed %.4f)  lr %.3g  %.1f img/s  %.0fs%s\n", epoch, cfg.Epochs,
		info.TrainLoss, info.ValDice, info.ValDicePost, info.LR, info.ImagesPerSec, secs, map[bool]string{true: "  (best)"}[info.Best])
	st.Epoch++
	st.Batch, st.LossSum, st.LossN = 0, 0, 0
	if err := f.save(); err != nil {
		return EpochInfo{}, err
	}
	if err := f.writeMetrics(); err != nil {
		return EpochInfo{}, err
	}
	return info, nil
}

// endEpoch validates the epoch, steps the epoch-level schedules and keeps
// the best and top-k checkpoints, all with the EMA weights when EMA is on.
func (f *fitter) endEpoch(ctx context.Context, info *EpochInfo) error {
	job := f.job
	if f.ema != nil {
		f.ema.Swap()
		defer f.ema.Swap()
	}
	if err := f.validate(ctx, info); err != nil {
		return err
	}
	if job.Plateau != nil && !math.IsNaN(info.ValDice) {
		job.Plateau.Step(info.ValDice)
	}
	if job.EpochSchedule != nil {
		job.EpochSchedule.Step()
	}
	return f.keepCheckpoints(info)
}

func (f *fitter) progress(epoch, done, total int, loss float64, images int, el time.Duration) {
	const width = 30
	fill := width * done / max(total, 1)
	bar := make([]byte, width)
	for i := range bar {
		switch {
		case i < fill:
			bar[i] = '='
		case i == fill:
			bar[i] = '>'
		default:
			bar[i] = ' '
		}
	}
	rate := float64(images) / el.Seconds()
	eta := time.Duration(float64(el) / float64(done) * float64(total-done)).Round(time.Second)
	f.logf("\repoch %d [%s] %d/%d  loss %.4f  %.1f img/s  ETA %v   ", epoch, bar, done, total, loss, rate, eta)
}

// mix hashes seeds into one (splitmix64 steps).
func mix(vals ...uint64) uint64 {
	h := uint64(0x243f6a8885a308d3)
	for _, v := range vals {
		h ^= v + 0x9e3779b97f4a7c15 + h<<6 + h>>2
		h ^= h >> 30
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 27
		h *= 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}
