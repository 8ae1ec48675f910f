package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/optim"
	"github.com/lungo-ml/lungo/tensor"
)

// Files in the run folder.
const (
	StateFile   = "last.state"    // everything needed to resume
	BestFile    = "best.lungo"    // weights of the best validation epoch
	FinalFile   = "final.lungo"   // the model Result.Model names
	MetricsFile = "metrics.jsonl" // one EpochInfo per line
	CurvesFile  = "curves.png"    // training loss and validation Dice
)

// runState is what last.state holds besides tensors.
type runState struct {
	Epoch     int         `json:"epoch"`      // epoch in progress (1-based)
	Batch     int         `json:"batch"`      // batches of Epoch already done
	Steps     int         `json:"steps"`      // optimizer steps so far (all epochs)
	LossSum   float64     `json:"loss_sum"`   // Epoch's running loss sum ...
	LossN     int         `json:"loss_n"`     // ... over this many batches
	History   []EpochInfo `json:"history"`    // finished epochs
	BestEpoch int         `json:"best_epoch"` // 0: none yet
	BestDice  float64     `json:"best_dice"`
	TopK      []topEntry  `json:"top_k"` // best epochs, best first
	Since     int         `json:"since"` // epochs since the best (early stopping)
}

type topEntry struct {
	Epoch int     `json:"epoch"`
	Dice  float64 `json:"dice"`
}

// keepCheckpoints ranks the epoch by its validation Dice (by its training
// loss without validation) and saves the model as BestFile when it is the
// best so far and as a top-k file when it ranks among the best TopK.
func (f *fitter) keepCheckpoints(info *EpochInfo) error {
	st := &f.st
	score := info.ValDice
	if math.IsNaN(score) {
		score = -info.TrainLoss // without validation, rank epochs by training loss
	}
	if st.BestEpoch == 0 || score > st.BestDice {
		st.BestDice, st.BestEpoch, st.Since = score, info.Epoch, 0
		info.Best = true
		err := f.job.Model.SaveCheckpoint(filepath.Join(f.cfg.Dir, BestFile), map[string]string{"epoch": strconv.Itoa(info.Epoch)})
		if err != nil {
			return fmt.Errorf("train: %w", err)
		}
	} else {
		st.Since++
	}
	return f.keepTopK(info.Epoch, score)
}

// keepTopK saves the epoch's weights if they rank among the best TopK and
// removes the file of an epoch that falls out.
func (f *fitter) keepTopK(epoch int, score float64) error {
	if f.cfg.TopK <= 1 {
		return nil
	}
	st := &f.st
	st.TopK = append(st.TopK, topEntry{Epoch: epoch, Dice: score})
	sort.SliceStable(st.TopK, func(i, j int) bool { return st.TopK[i].Dice > st.TopK[j].Dice })
	keep := true
	if len(st.TopK) > f.cfg.TopK {
		out := st.TopK[f.cfg.TopK]
		st.TopK = st.TopK[:f.cfg.TopK]
		if out.Epoch == epoch {
			keep = false
		} else {
			os.Remove(filepath.Join(f.cfg.Dir, epochFile(out.Epoch)))
		}
	}
	if !keep {
		return nil
	}
	return f.job.Model.SaveCheckpoint(filepath.Join(f.cfg.Dir, epochFile(epoch)), map[string]string{"epoch": strconv.Itoa(epoch)})
}

func epochFile(epoch int) string { return fmt.Sprintf("epoch-%03d.lungo", epoch) }

// finish writes FinalFile: the average of the top-k epochs, or the best.
func (f *fitter) finish() (string, error) {
	dir := f.cfg.Dir
	final := filepath.Join(dir, FinalFile)
	if f.cfg.TopK > 1 && len(f.st.TopK) > 1 {
		var paths []string
		for _, e := range f.st.TopK {
			paths = append(paths, filepath.Join(dir, epochFile(e.Epoch)))
		}
		avg, err := AverageCheckpoints(paths)
		if err != nil {
			return "", err
		}
		// Load into a twin of the model so the caller's weights stay the
		// last epoch's, then save with the model's config.
		twin, err := unet.New(f.job.Model.Config, tensor.NewRNG(0))
		if err != nil {
			return "", err
		}
		if err := twin.LoadStateDict(avg); err != nil {
			return "", fmt.Errorf("train: averaged checkpoint: %w", err)
		}
		return final, twin.SaveCheckpoint(final, map[string]string{"averaged_epochs": fmt.Sprint(f.topEpochs())})
	}
	best := filepath.Join(dir, BestFile)
	sd, meta, err := nn.LoadSafetensors(best)
	if err != nil {
		return "", fmt.Errorf("train: reading %s: %w", best, err)
	}
	return final, nn.SaveSafetensors(final, sd, meta)
}

