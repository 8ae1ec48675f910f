package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/infer"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/optim"
	"github.com/lungo-ml/lungo/tensor"
	"github.com/lungo-ml/lungo/train"
)

// runOptions are the training flags shared by `lungo train` and `lungo demo`.
type runOptions struct {
	data, labels, out string
	arch              string
	decoder           string
	classHead         bool
	size, batch       int
	epochs, workers   int
	lr                float64
	accum             int
	ema               float64
	topK, patience    int
	seed              uint64
	posFrac           string
	folds, valFold    int
	testFold          int // -1: no held-out fold
	resume, skipBad   bool
	cache             bool
	// images and masks are a folder dataset (siim.OpenFolder), instead of
	// data and labels.
	images, masks string
	// initEncoder is a weight file the encoder starts from (unet.LoadEncoder).
	initEncoder string
	// archFromRun builds, when resuming, the model the run folder's state
	// holds instead of arch, decoder and classHead.
	archFromRun bool
	log         io.Writer
}

func (o *runOptions) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.arch, "arch", o.arch, "architecture: unet-resnet18, unet-resnet34 or unet-resnet50")
	fs.StringVar(&o.decoder, "decoder", o.decoder, "decoder channels, comma-separated (5 values)")
	fs.BoolVar(&o.classHead, "class-head", o.classHead, "add a classification head (pneumothorax yes/no)")
	fs.IntVar(&o.size, "size", o.size, "training image side (a multiple of 32)")
	fs.IntVar(&o.batch, "batch", o.batch, "images per batch")
	fs.IntVar(&o.epochs, "epochs", o.epochs, "epochs")
	fs.IntVar(&o.workers, "workers", o.workers, "loader goroutines")
	fs.Float64Var(&o.lr, "lr", o.lr, "AdamW learning rate (cosine schedule with warm-up)")
	fs.IntVar(&o.accum, "accum", o.accum, "batches per optimizer step (gradient accumulation)")
	fs.Float64Var(&o.ema, "ema", o.ema, "EMA decay of the weights, 0 for none")
	fs.IntVar(&o.topK, "topk", o.topK, "average the weights of the best k epochs (1: keep the best)")
	fs.IntVar(&o.patience, "patience", o.patience, "early stopping patience in epochs, 0 for none")
	fs.Uint64Var(&o.seed, "seed", o.seed, "random seed (splits, sampling, augmentation, init)")
	fs.StringVar(&o.posFrac, "pos-frac", o.posFrac, `positive fraction per epoch, "START:END" linearly (e.g. 0.8:0.4), "" for the natural rate`)
	fs.IntVar(&o.folds, "folds", o.folds, "stratified folds")
	fs.IntVar(&o.valFold, "fold", o.valFold, "validation fold")
	fs.BoolVar(&o.resume, "resume", o.resume, "continue the run in -out from its last.state")
	fs.BoolVar(&o.skipBad, "skip-bad", o.skipBad, "skip unreadable images with a warning instead of stopping")
	fs.BoolVar(&o.cache, "cache", o.cache, "cache resized images in -out/images.cache (memory-mapped) so later epochs skip decoding")
}

func (o *runOptions) modelConfig() (unet.Config, error) {
	cfg, err := unet.ParseArch(o.arch, 1)
	if err != nil {
		return cfg, err
	}
	if o.decoder != "" {
		cfg.DecoderChannels = nil
		for _, f := range strings.Split(o.decoder, ",") {
			v, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return cfg, fmt.Errorf("-decoder %q: %v", o.decoder, err)
			}
			cfg.DecoderChannels = append(cfg.DecoderChannels, v)
		}
	}
	if o.classHead {
		cfg.ClassHead = 1
	}
	return cfg, cfg.Validate()
}

func (o *runOptions) posFraction() (func(int) float64, error) {
	if o.posFrac == "" {
		return nil, nil
	}
	a, b, ok := strings.Cut(o.posFrac, ":")
	if !ok {
		b = a
	}
	start, err1 := strconv.ParseFloat(a, 64)
	end, err2 := strconv.ParseFloat(b, 64)
	if err := errors.Join(err1, err2); err != nil || start < 0 || start > 1 || end < 0 || end > 1 {
		return nil, fmt.Errorf("-pos-frac %q: want START:END with both in [0, 1]", o.posFrac)
	}
	epochs := o.epochs
	return func(epoch int) float64 {
		if epochs <= 1 {
			return start
		}
		return start + (end-start)*float64(epoch-1)/float64(epochs-1)
	}, nil
}

