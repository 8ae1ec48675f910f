package main

import (
	"fmt"
	"image"
	"path/filepath"
	"time"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/data/siim"
)

func init() {
	register("synth", "write a synthetic SIIM-like training set (stage-1 layout)", runSynth)
}

func runSynth(args []string) error {
	fs := newFlags("synth", "-out DIR [-n 200] [-size 256] [-seed 1] [-pos 0.22]")
	out := fs.String("out", "", "output folder (gets dicom-images-train/ and train-rle.csv)")
	n := fs.Int("n", 200, "number of images")
	size := fs.Int("size", 256, "image side in pixels (SIIM is 1024)")
	seed := fs.Uint64("seed", 1, "random seed: the output is a function of the flags")
	pos := fs.Float64("pos", 0.22, "fraction of images with a pneumothorax")
	quality := fs.Int("quality", 95, "JPEG quality of the DICOM pixel data")
	baseline := fs.Int("baseline", 128, "side at which to report the plain-threshold baseline (0: skip)")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("-out is required")
	}
	if *n <= 0 || *size < 16 || *pos < 0 || *pos > 1 {
		return usagef("need -n > 0, -size >= 16 and -pos in [0, 1]")
	}
	start := time.Now()
	sum, err := siim.WriteSynth(*out, siim.SynthConfig{N: *n, Size: *size, Seed: *seed, PositiveFraction: *pos, Quality: *quality})
	if err != nil {
		return err
	}
	fmt.Printf("wrote %d images (%d with pneumothorax) of %dx%d to %s in %.1fs\n",
		len(sum.Images), sum.Positives, *size, *size, filepath.Join(*out, "dicom-images-train"), time.Since(start).Seconds())
	fmt.Printf("labels: %s\n", sum.Labels)
	if *baseline <= 0 {
		return nil
	}
	// The plain-threshold baseline, read back from the files written.
	labels, err := siim.ReadLabelsFile(sum.Labels, *size, *size)
	if err != nil {
		return err
	}
	imgs := make([]*image.Gray, 0, len(sum.Images))
	masks := make([]*siim.Mask, 0, len(sum.Images))
	for i, p := range sum.Images {
		img, err := dicom.ReadGray8File(p)
		if err != nil {
			return err
		}
		m, err := labels.Get(sum.IDs[i]).Mask(*size, *size)
		if err != nil {
			return err
		}
		small := siim.NewMask(*baseline, *baseline)
		siim.ResizeMaskArea(small, m, 0.5)
		imgs = append(imgs, siim.ResizeGraySquare(img, *baseline))
		masks = append(masks, small)
	}
	r := siim.ThresholdBaseline(imgs, masks)
	fmt.Printf("plain intensity threshold at %dx%d (best threshold %d, chosen on these images): mean Dice on positives %.4f, competition score %.4f\n",
		*baseline, *baseline, r.T, r.PositiveDice, r.Score)
	fmt.Printf("predicting no pneumothorax anywhere scores %.4f\n", r.EmptyScore)
	return nil
}