func (f *fitter) topEpochs() []int {
	var e []int
	for _, t := range f.st.TopK {
		e = append(e, t.Epoch)
	}
	return e
}

func (f *fitter) interrupted(ctx context.Context) error {
	if f.cfg.Progress {
		f.logf("\n")
	}
	if err := f.save(); err != nil {
		return fmt.Errorf("train: cancelled, and saving the state failed: %w", err)
	}
	return fmt.Errorf("train: stopped in epoch %d after %d batches; state saved to %s, continue with Resume: %w",
		f.st.Epoch, f.st.Batch, filepath.Join(f.cfg.Dir, StateFile), context.Cause(ctx))
}

// save writes last.state atomically: the model's state dict under "model.",
// the optimizer and schedules under their prefixes, the EMA under "ema.",
// and runState as JSON metadata.
func (f *fitter) save() error {
	job := f.job
	sd := nn.NewStateDict()
	msd := nn.StateDictOf(job.Model)
	for _, k := range msd.Keys {
		sd.Set("model."+k, msd.Tensors[k], msd.Int64[k])
	}
	meta := map[string]string{}
	job.Opt.State().Encode("opt.", sd, meta)
	if job.StepSchedule != nil {
		job.StepSchedule.State().Encode("sched_step.", sd, meta)
	}
	if job.EpochSchedule != nil {
		job.EpochSchedule.State().Encode("sched_epoch.", sd, meta)
	}
	if job.Plateau != nil {
		job.Plateau.State().Encode("plateau.", sd, meta)
	}
	if f.ema != nil {
		for i, t := range f.ema.Shadow() {
			sd.Set("ema."+strconv.Itoa(i), t, false)
		}
	}
	js, err := json.Marshal(f.st)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	meta["lungo.train_state"] = string(js)
	meta["lungo.config"] = job.Model.Config.MarshalConfig()
	if err := nn.SaveSafetensors(filepath.Join(f.cfg.Dir, StateFile), sd, meta); err != nil {
		return fmt.Errorf("train: saving state: %w", err)
	}
	return nil
}

// load restores last.state if present.
func (f *fitter) load() error {
	job := f.job
	path := filepath.Join(f.cfg.Dir, StateFile)
	sd, meta, err := nn.LoadSafetensors(path)
	if errors.Is(err, os.ErrNotExist) {
		f.logf("no %s to resume from: starting afresh\n", path)
		return nil
	}
	if err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	if c := meta["lungo.config"]; c != job.Model.Config.MarshalConfig() {
		return fmt.Errorf("train: resume: %s was written for model %s, this run builds %s", path, c, job.Model.Config.MarshalConfig())
	}
	msd := nn.NewStateDict()
	for _, k := range sd.Keys {
		if len(k) > 6 && k[:6] == "model." {
			msd.Set(k[6:], sd.Tensors[k], sd.Int64[k])
		}
	}
	if err := nn.LoadStateDict(job.Model, msd, true); err != nil {
		return fmt.Errorf("train: resume from %s: %w", path, err)
	}
	type stateful interface{ LoadState(*optim.State) error }
	type target struct {
		prefix string
		dst    stateful
	}
	targets := []target{{"opt.", job.Opt}}
	if job.StepSchedule != nil {
		targets = append(targets, target{"sched_step.", job.StepSchedule})
	}
	if job.EpochSchedule != nil {
		targets = append(targets, target{"sched_epoch.", job.EpochSchedule})
	}
	if job.Plateau != nil {
		targets = append(targets, target{"plateau.", job.Plateau})
	}
	for _, s := range targets {
		state, err := optim.DecodeState(s.prefix, sd, meta)
		if err != nil {
			return fmt.Errorf("train: resume from %s: %w", path, err)
		}
		if err := s.dst.LoadState(state); err != nil {
			return fmt.Errorf("train: resume from %s (%s): %w", path, s.prefix, err)
		}
	}
	if f.ema != nil {
		for i, t := range f.ema.Shadow() {
			src, ok := sd.Get("ema." + strconv.Itoa(i))
			if !ok || !tensor.SameShape(src.Shape, t.Shape) {
				return fmt.Errorf("train: resume from %s: EMA tensor %d missing or mis-shaped (was EMA on?)", path, i)
			}
			copy(t.Data, src.Data)
		}
	}
	if err := json.Unmarshal([]byte(meta["lungo.train_state"]), &f.st); err != nil {
		return fmt.Errorf("train: resume from %s: bad train state: %w", path, err)
	}
	f.logf("resuming from %s at epoch %d, batch %d\n", path, f.st.Epoch, f.st.Batch)
	return nil
}
