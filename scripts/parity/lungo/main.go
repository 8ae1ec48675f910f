// Command lungo is the lungo side of the training-parity check
// (scripts/parity/run.sh; see scripts/parity/README.md).
//
//	go run ./scripts/parity/lungo stream -data synthetic|DIR -size S -batch B -steps N -seed K -out DIR
//	go run ./scripts/parity/lungo train -arch resnet18 -init init.pth -stream DIR -steps N ... -out PREFIX
//
// stream writes the batch stream once, as .npy files both sides read:
// train_x.npy and train_y.npy [N*B, 1, S, S] (images normalised, masks 0/1,
// augmentation applied, batches in order) and val_x.npy, val_y.npy (no
// augmentation). train loads PyTorch's initial weights (.pth), trains the
// U-Net on that stream with BCE + soft Dice, AdamW and a warm-up + cosine
// schedule, batch norm in training mode, and writes one JSON line per step
// (loss, lr, grad_norm, seconds) and per validation (competition Dice),
// and the state dict after -save-after steps as an .npz.
package main

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/internal/npy"
	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/optim"
	"github.com/lungo-ml/lungo/tensor"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: lungo stream|train [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "stream":
		err = streamCmd(os.Args[2:])
	case "train":
		err = trainCmd(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (stream, train)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "parity:", err)
		os.Exit(1)
	}
}

// The synthetic data set: a fixed pool (the same for every seed; the seed
// sets the initial weights, the batch order and the augmentation).
const (
	synthDataSeed = 20261201
	synthTrain    = 256
	synthVal      = 48
	synthPosFrac  = 0.4
)

// memSource is a siim.Source held in memory.
type memSource struct {
	ids   []string
	imgs  []*image.Gray
	masks []*siim.Mask
}

func (s *memSource) Len() int            { return len(s.imgs) }
func (s *memSource) ID(i int) string     { return s.ids[i] }
func (s *memSource) Positive(i int) bool { return !s.masks[i].Empty() }
func (s *memSource) Load(i int) (*image.Gray, *siim.Mask, error) {
	return s.imgs[i], s.masks[i], nil
}

// synthSources draws the synthetic training and validation pools at size.
func synthSources(size int) (train, val *memSource) {
	pos := siim.SynthPositives(synthTrain+synthVal, synthPosFrac, synthDataSeed)
	train, val = &memSource{}, &memSource{}
	for i := range pos {
		img, m := siim.SynthImage(synthDataSeed+uint64(i)*7919, size, pos[i])
		dst := train
		if i >= synthTrain {
			dst = val
		}
		dst.ids = append(dst.ids, fmt.Sprintf("synth%04d", i))
		dst.imgs = append(dst.imgs, img)
		dst.masks = append(dst.masks, m)
	}
	return train, val
}

// dirSource reads DIR/labels.csv and the images under DIR/images (.jpg,
// .png) and DIR/dicom (.dcm), named by image ID, one file per ID (an
// image file wins over a DICOM of the same ID), sorted by ID. Images
// decode to 8-bit grey; masks come from the run-length labels at the
// image's size.
func dirSource(dir string) (*memSource, error) {
	files := map[string]string{}
	for _, sub := range []string{"dicom", "images"} { // images last: they win
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".dcm" {
				files[strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))] = filepath.Join(dir, sub, e.Name())
			}
		}
	}
	labels, err := siim.ReadLabelsFile(filepath.Join(dir, "labels.csv"), 0, 0)
	if err != nil {
		return nil, err
	}
	var ids []string
	for id := range files {
		if labels.Get(id) != nil {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if len(ids) == 0 {
		return nil, fmt.Errorf("%s: no labelled images under images/ or dicom/", dir)
	}
	src := &memSource{}
	for _, id := range ids {
		img, err := readGray(files[id])
		if err != nil {
			return nil, err
		}
		b := img.Bounds()
		m, err := labels.Get(id).Mask(b.Dy(), b.Dx())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", files[id], err)
		}
		src.ids, src.imgs, src.masks = append(src.ids, id), append(src.imgs, img), append(src.masks, m)
	}
	return src, nil
}

