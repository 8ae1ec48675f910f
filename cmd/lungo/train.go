package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
)

func init() {
	register("train", "train a U-Net on SIIM-ACR DICOM files and labels", runTrain)
}

func defaultRunOptions() *runOptions {
	return &runOptions{arch: "unet-resnet34", size: 512, batch: 4, epochs: 20, workers: 2, lr: 3e-4, accum: 1,
		topK: 3, seed: 1, posFrac: "0.8:0.4", folds: 5, valFold: 0, testFold: -1, log: os.Stdout}
}

func runTrain(args []string) error {
	o := defaultRunOptions()
	fs := newFlags("train", "-data DIR -labels CSV [-out DIR] [-init-encoder resnet34.pth] [flags]")
	fs.StringVar(&o.data, "data", "", "folder of DICOM files (searched recursively)")
	fs.StringVar(&o.labels, "labels", "", "label CSV: train-rle.csv (stage 1) or stage_2_train.csv")
	fs.StringVar(&o.out, "out", "lungo-run", "run folder: checkpoints, metrics.jsonl, curves.png, thresholds.json")
	o.addFlags(fs)
	fs.StringVar(&o.initEncoder, "init-encoder", "", "start the encoder from these weights (.pth, safetensors or lungo): a torchvision ResNet "+
		"(conv1.weight, layer1.0...; e.g. ImageNet's) or a U-Net's encoder.* keys; the decoder and heads start from random initialisation")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Resuming without architecture flags builds what the run folder holds.
	o.archFromRun = o.resume
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "arch" || f.Name == "decoder" || f.Name == "class-head" {
			o.archFromRun = false
		}
	})
	if o.data == "" || o.labels == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("-data and -labels are required (try `lungo synth -out DIR` for a synthetic set)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	out, err := runTraining(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.log, "done in %v: model %s (best epoch %d), thresholds in %s/%s\n", out.elapsed.Round(1e9), out.result.Model,
		out.result.BestEpoch, o.out, thresholdsFile)
	return nil
}
