package main

import (
	"context"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/infer"
	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/tensor"
	"github.com/lungo-ml/lungo/train"
)

func init() {
	register("demo", "generate synthetic SIIM data, train a small U-Net, and score it on held-out images", runDemo)
}

func runDemo(args []string) error {
	o := &runOptions{arch: "unet-resnet18", decoder: "64,48,32,24,16", size: 128, batch: 8, epochs: 14, workers: 2,
		lr: 2e-3, accum: 1, topK: 3, seed: 1, posFrac: "0.7:0.35", folds: 5, valFold: 1, testFold: 0, log: os.Stderr}
	fs := newFlags("demo", "[-n 500] [-synth-size 256] [-out lungo-demo] [training flags]")
	n := fs.Int("n", 500, "synthetic images to generate (a fifth is held out, a fifth validates)")
	synthSize := fs.Int("synth-size", 256, "side of the synthetic radiographs")
	fs.StringVar(&o.out, "out", "lungo-demo", "output folder: submission, masks, overlays, curves, checkpoints")
	keep := fs.Bool("keep-data", false, "keep the synthetic dataset in -out/data instead of a temporary folder")
	precision := fs.String("precision", "fp32", "fp32, bf16 or int8: predict the held-out fold in this precision (int8 calibrated on 32 training images) and print float32's scores beside")
	o.addFlags(fs)
	if err := noArgs(fs, args); err != nil {
		return err
	}
	prec, err := unet.ParsePrecision(*precision)
	if err != nil {
		return &usageError{err: err}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	// Progress goes to stderr (o.log), the results to stdout.
	fmt.Fprintln(o.log, "lungo demo: the data below are SYNTHETIC chest-radiograph-like images, not patients.")
	fmt.Fprintln(o.log, "On the real SIIM-ACR files run: lungo train -data DIR -labels train-rle.csv")
	fmt.Fprintf(o.log, "kernels: %s, %d threads\n", kernels.Active().Name, kernels.Threads())

	dataDir := filepath.Join(o.out, "data")
	if !*keep {
		tmp, err := os.MkdirTemp("", "lungo-demo-data-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dataDir = tmp
	}
	sum, err := siim.WriteSynth(dataDir, siim.SynthConfig{N: *n, Size: *synthSize, Seed: o.seed})
	if err != nil {
		return err
	}
	fmt.Fprintf(o.log, "synthetic set: %d images of %dx%d, %d with pneumothorax, in %s (%.1fs)\n", *n, *synthSize, *synthSize,
		sum.Positives, dataDir, time.Since(start).Seconds())
	o.data, o.labels = filepath.Join(dataDir, "dicom-images-train"), sum.Labels

	out, err := runTraining(ctx, o)
	if err != nil {
		return err
	}

	// Predict the held-out fold from its DICOM files, as on new data.
	var ids []string
	var imgs []*image.Gray
	var truths []*siim.Mask
	for _, i := range out.testIdx {
		img, m, err := out.ds.Load(i)
		if err != nil {
			return err
		}
		ids, imgs, truths = append(ids, out.ds.ID(i)), append(imgs, img), append(truths, m)
	}
	icfg := infer.Config{Size: o.size, Batch: o.batch, Triplet: out.triplet}
	res, err := infer.PredictImages(ctx, infer.Predictor{Model: out.model, TTA: true}, ids, imgs, icfg)
	if err != nil {
		return err
	}
	var cmp *precisionComparison
	if prec != unet.FP32 {
		// The outputs below come from the reduced model; float32's
		// scores are printed beside.
		if cmp, err = compareHeldOut(ctx, out, prec, imgs, truths, ids, res, icfg, o.log); err != nil {
			return err
		}
		res = cmp.res
	}
	var sum1, sumPos float64
	nPos := 0
	preds := make([]*siim.Mask, len(res))
	for i, r := range res {
		preds[i] = r.Mask
		d := siim.Dice(r.Mask, truths[i])
		sum1 += d
		if !truths[i].Empty() {
			sumPos += d
			nPos++
		}
	}
	heldOut := sum1 / float64(len(res))
	posOnly := sumPos / float64(max(nPos, 1))
	base := siim.ThresholdBaseline(imgs, truths)

	// Outputs: submission, masks, overlays (curves and checkpoints are
	// already in the run folder).
	subPath := filepath.Join(o.out, "submission.csv")
	if err := infer.WriteSubmissionFile(subPath, res); err != nil {
		return err
	}
	for _, dir := range []string{"masks", "overlays"} {
		if err := os.MkdirAll(filepath.Join(o.out, dir), 0o755); err != nil {
			return err
		}
	}
	for i, r := range res {
		if err := infer.WriteMaskPNG(filepath.Join(o.out, "masks", r.ID+".png"), r.Mask); err != nil {
			return err
		}
		if err := infer.WriteOverlayPNG(filepath.Join(o.out, "overlays", r.ID+".png"), imgs[i], r.Mask, truths[i]); err != nil {
			return err
		}
	}
	// Score the written submission file as `lungo eval` would, against the
	// held-out rows of the label file: it must agree with the masks above.
	check, err := scoreSubmission(sum.Labels, subPath, ids, *synthSize)
	if err != nil {
		return err
	}

	fmt.Printf("held-out images (synthetic): %d (%d with pneumothorax); triplet from validation: %v\n", len(res), nPos, out.triplet)
	if cmp != nil {
		fmt.Printf("held-out dice: %.4f (%v)\n", heldOut, prec)
		fmt.Print(cmp)
	} else {
		fmt.Printf("held-out dice: %.4f\n", heldOut)
	}
	fmt.Printf("positive-only dice: %.4f\n", posOnly)
	fmt.Printf("baseline all-empty: %.4f\n", base.EmptyScore)
	fmt.Printf("baseline threshold: %.4f (best single intensity threshold, chosen on these images; positive-only %.4f)\n", base.Score, base.PositiveDice)
	fmt.Printf("submission %s scores %.4f with the competition metric\n", subPath, check)
	fmt.Printf("outputs in %s/: submission.csv, masks/, overlays/ (red: predicted, green: true), %s, %s, %s\n",
		o.out, train.CurvesFile, train.MetricsFile, train.FinalFile)
	fmt.Printf("total time %v\n", time.Since(start).Round(time.Second))
	return nil
}

// scoreSubmission scores the submission at subPath against the rows of the
// label file for the given image ids.
func scoreSubmission(labelsPath, subPath string, ids []string, size int) (float64, error) {
	all, err := siim.ReadLabelsFile(labelsPath, size, size)
	if err != nil {
		return 0, err
	}
	truth := siim.NewLabels()
	for _, id := range ids {
		l := all.Get(id)
		if l == nil {
			return 0, fmt.Errorf("%s has no row for %s", labelsPath, id)
		}
		truth.Add(id, "-1") // registers the image, empty until a row adds pixels
		for _, r := range l.RLEs {
			truth.Add(id, r)
		}
	}
	pred, err := siim.ReadLabelsFile(subPath, size, size)
	if err != nil {
		return 0, err
	}
	ev, err := siim.Evaluate(truth, pred, size, size)
	if err != nil {
		return 0, err
	}
	return ev.Score, nil
}

// calibrationCount is how many training images calibrate the demo's int8
// model (lungo quantize's default).
const calibrationCount = 32

// precisionComparison is the held-out fold predicted in a reduced
// precision beside float32.
type precisionComparison struct {
	prec       unet.Precision
	res        []infer.Result // the reduced model's
	dice32     float64        // float32's competition Dice
	meanAbsDP  float64        // mean |p - p32| over every probability
	maskDice   float64        // Dice of the reduced masks against float32's, pixels pooled
	calibrated int            // int8: calibration images (from the training fold)
}

// compareHeldOut predicts the held-out images again in precision prec
// (int8 calibrated with min-max on the first training images, never on
// held-out ones) and compares with float32's results res32.
func compareHeldOut(ctx context.Context, out *outcome, prec unet.Precision, imgs []*image.Gray, truths []*siim.Mask,
	ids []string, res32 []infer.Result, cfg infer.Config, log io.Writer) (*precisionComparison, error) {
	warnGeneric(prec, log)
	c := &precisionComparison{prec: prec}
	var r unet.Predictor
	var err error
	switch prec {
	case unet.BF16:
		r, err = unet.NewBF16(out.model)
	case unet.Int8:
		var cx []*tensor.Tensor
		for _, i := range out.trainIdx[:min(calibrationCount, len(out.trainIdx))] {
			img, _, err := out.ds.Load(i)
			if err != nil {
				return nil, err
			}
			cx = append(cx, grayInput(img, cfg.Size))
		}
		var cal *unet.Calibration
		if cal, err = unet.Calibrate(ctx, out.model, cx, unet.MinMax); err != nil {
			return nil, err
		}
		c.calibrated = len(cx)
		r, err = unet.NewInt8(out.model, cal)
	default:
		return nil, fmt.Errorf("demo: no comparison for precision %v", prec)
	}
	if err != nil {
		return nil, err
	}
	if c.res, err = infer.PredictImages(ctx, infer.Predictor{Model: out.model, TTA: true, Reduced: r}, ids, imgs, cfg); err != nil {
		return nil, err
	}
	var absSum float64
	var nProb, inter, sum int
	for i, r := range c.res {
		c.dice32 += siim.Dice(res32[i].Mask, truths[i])
		for j, p := range r.Prob {
			absSum += math.Abs(float64(p - res32[i].Prob[j]))
		}
		nProb += len(r.Prob)
		for j, v := range r.Mask.Pix {
			w := res32[i].Mask.Pix[j]
			inter += int(v & w)
			sum += int(v + w)
		}
	}
	c.dice32 /= float64(len(c.res))
	c.meanAbsDP = absSum / float64(max(nProb, 1))
	c.maskDice = 1
	if sum > 0 {
		c.maskDice = 2 * float64(inter) / float64(sum)
	}
	return c, nil
}

// String is the demo's report: float32's held-out Dice and how far the
// reduced precision's probabilities and masks are from float32's.
func (c *precisionComparison) String() string {
	how := ""
	if c.calibrated > 0 {
		how = fmt.Sprintf(", calibrated on %d training images", c.calibrated)
	}
	return fmt.Sprintf("held-out dice fp32: %.4f (the outputs come from %v%s)\n"+
		"%v vs fp32 on the held-out images: mean |p - p32| %.2e, mask dice %.4f\n",
		c.dice32, c.prec, how, c.prec, c.meanAbsDP, c.maskDice)
}