// outcome is what runTraining leaves for the caller.
type outcome struct {
	ds       siim.Source
	model    *unet.Model
	triplet  infer.Triplet
	valScore float64
	trainIdx []int
	testIdx  []int
	result   *train.Result
	elapsed  time.Duration
}

// Thresholds are saved beside the model so that predict uses the triplet
// chosen on validation.
type thresholds struct {
	Size     int           `json:"size"`
	Triplet  infer.Triplet `json:"triplet"`
	ValScore float64       `json:"val_score"`
}

const thresholdsFile = "thresholds.json"

// runTraining opens the data, splits it, trains, and picks the triplet on
// the validation fold.
func runTraining(ctx context.Context, o *runOptions) (*outcome, error) {
	start := time.Now()
	logf := func(format string, args ...any) { fmt.Fprintf(o.log, format, args...) }
	ds, where, err := o.openData(logf)
	if err != nil {
		return nil, err
	}
	if ds.Len() < o.folds {
		return nil, fmt.Errorf("only %d labelled images in %s: need at least %d (one per fold)", ds.Len(), where, o.folds)
	}
	pos := make([]bool, ds.Len())
	for i := range pos {
		pos[i] = ds.Positive(i)
	}
	folds := siim.StratifiedFolds(pos, o.folds, o.seed)
	var trainIdx, valIdx, testIdx []int
	var trainPos []bool
	for i, f := range folds {
		switch f {
		case o.valFold:
			valIdx = append(valIdx, i)
		case o.testFold:
			testIdx = append(testIdx, i)
		default:
			trainIdx = append(trainIdx, i)
			trainPos = append(trainPos, pos[i])
		}
	}
	logf("data: %d images (%d positive): %d train, %d validation, %d held out\n", ds.Len(), count(pos), len(trainIdx), len(valIdx), len(testIdx))

	cfg, err := o.modelConfig()
	if err != nil {
		return nil, err
	}
	state := filepath.Join(o.out, train.StateFile)
	_, statErr := os.Stat(state)
	resuming := o.resume && statErr == nil
	if resuming && o.archFromRun {
		c, ok, err := unet.CheckpointConfig(state)
		if err != nil {
			return nil, fmt.Errorf("-resume: %w", err)
		}
		if ok {
			cfg = c
		}
	}
	model, err := unet.New(cfg, tensor.NewRNG(o.seed))
	if err != nil {
		return nil, err
	}
	logf("model: %s, %d parameters, %dx%d input\n", model.Config.Describe(), nn.CountParameters(model), o.size, o.size)
	if o.initEncoder != "" {
		if resuming {
			logf("encoder: not loading -init-encoder %s: resuming from %s\n", o.initEncoder, state)
		} else {
			r, err := unet.LoadEncoder(model, o.initEncoder)
			if err != nil {
				return nil, fmt.Errorf("-init-encoder: %w", err)
			}
			logf("encoder: loaded from %s: %s; the decoder and heads start from random initialisation\n", o.initEncoder, r)
		}
	}

	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return nil, err
	}
	var cache *siim.Cache
	if o.cache {
		ids := make([]string, ds.Len())
		for i := range ids {
			ids[i] = ds.ID(i)
		}
		if cache, err = siim.OpenCache(filepath.Join(o.out, "images.cache"), ids, o.size); err != nil {
			return nil, err
		}
	}
	warn := func(err error) { log.Printf("warning: skipping an image: %v", err) }
	aug := siim.DefaultAugment()
	trainLoader := siim.NewLoader(ds, siim.LoaderConfig{Size: o.size, Batch: o.batch, Workers: o.workers, Seed: o.seed,
		Augment: &aug, Cache: cache, SkipErrors: o.skipBad, Warn: warn, DropLast: len(trainIdx) > o.batch})
	valLoader := siim.NewLoader(ds, siim.LoaderConfig{Size: o.size, Batch: o.batch, Workers: o.workers, Seed: o.seed,
		Cache: cache, SkipErrors: o.skipBad, Warn: warn})

	frac, err := o.posFraction()
	if err != nil {
		return nil, err
	}
	opt := optim.NewAdamW(nn.Parameters(model), optim.DefaultAdamW(o.lr))
	stepsPerEpoch := max(1, len(trainIdx)/o.batch/o.accum)
	total := stepsPerEpoch * o.epochs
	sched := optim.NewWarmupCosine(opt, min(total/10+1, 3*stepsPerEpoch), total, 0.02)
	job := &train.Job{Model: model, Opt: opt, StepSchedule: sched,
		Train: trainLoader, TrainIdx: trainIdx, TrainPos: trainPos, Val: valLoader, ValIdx: valIdx}
	res, err := train.Fit(ctx, job, train.Config{Dir: o.out, Epochs: o.epochs, AccumSteps: o.accum, EMADecay: o.ema,
		TopK: o.topK, Patience: o.patience, Seed: o.seed, Resume: o.resume, PositiveFraction: frac,
		Log: o.log, Progress: isTerminal(o.log)})
	if err != nil {
		return nil, err
	}
	final, err := unet.Open(res.Model, nil)
	if err != nil {
		return nil, fmt.Errorf("reopening the trained model: %w", err)
	}
	ev, err := infer.Evaluate(ctx, infer.Predictor{Model: final, TTA: true}, valLoader, 0, valIdx)
	if err != nil {
		return nil, fmt.Errorf("validation: %w", err)
	}
	tr, score := infer.SearchTriplet(ev.Probs, ev.Truths, infer.DefaultTripletGrid(o.size))
	logf("validation: dice %.4f at 0.5, %.4f with flip TTA and the triplet %v\n", ev.Dice(0.5), score, tr)
	js, _ := json.MarshalIndent(thresholds{Size: o.size, Triplet: tr, ValScore: score}, "", "  ")
	if err := os.WriteFile(filepath.Join(o.out, thresholdsFile), append(js, '\n'), 0o644); err != nil {
		return nil, err
	}
	return &outcome{ds: ds, model: final, triplet: tr, valScore: score, trainIdx: trainIdx, testIdx: testIdx, result: res, elapsed: time.Since(start)}, nil
}

