package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/lungo-ml/lungo/internal/npy"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/tensor"
)

// lungo predict runs a U-Net on images. Modes (exactly one):
//
//	-input X.npy   raw mode: float32 [N, C, H, W] (or [H, W]) in, sigmoid
//	               probabilities [N, classes, H, W] out (-out P.npy)
//	-dicom PATH    DICOM mode: files or folders (comma-separated), resized to
//	               -size, post-processed with the triplet of thresholds.json,
//	               written as a submission CSV, mask and overlay PNGs,
//	               per-image probability .npy files, DICOM Segmentations
//	               and overlay Secondary Captures (predict_dicom.go).
//	-images PATH   image mode: PNG or JPEG files or folders, with the DICOM
//	               mode's options and outputs but -seg/-sc (predict_images.go).
func init() {
	register("predict", "run a U-Net on images and write sigmoid probabilities", runPredict)
}

// modelFlags are the flags that describe and load a model, shared by
// predict and convert. The architecture comes from the weights (a lungo
// checkpoint's stored configuration, otherwise the state dict's keys and
// shapes); flags that are given must agree with it.
type modelFlags struct {
	fs         *flag.FlagSet
	weights    *string
	arch       *string
	inChannels *int
	classes    *int
	attention  *string
	classHead  *int
}

func addModelFlags(fs *flag.FlagSet) *modelFlags {
	return &modelFlags{
		fs:         fs,
		weights:    fs.String("weights", "", "weights: a .pth (torch.save state dict), safetensors or lungo checkpoint; the architecture is worked out from them"),
		arch:       fs.String("arch", "", "architecture, checked against the weights': unet-resnet18, unet-resnet34 or unet-resnet50 (default: the weights')"),
		inChannels: fs.Int("in-channels", 0, "input channels, 1 or 3 (default: the weights'; 1 also takes a 3-channel stem, summed)"),
		classes:    fs.Int("classes", 0, "mask channels (default: the weights')"),
		attention:  fs.String("attention", "", `decoder attention: "none" or "scse" (default: the weights')`),
		classHead:  fs.Int("class-head", 0, "outputs of the classification head, 0 for none (default: the weights')"),
	}
}

// given returns the architecture flags set on the command line.
func (f *modelFlags) given() map[string]bool {
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "arch", "in-channels", "classes", "attention", "class-head":
			set[fl.Name] = true
		}
	})
	return set
}

