package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/data/dicom/seg"
	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/train"
)

// dicomPredictOptions are predict's DICOM-mode flags.
type dicomPredictOptions struct {
	inputs     []string // DICOM files or folders (searched recursively)
	size       int      // side the model sees; 0: thresholds.json's, else 512
	thresholds string   // thresholds.json from `lungo train`; "" looks beside the weights
	tta        bool
	useClass   bool
	classThr   float64
	batch      int
	skipBad    bool
	submission string // CSV path
	npyDir     string // probabilities per image
	masksDir   string
	overlays   string
	segDir     string // DICOM Segmentations, DIR/<id>.seg.dcm
	scDir      string // overlay Secondary Captures, DIR/<id>.sc.dcm
	labels     string // optional: true masks for overlays and a score
	log        io.Writer
}

// collectDICOM lists the .dcm files named or found under the inputs.
func collectDICOM(inputs []string) ([]siim.ImageFile, error) {
	var files []siim.ImageFile
	for _, in := range inputs {
		st, err := os.Stat(in)
		if err != nil {
			return nil, fmt.Errorf("%v: give DICOM files or folders holding them", err)
		}
		if !st.IsDir() {
			files = append(files, siim.ImageFile{ID: strings.TrimSuffix(filepath.Base(in), ".dcm"), Path: in})
			continue
		}
		found, err := siim.ScanDir(in)
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("no .dcm files under %s", in)
		}
		files = append(files, found...)
	}
	return files, nil
}

// predictDICOM predicts every input image with m and writes the requested
// outputs.
func predictDICOM(ctx context.Context, m *unet.Model, weights string, o dicomPredictOptions) error {
	files, err := collectDICOM(o.inputs)
	if err != nil {
		return err
	}
	tr, size, err := postProcessing(weights, o.thresholds, o.size, o.log)
	if err != nil {
		return err
	}
	var labels *siim.Labels
	if o.labels != "" {
		if labels, err = siim.ReadLabelsFile(o.labels, 0, 0); err != nil {
			return err
		}
	}
	var ids, paths []string
	var imgs []*image.Gray
	for _, f := range files {
		img, err := dicom.ReadGray8File(f.Path)
		if err != nil {
			if o.skipBad {
				fmt.Fprintf(o.log, "warning: skipping %s: %v\n", f.Path, err)
				continue
			}
			return fmt.Errorf("%s: %w (use -skip-bad to skip unreadable files)", f.Path, err)
		}
		ids, paths, imgs = append(ids, f.ID), append(paths, f.Path), append(imgs, img)
	}
	if len(imgs) == 0 {
		return errors.New("no readable images")
	}
	res, err := train.PredictImages(ctx, train.Predictor{Model: m, TTA: o.tta}, ids, imgs, train.InferConfig{
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
		if err := train.WriteSubmissionFile(o.submission, res); err != nil {
			return err
		}
		fmt.Fprintf(o.log, "wrote %s\n", o.submission)
	}
	if o.npyDir != "" {
		if err := train.WriteProbabilities(o.npyDir, res, size); err != nil {
			return err
		}
		fmt.Fprintf(o.log, "wrote probabilities [%d, %d] per image to %s/\n", size, size, o.npyDir)
	}
	var rw *resultWriter
	if o.segDir != "" || o.scDir != "" {
		if rw, err = newResultWriter(weights, size, tr, o.tta, o.useClass, o.classThr); err != nil {
			return err
		}
	}
	for _, dir := range []string{o.masksDir, o.overlays, o.segDir, o.scDir} {
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
			if err := train.WriteMaskPNG(filepath.Join(o.masksDir, r.ID+".png"), r.Mask); err != nil {
				return err
			}
		}
		if o.overlays != "" {
			if err := train.WriteOverlayPNG(filepath.Join(o.overlays, r.ID+".png"), imgs[i], r.Mask, truth); err != nil {
				return err
			}
		}
		if rw != nil {
			if err := writeDICOMResults(rw, paths[i], imgs[i], r, o.segDir, o.scDir); err != nil {
				return err
			}
		}
	}
	if o.segDir != "" {
		fmt.Fprintf(o.log, "wrote %d DICOM Segmentations to %s/\n", len(res), o.segDir)
	}
	if o.scDir != "" {
		fmt.Fprintf(o.log, "wrote %d overlay Secondary Captures to %s/\n", len(res), o.scDir)
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

// writeDICOMResults writes the SEG of r into segDir and its overlay
// Secondary Capture into scDir (either may be ""), each atomically, named
// after the image's ID. The source file is parsed again here rather than
// kept from reading, so that a folder of radiographs is not held in memory.
func writeDICOMResults(rw *resultWriter, path string, gray *image.Gray, r train.ImageResult, segDir, scDir string) error {
	src, err := dicom.ReadFile(path)
	if err != nil {
		return err
	}
	if segDir != "" {
		out := filepath.Join(segDir, r.ID+".seg.dcm")
		if err := seg.WriteFile(out, func(w io.Writer) error {
			_, err := rw.segmentation(w, src, r.Mask)
			return err
		}); err != nil {
			return fmt.Errorf("%s: %s: %w", path, out, err)
		}
	}
	if scDir != "" {
		out := filepath.Join(scDir, r.ID+".sc.dcm")
		if err := seg.WriteFile(out, func(w io.Writer) error {
			_, err := rw.overlay(w, src, gray, r.Mask)
			return err
		}); err != nil {
			return fmt.Errorf("%s: %s: %w", path, out, err)
		}
	}
	return nil
}
