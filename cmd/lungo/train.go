package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func init() {
	register("train", "train a U-Net on SIIM-ACR DICOM files and labels, or on folders of images and mask PNGs", runTrain)
}

func defaultRunOptions() *runOptions {
	return &runOptions{arch: "unet-resnet34", size: 512, batch: 4, epochs: 20, workers: 2, lr: 3e-4, accum: 1,
		topK: 3, seed: 1, posFrac: "0.8:0.4", folds: 5, valFold: 0, testFold: -1, log: os.Stderr}
}

func runTrain(args []string) error {
	o := defaultRunOptions()
	fs := newFlags("train", "(-data DIR -labels CSV | -images DIR -masks DIR) [-out DIR] [-init-encoder resnet34.pth] [flags]")
	fs.StringVar(&o.data, "data", "", "folder of DICOM files (searched recursively)")
	fs.StringVar(&o.labels, "labels", "", "label CSV: train-rle.csv (stage 1) or stage_2_train.csv")
	fs.StringVar(&o.images, "images", "", "instead of -data: folder of PNG or JPEG images (searched recursively; 16-bit PNG by an auto window, colour as luma)")
	fs.StringVar(&o.masks, "masks", "", "with -images: folder of mask PNGs named as the images (<id>.png; > 0 is positive; no file or an empty mask: a negative image)")
	fs.StringVar(&o.out, "out", "lungo-run", "run folder: checkpoints, metrics.jsonl, curves.png, thresholds.json")
	o.addFlags(fs)
	fs.StringVar(&o.initEncoder, "init-encoder", "", "start the encoder from these weights (.pth, safetensors or lungo): a torchvision ResNet "+
		"(conv1.weight, layer1.0...; e.g. ImageNet's) or a U-Net's encoder.* keys; the decoder and heads start from random initialisation")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// Resuming without architecture flags builds what the run folder holds.
	o.archFromRun = o.resume
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "arch" || f.Name == "decoder" || f.Name == "class-head" {
			o.archFromRun = false
		}
	})
	switch {
	case fs.NArg() > 0:
		return usagef("unexpected arguments %q", fs.Args())
	case (o.images != "" || o.masks != "") && (o.data != "" || o.labels != ""):
		return usagef("give -data and -labels (SIIM DICOM files) or -images and -masks (a folder dataset), not both")
	case o.images != "" || o.masks != "":
		if o.images == "" || o.masks == "" {
			return usagef("-images and -masks go together: a folder of images and one of mask PNGs with the same names")
		}
	case o.data == "" || o.labels == "":
		return usagef("-data and -labels (or -images and -masks) are required (try `lungo synth -out DIR` for a synthetic set)")
	}
	// SIGTERM (a scheduler's or a container's stop) saves the state as
	// Ctrl-C does; progress goes to stderr (o.log), the result to stdout.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out, err := runTraining(ctx, o)
	if err != nil {
		return err
	}
	fmt.Printf("done in %v: model %s (best epoch %d), thresholds in %s/%s\n", out.elapsed.Round(1e9), out.result.Model,
		out.result.BestEpoch, o.out, thresholdsFile)
	return nil
}