// openData opens the training data: the folder dataset of o.images and
// o.masks, or SIIM's DICOM files under o.data with o.labels. where names
// it for messages.
func (o *runOptions) openData(logf func(string, ...any)) (ds siim.Source, where string, err error) {
	if o.images != "" {
		d, err := siim.OpenFolder(o.images, o.masks)
		if err != nil {
			return nil, "", err
		}
		if len(d.Orphans) > 0 {
			logf("warning: %d mask files have no image of the same name under %s (first: %s); they are left out\n", len(d.Orphans), o.images, d.Orphans[0])
		}
		return d, o.images, nil
	}
	if st, err := os.Stat(o.data); err != nil || !st.IsDir() {
		return nil, "", fmt.Errorf("data folder %q not found: give -data the folder holding the DICOM files (stage 1's dicom-images-train/ or a flat folder of .dcm)", o.data)
	}
	if _, err := os.Stat(o.labels); err != nil {
		return nil, "", fmt.Errorf("labels %q not found: give -labels the train-rle.csv (stage 1) or stage_2_train.csv", o.labels)
	}
	d, err := siim.Open(o.data, o.labels)
	if err != nil {
		return nil, "", err
	}
	if len(d.Missing) > 0 {
		logf("warning: %d labelled images have no DICOM file under %s (first: %s); they are left out\n", len(d.Missing), o.data, d.Missing[0])
	}
	if len(d.Unlabelled) > 0 {
		logf("warning: %d DICOM files have no label row (first: %s); they are left out\n", len(d.Unlabelled), d.Unlabelled[0].Path)
	}
	return d, o.data, nil
}

func count(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// isTerminal reports whether w is a character device (a terminal), where a
// redrawn progress bar makes sense; logs get one line per epoch instead.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
