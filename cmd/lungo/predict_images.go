package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/infer"
	"github.com/lungo-ml/lungo/models/unet"
)

// Image mode of lungo predict (-images): PNG and JPEG files instead of
// DICOM, read by siim.ReadGray8File (the size checked from the header
// before the pixels are decoded; 8-bit grey as stored, colour as its luma,
// 16-bit by the auto window of DICOM images without one). It takes the
// DICOM mode's options and writes the same outputs (submission CSV, mask
// and overlay PNGs, probabilities, a score against -labels), named by
// image ID: the file name without its extension. predictGray, below, is
// the part both modes share.

// runPredictImages is `lungo predict -images LIST` with the DICOM mode's
// options o.
func runPredictImages(mf *modelFlags, list string, batch int, o dicomPredictOptions) error {
	if o.segDir != "" || o.scDir != "" {
		return usagef("-seg and -sc write DICOM objects derived from DICOM sources: use them with -dicom")
	}
	if o.submission == "" && o.npyDir == "" && o.masksDir == "" && o.overlays == "" && o.labels == "" {
		return usagef("-images needs an output: -submission, -npy, -masks, -overlays or -labels")
	}
	m, err := mf.open(os.Stderr)
	if err != nil {
		return err
	}
	if err := o.openReduced(m, *mf.weights); err != nil {
		return err
	}
	o.inputs, o.batch = strings.Split(list, ","), batch
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return predictImageFiles(ctx, m, *mf.weights, o)
}

// collectImages lists the PNG and JPEG files named by inputs or found under
// them (folders are searched recursively), sorted by ID within each
// folder. A file named directly is read whatever its extension. Two files
// with the same ID (their outputs would overwrite each other) are an error
// naming both.
func collectImages(inputs []string) ([]siim.ImageFile, error) {
	var files []siim.ImageFile
	seen := map[string]string{}
	add := func(path string) error {
		id := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		if prev, dup := seen[id]; dup {
			return fmt.Errorf("image ID %s twice: %s and %s (outputs are named by ID)", id, prev, path)
		}
		seen[id] = path
		files = append(files, siim.ImageFile{ID: id, Path: path})
		return nil
	}
	for _, in := range inputs {
		st, err := os.Stat(in)
		if err != nil {
			return nil, fmt.Errorf("%v: give PNG or JPEG files or folders holding them", err)
		}
		if !st.IsDir() {
			if err := add(in); err != nil {
				return nil, err
			}
			continue
		}
		var found []string
		err = filepath.WalkDir(in, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && siim.IsImageFile(d.Name()) {
				found = append(found, path)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("no PNG or JPEG files (.png, .jpg, .jpeg) under %s", in)
		}
		sort.Slice(found, func(i, j int) bool { return filepath.Base(found[i]) < filepath.Base(found[j]) })
		for _, p := range found {
			if err := add(p); err != nil {
				return nil, err
			}
		}
	}
	return files, nil
}

// predictImageFiles predicts every PNG or JPEG o.inputs name with m and
// writes the requested outputs.
func predictImageFiles(ctx context.Context, m *unet.Model, weights string, o dicomPredictOptions) error {
	files, err := collectImages(o.inputs)
	if err != nil {
		return err
	}
	tr, size, err := postProcessing(weights, o.thresholds, o.size, o.log)
	if err != nil {
		return err
	}
	var ids []string
	var imgs []*image.Gray
	for _, f := range files {
		img, err := siim.ReadGray8File(f.Path)
		if err != nil {
			if o.skipBad {
				fmt.Fprintf(o.log, "warning: skipping %v\n", err)
				continue
			}
			return fmt.Errorf("%w (use -skip-bad to skip unreadable files)", err)
		}
		ids, imgs = append(ids, f.ID), append(imgs, img)
	}
	if len(imgs) == 0 {
		return errors.New("no readable images")
	}
	return predictGray(ctx, m, o, tr, size, ids, imgs, nil)
}

// predictGray predicts imgs (8-bit display images, named ids) with m at
// size x size, post-processes with tr and writes what o asks for: the
// submission CSV, probabilities, mask and overlay PNGs, and the score
// against o.labels. each, if not nil, is called for every image after its
// PNGs are written (DICOM mode writes its SEG and SC objects there).
func predictGray(ctx context.Context, m *unet.Model, o dicomPredictOptions, tr infer.Triplet, size int,
	ids []string, imgs []*image.Gray, each func(i int, r infer.Result) error) error {
	var labels *siim.Labels
	if o.labels != "" {
		var err error
		if labels, err = siim.ReadLabelsFile(o.labels, 0, 0); err != nil {
			return err
		}
	}
	res, err := infer.PredictImages(ctx, infer.Predictor{Model: m, TTA: o.tta, Reduced: o.reduced}, ids, imgs, infer.Config{
		Size: size, Batch: o.batch, Triplet: tr, UseClass: o.useClass, ClassThreshold: float32(o.classThr)})
	if err != nil {
		return err
	}
	positives := 0
	for _, r := range res {
		if !r.Mask.Empty() {
			positives++
		}
	}
	fmt.Fprintf(o.log, "predicted %d images at %dx%d: %d with pneumothorax\n", len(res), size, size, positives)
	if o.submission != "" {
		if err := os.MkdirAll(filepath.Dir(o.submission), 0o755); err != nil {
			return err
		}
		if err := infer.WriteSubmissionFile(o.submission, res); err != nil {
			return err
		}
		fmt.Fprintf(o.log, "wrote %s\n", o.submission)
	}
	if o.npyDir != "" {
		if err := infer.WriteProbabilities(o.npyDir, res, size); err != nil {
			return err
		}
		fmt.Fprintf(o.log, "wrote probabilities [%d, %d] per image to %s/\n", size, size, o.npyDir)
	}
	for _, dir := range []string{o.masksDir, o.overlays} {
		if dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
		}
	}
	var truths []*siim.Mask
	for i, r := range res {
		var truth *siim.Mask
		if labels != nil {
			if l := labels.Get(r.ID); l != nil {
				if truth, err = l.Mask(r.Mask.H, r.Mask.W); err != nil {
					return fmt.Errorf("%s: %s: %w", o.labels, r.ID, err)
				}
				truths = append(truths, truth)
			}
		}
		if o.masksDir != "" {
			if err := infer.WriteMaskPNG(filepath.Join(o.masksDir, r.ID+".png"), r.Mask); err != nil {
				return err
			}
		}
		if o.overlays != "" {
			if err := infer.WriteOverlayPNG(filepath.Join(o.overlays, r.ID+".png"), imgs[i], r.Mask, truth); err != nil {
				return err
			}
		}
		if each != nil {
			if err := each(i, r); err != nil {
				return err
			}
		}
	}
	if o.masksDir != "" {
		fmt.Fprintf(o.log, "wrote %d masks to %s/\n", len(res), o.masksDir)
	}
	if o.overlays != "" {
		fmt.Fprintf(o.log, "wrote %d overlays to %s/\n", len(res), o.overlays)
	}
	if labels != nil {
		if len(truths) != len(res) {
			return fmt.Errorf("%s labels %d of the %d images: cannot score", o.labels, len(truths), len(res))
		}
		preds := make([]*siim.Mask, len(res))
		for i, r := range res {
			preds[i] = r.Mask
		}
		fmt.Fprintf(o.log, "competition dice against %s: %.4f\n", o.labels, siim.Score(preds, truths))
	}
	return nil
}