// readGray decodes a DICOM, JPEG or PNG file to 8-bit grey.
func readGray(path string) (*image.Gray, error) {
	if strings.EqualFold(filepath.Ext(path), ".dcm") {
		return dicom.ReadGray8File(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	im, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if g, ok := im.(*image.Gray); ok {
		return g, nil
	}
	g := image.NewGray(im.Bounds())
	draw.Draw(g, g.Bounds(), im, im.Bounds().Min, draw.Src)
	return g, nil
}

func streamCmd(args []string) error {
	fs := flag.NewFlagSet("stream", flag.ExitOnError)
	data := fs.String("data", "synthetic", "synthetic, or a DIR with labels.csv and images/ (and dicom/)")
	size := fs.Int("size", 128, "image side")
	batch := fs.Int("batch", 4, "batch size")
	steps := fs.Int("steps", 5, "batches to write")
	seed := fs.Uint64("seed", 1, "batch order and augmentation seed")
	out := fs.String("out", "", "output folder")
	fs.Parse(args)
	if *out == "" {
		return errors.New("stream: -out is required")
	}
	var train, val *memSource
	if *data == "synthetic" {
		train, val = synthSources(*size)
	} else {
		src, err := dirSource(*data)
		if err != nil {
			return err
		}
		// 15 images cannot spare a held-out set: validation scores the
		// training images without augmentation (overfitting is allowed:
		// the point is the same dynamics on real intensities).
		train, val = src, src
	}
	aug := siim.DefaultAugment()
	loader := siim.NewLoader(train, siim.LoaderConfig{Size: *size, Batch: *batch, Seed: *seed, Augment: &aug, DropLast: true})
	s2 := *size * *size
	n := *steps * *batch
	xs := make([]float32, 0, n*s2)
	ys := make([]float32, 0, n*s2)
	var ids []string
	if train.Len() < *batch {
		return fmt.Errorf("stream: %d training images for batches of %d", train.Len(), *batch)
	}
	// Epochs are permutations of the pool (siim.Sampler), cut into whole
	// batches.
	sampler := siim.Sampler{Positive: make([]bool, train.Len()), Seed: *seed}
	for epoch := 1; len(xs) < n*s2; epoch++ {
		order := sampler.Epoch(epoch, -1, 0)
		for b, err := range loader.Batches(context.Background(), epoch, order) {
			if err != nil {
				return err
			}
			xs = append(xs, b.Images.Data...)
			ys = append(ys, b.Masks.Data...)
			ids = append(ids, b.IDs...)
			if len(xs) >= n*s2 {
				break
			}
		}
	}
	vl := siim.NewLoader(val, siim.LoaderConfig{Size: *size, Batch: 8})
	var vx, vy []float32
	vidx := make([]int, val.Len())
	for i := range vidx {
		vidx[i] = i
	}
	for b, err := range vl.Batches(context.Background(), 0, vidx) {
		if err != nil {
			return err
		}
		vx, vy = append(vx, b.Images.Data...), append(vy, b.Masks.Data...)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	write := func(name string, shape []int, d []float32) error {
		f, err := os.Create(filepath.Join(*out, name))
		if err != nil {
			return err
		}
		w := bufio.NewWriter(f)
		if err := npy.WriteFloat32(w, shape, d); err != nil {
			f.Close()
			return err
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if err := write("train_x.npy", []int{n, 1, *size, *size}, xs[:n*s2]); err != nil {
		return err
	}
	if err := write("train_y.npy", []int{n, 1, *size, *size}, ys[:n*s2]); err != nil {
		return err
	}
	nv := val.Len()
	if err := write("val_x.npy", []int{nv, 1, *size, *size}, vx); err != nil {
		return err
	}
	if err := write("val_y.npy", []int{nv, 1, *size, *size}, vy); err != nil {
		return err
	}
	meta, _ := json.MarshalIndent(map[string]any{
		"data": *data, "size": *size, "batch": *batch, "steps": *steps, "seed": *seed,
		"train_pool": train.Len(), "val": nv, "train_ids": ids[:n], "augment": aug,
	}, "", " ")
	return os.WriteFile(filepath.Join(*out, "stream.json"), meta, 0o644)
}

func readNpy(path string) ([]int, []float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return npy.ReadFloat32(bufio.NewReader(f))
}

func trainCmd(args []string) error {
	fs := flag.NewFlagSet("train", flag.ExitOnError)
	arch := fs.String("arch", "resnet18", "encoder: resnet18 or resnet34")
	initPath := fs.String("init", "", "initial weights (.pth from torch_side.py init)")
	stream := fs.String("stream", "", "folder written by stream")
	steps := fs.Int("steps", 5, "optimizer steps")
	batch := fs.Int("batch", 4, "batch size")
	lr := fs.Float64("lr", 1e-3, "AdamW peak learning rate")
	wd := fs.Float64("wd", 0.01, "AdamW weight decay")
	warmup := fs.Int("warmup", 1, "warm-up steps")
	minRatio := fs.Float64("min-ratio", 0.05, "final learning rate / peak")
	threads := fs.Int("threads", 2, "kernel threads")
	evalEvery := fs.Int("eval-every", 0, "validate every this many steps (0: at the end only)")
	saveAfter := fs.Int("save-after", 5, "write the state dict after this many steps (0: never)")
	out := fs.String("out", "", "output prefix: PREFIX_steps.jsonl, PREFIX_after<k>.npz")
	fs.Parse(args)
	if *initPath == "" || *stream == "" || *out == "" {
		return errors.New("train: -init, -stream and -out are required")
	}
	kernels.SetThreads(*threads)
	cfg, err := unet.ParseArch(*arch, 1)
	if err != nil {
		return err
	}
	m, err := unet.Open(*initPath, &cfg)
	if err != nil {
		return err
	}
	xShape, xs, err := readNpy(filepath.Join(*stream, "train_x.npy"))
	if err != nil {
		return err
	}
	_, ys, err := readNpy(filepath.Join(*stream, "train_y.npy"))
	if err != nil {
		return err
	}
	vShape, vx, err := readNpy(filepath.Join(*stream, "val_x.npy"))
	if err != nil {
		return err
	}
	_, vy, err := readNpy(filepath.Join(*stream, "val_y.npy"))
	if err != nil {
		return err
	}
	size := xShape[2]
	s2 := size * size
	if xShape[0] < *steps**batch {
		return fmt.Errorf("train: the stream holds %d images, %d steps of %d need %d", xShape[0], *steps, *batch, *steps**batch)
	}
	params := nn.Parameters(m)
	opt := optim.NewAdamW(params, optim.AdamConfig{LR: *lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: *wd})
	sched := optim.NewWarmupCosine(opt, *warmup, *steps, *minRatio)
	f, err := os.Create(*out + "_steps.jsonl")
	if err != nil {
		return err
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	ex := nn.NewExec(context.Background(), nn.NewArena(), true)
	m.SetTraining(true)
	var trainSecs float64
	evaluate := func(step int) error {
		t0 := time.Now()
		d, err := valDice(m, vShape, vx, vy)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "lungo step %d: val dice %.4f\n", step, d)
		return enc.Encode(map[string]any{"step": step, "val_dice": d, "eval_seconds": time.Since(t0).Seconds()})
	}
	for step := 1; step <= *steps; step++ {
		t0 := time.Now()
		lo := (step - 1) * *batch
		x := tensor.FromData(xs[lo*s2:(lo+*batch)*s2], *batch, 1, size, size)
		y := tensor.FromData(ys[lo*s2:(lo+*batch)*s2], *batch, 1, size, size)
		lrNow := opt.LR()
		if err := kernels.Acquire(context.Background()); err != nil {
			return err
		}
		opt.ZeroGrad()
		mask, _ := m.Forward(ex.Input(x))
		loss := nn.Combine(
			nn.WeightedLoss{Weight: 1, Loss: nn.BCEWithLogits(mask, y, nil)},
			nn.WeightedLoss{Weight: 1, Loss: nn.SoftDice(mask, y, 1, false)},
		)
		lv := float64(loss.Item())
		loss.Backward()
		ex.Arena().Release()
		gn := optim.ClipGradNorm(params, math.Inf(1)) // the norm only: nothing is clipped
		opt.Step()
		kernels.Release()
		sched.Step()
		secs := time.Since(t0).Seconds()
		trainSecs += secs
		if math.IsNaN(lv) || math.IsInf(lv, 0) {
			return fmt.Errorf("train: loss %v at step %d", lv, step)
		}
		if err := enc.Encode(map[string]any{"step": step, "loss": lv, "lr": lrNow, "grad_norm": gn, "seconds": secs}); err != nil {
			return err
		}
		if step == *saveAfter {
			if err := writeNpz(fmt.Sprintf("%s_after%d.npz", *out, step), m.StateDict()); err != nil {
				return err
			}
		}
		if (*evalEvery > 0 && step%*evalEvery == 0) || step == *steps {
			if err := evaluate(step); err != nil {
				return err
			}
			m.SetTraining(true)
		}
	}
	return enc.Encode(map[string]any{"train_seconds": trainSecs, "threads": *threads})
}

// valDice returns the competition metric (mean per-image Dice, 1 for an
// empty prediction of an empty mask) of the model's masks at probability
// 0.5 on the validation set, predicted 4 images at a time.
func valDice(m *unet.Model, shape []int, vx, vy []float32) (float64, error) {
	n, size := shape[0], shape[2]
	s2 := size * size
	var preds, truths []*siim.Mask
	for lo := 0; lo < n; lo += 4 {
		hi := min(n, lo+4)
		p, err := m.Predict(tensor.FromData(vx[lo*s2:hi*s2], hi-lo, 1, size, size))
		if err != nil {
			return 0, err
		}
		for i := range hi - lo {
			pm, tm := siim.NewMask(size, size), siim.NewMask(size, size)
			for k := range s2 {
				if p.Data[i*s2+k] > 0.5 {
					pm.Pix[k] = 1
				}
				if vy[(lo+i)*s2+k] > 0.5 {
					tm.Pix[k] = 1
				}
			}
			preds, truths = append(preds, pm), append(truths, tm)
		}
	}
	m.ReleaseInferenceMemory()
	return siim.Score(preds, truths), nil
}

// writeNpz writes the state dict as an uncompressed .npz (one .npy per
// key, float32; integer counters too), which numpy.load reads.
func writeNpz(path string, sd *nn.StateDict) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	for _, k := range sd.Keys {
		t := sd.Tensors[k]
		w, err := zw.CreateHeader(&zip.FileHeader{Name: k + ".npy", Method: zip.Store})
		if err != nil {
			f.Close()
			return err
		}
		if err := npy.WriteFloat32(w, t.Shape, t.Data); err != nil {
			f.Close()
			return err
		}
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
