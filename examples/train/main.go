// Command train is lungo's reference program: the whole pneumothorax
// pipeline, top to bottom, with only the public API. It writes a small
// synthetic SIIM-like dataset, trains a U-Net-ResNet18 on it, picks the
// post-processing thresholds on validation and scores the held-out images
// with the competition metric.
//
//	go run ./examples/train [-n 200] [-epochs 6] [-out example-run]
//
// `lungo demo` does the same with more outputs and flags; `lungo train`
// runs the training part on the real SIIM-ACR files.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/infer"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/optim"
	"github.com/lungo-ml/lungo/tensor"
	"github.com/lungo-ml/lungo/train"
)

func main() {
	n := flag.Int("n", 200, "synthetic images")
	epochs := flag.Int("epochs", 6, "training epochs")
	out := flag.String("out", "example-run", "run folder")
	flag.Parse()
	ctx := context.Background()
	const size, batch, seed = 128, 8, 7

	// 1. Data: DICOM files and a stage-1 label CSV, exactly like SIIM's.
	dataDir, err := os.MkdirTemp("", "lungo-example-")
	check(err)
	defer os.RemoveAll(dataDir)
	synth, err := siim.WriteSynth(dataDir, siim.SynthConfig{N: *n, Size: 256, Seed: seed})
	check(err)
	ds, err := siim.Open(filepath.Join(dataDir, "dicom-images-train"), synth.Labels)
	check(err)

	// 2. Split: fold 0 is held out, fold 1 validates, the rest trains.
	positive := ds.Positives()
	folds := siim.StratifiedFolds(positive, 5, seed)
	var trainIdx, valIdx, testIdx []int
	var trainPos []bool
	for i, f := range folds {
		switch f {
		case 0:
			testIdx = append(testIdx, i)
		case 1:
			valIdx = append(valIdx, i)
		default:
			trainIdx, trainPos = append(trainIdx, i), append(trainPos, positive[i])
		}
	}

	// 3. Loaders: augmented batches for training, plain ones for validation.
	aug := siim.DefaultAugment()
	trainLoader := siim.NewLoader(ds, siim.LoaderConfig{Size: size, Batch: batch, Workers: 2, Seed: seed, Augment: &aug, DropLast: true})
	valLoader := siim.NewLoader(ds, siim.LoaderConfig{Size: size, Batch: batch, Workers: 2})

	// 4. Model, optimizer and schedule.
	cfg := unet.Config{Encoder: "resnet18", InChannels: 1, Classes: 1, DecoderChannels: []int{64, 48, 32, 24, 16}}
	model, err := unet.New(cfg, tensor.NewRNG(seed))
	check(err)
	opt := optim.NewAdamW(nn.Parameters(model), optim.DefaultAdamW(2e-3))
	steps := *epochs * (len(trainIdx) / batch)
	sched := optim.NewWarmupCosine(opt, steps/10+1, steps, 0.02)

	// 5. Train: BCE + Dice, half positive images per epoch, best epoch kept.
	res, err := train.Fit(ctx, &train.Job{
		Model: model, Opt: opt, StepSchedule: sched,
		Train: trainLoader, TrainIdx: trainIdx, TrainPos: trainPos,
		Val: valLoader, ValIdx: valIdx,
	}, train.Config{Dir: *out, Epochs: *epochs, Seed: seed, Log: os.Stdout,
		PositiveFraction: func(int) float64 { return 0.5 }})
	check(err)

	// 6. Post-processing: search (top, min_area, bottom) on validation.
	best, err := unet.Open(res.Model, nil)
	check(err)
	predictor := infer.Predictor{Model: best, TTA: true}
	val, err := infer.Evaluate(ctx, predictor, valLoader, 0, valIdx)
	check(err)
	triplet, valScore := infer.SearchTriplet(val.Probs, val.Truths, infer.DefaultTripletGrid(size))
	fmt.Printf("validation dice %.4f with %v\n", valScore, triplet)

	// 7. Score the held-out images with the competition metric.
	test, err := infer.Evaluate(ctx, predictor, valLoader, 0, testIdx)
	check(err)
	fmt.Printf("held-out dice: %.4f\n", test.Score(triplet))
	fmt.Printf("positive-only dice: %.4f\n", test.PositiveDice(triplet))
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