// open loads the model -weights holds and writes to w what it is and where
// that came from. Architecture flags override the weights' configuration and
// must fit the weights.
func (f *modelFlags) open(w io.Writer) (*unet.Model, error) {
	path := *f.weights
	if path == "" {
		return nil, usagef("-weights is required")
	}
	sd, meta, err := unet.ReadWeights(path)
	if err != nil {
		return nil, err
	}
	source := "worked out from its keys and shapes"
	if _, ok := meta[unet.MetaConfig]; ok {
		source = "the checkpoint's configuration"
	}
	var cfg *unet.Config
	if set := f.given(); len(set) > 0 {
		c, err := unet.WeightsConfig(sd, meta)
		if err != nil {
			var eo *unet.EncoderOnlyError
			if errors.As(err, &eo) {
				return nil, fmt.Errorf("%w (file %s)", err, path)
			}
			// Weights that are no U-Net lungo builds: the flags alone, and
			// the load names what does not fit.
			c = unet.Config{Encoder: "resnet34", InChannels: 1, Classes: 1}
		}
		if set["arch"] {
			a, err := unet.ParseArch(*f.arch, 1)
			if err != nil {
				return nil, err
			}
			c.Encoder = a.Encoder
		}
		if set["in-channels"] {
			c.InChannels = *f.inChannels
		}
		if set["classes"] {
			c.Classes = *f.classes
		}
		if set["attention"] {
			c.Attention = *f.attention
			if c.Attention == "none" {
				c.Attention = ""
			}
		}
		if set["class-head"] {
			c.ClassHead = *f.classHead
		}
		if err := c.Validate(); err != nil {
			return nil, err
		}
		cfg, source = &c, "the flags', which fit the weights"
	}
	m, err := unet.OpenStateDict(sd, meta, cfg)
	if err != nil {
		var am *unet.ArchMismatchError
		if errors.As(err, &am) {
			return nil, fmt.Errorf("%w; leave out -arch and the other architecture flags to use %s as it is", err, path)
		}
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	fmt.Fprintf(w, "weights %s: %s (%s)\n", path, m.Config.Describe(), source)
	return m, nil
}

func runPredict(args []string) error {
	fs := newFlags("predict", "-weights FILE [-arch unet-resnet34 ...] (-input X.npy -out P.npy | -dicom PATH[,PATH] [-submission CSV] [-masks DIR] [-overlays DIR] [-npy DIR] [-seg DIR] [-sc DIR] | -images PATH[,PATH] [same outputs but -seg, -sc])")
	mf := addModelFlags(fs)
	input := fs.String("input", "", "raw mode: float32 .npy [N, C, H, W] (or [H, W]), NCHW")
	out := fs.String("out", "", "raw mode: output .npy of probabilities [N, classes, H, W]")
	dcm := fs.String("dicom", "", "DICOM mode: DICOM files or folders, comma-separated")
	imgs := fs.String("images", "", "image mode: PNG or JPEG files or folders, comma-separated (IDs: file names without extension); takes the DICOM mode's flags and outputs but -seg and -sc")
	batch := fs.Int("batch", 1, "images per forward pass")
	precision := fs.String("precision", "fp32", "fp32, bf16 (bfloat16 weights and activations, float32 sums; batch norm folded) or int8 (weights from lungo quantize)")
	do := dicomPredictOptions{log: os.Stderr} // progress; the results are the files
	fs.IntVar(&do.size, "size", 0, "DICOM mode: side the model sees (default: thresholds.json's, else 512)")
	fs.StringVar(&do.thresholds, "thresholds", "", "DICOM mode: thresholds.json from lungo train (default: beside -weights if there)")
	fs.BoolVar(&do.tta, "tta", true, "DICOM mode: average with the horizontally flipped image")
	fs.BoolVar(&do.useClass, "use-class", false, "DICOM mode: decide positive/negative with the classification head")
	fs.Float64Var(&do.classThr, "class-threshold", 0.5, "DICOM mode: classification probability above which an image is positive")
	fs.BoolVar(&do.skipBad, "skip-bad", false, "DICOM mode: skip unreadable files with a warning")
	fs.StringVar(&do.submission, "submission", "", "DICOM mode: write a competition submission CSV")
	fs.StringVar(&do.npyDir, "npy", "", "DICOM mode: write each image's probabilities as DIR/<id>.npy")
	fs.StringVar(&do.masksDir, "masks", "", "DICOM mode: write each mask as DIR/<id>.png")
	fs.StringVar(&do.overlays, "overlays", "", "DICOM mode: write overlays (red: predicted outline, green: true) as DIR/<id>.png")
	fs.StringVar(&do.segDir, "seg", "", "DICOM mode: write each mask as a DICOM Segmentation DIR/<id>.seg.dcm (UIDs named after the source, weights and thresholds: re-runs write the same instances)")
	fs.StringVar(&do.scDir, "sc", "", "DICOM mode: write each radiograph with the mask's outline as an RGB Secondary Capture DIR/<id>.sc.dcm")
	fs.StringVar(&do.labels, "labels", "", "DICOM mode: label CSV for true outlines in overlays and a score")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	if *batch < 1 {
		return usagef("-batch %d, want >= 1", *batch)
	}
	prec, err := unet.ParsePrecision(*precision)
	if err != nil {
		return usagef("%v", err)
	}
	do.precision = prec
	switch {
	case *imgs != "" && (*input != "" || *dcm != ""):
		return usagef("give one of -input, -dicom and -images")
	case *imgs != "":
		return runPredictImages(mf, *imgs, *batch, do)
	case *input != "" && *dcm != "":
		return usagef("give -input or -dicom, not both")
	case *dcm != "":
		if do.submission == "" && do.npyDir == "" && do.masksDir == "" && do.overlays == "" && do.segDir == "" && do.scDir == "" && do.labels == "" {
			return usagef("-dicom needs an output: -submission, -npy, -masks, -overlays, -seg, -sc or -labels")
		}
		m, err := mf.open(os.Stderr)
		if err != nil {
			return err
		}
		if err := do.openReduced(m, *mf.weights); err != nil {
			return err
		}
		do.inputs, do.batch = strings.Split(*dcm, ","), *batch
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		return predictDICOM(ctx, m, *mf.weights, do)
	case *input == "":
		return usagef("-input (raw mode), -dicom (DICOM mode) or -images (PNG/JPEG mode) is required")
	case *out == "":
		return usagef("-out is required")
	}
	m, err := mf.open(os.Stderr)
	if err != nil {
		return err
	}
	x, err := readNPY(*input)
	if err != nil {
		return err
	}
	pr, err := newPredictor(m, prec, *mf.weights, os.Stderr)
	if err != nil {
		return err
	}
	probs, err := predictBatches(pr, x, *batch)
	if err != nil {
		return fmt.Errorf("%s: %w", *input, err)
	}
	return writeNPY(*out, probs)
}

// predictBatches runs x [N, C, H, W] through m in chunks of batch images.
func predictBatches(m unet.Predictor, x *tensor.Tensor, batch int) (*tensor.Tensor, error) {
	n, plane := x.Shape[0], tensor.Numel(x.Shape[1:])
	var out *tensor.Tensor
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		chunk := tensor.FromData(x.Data[lo*plane:hi*plane], append([]int{hi - lo}, x.Shape[1:]...)...)
		p, err := m.Predict(chunk)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = tensor.New(append([]int{n}, p.Shape[1:]...)...)
		}
		op := tensor.Numel(p.Shape[1:])
		copy(out.Data[lo*op:hi*op], p.Data)
	}
	return out, nil
}

// readNPY reads a float32-convertible .npy as [N, C, H, W]; a 2-D [H, W]
// image becomes [1, 1, H, W].
func readNPY(path string) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	shape, data, err := npy.ReadFloat32(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch len(shape) {
	case 2:
		shape = []int{1, 1, shape[0], shape[1]}
	case 4:
	default:
		return nil, fmt.Errorf("%s: array of shape %v, want [N, C, H, W] or [H, W]", path, shape)
	}
	if tensor.Numel(shape) == 0 {
		return nil, fmt.Errorf("%s: empty array of shape %v", path, shape)
	}
	return tensor.FromData(data, shape...), nil
}

func writeNPY(path string, t *tensor.Tensor) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := npy.WriteFloat32(w, t.Shape, t.Data); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
