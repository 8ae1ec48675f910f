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
	"github.com/lungo-ml/lungo/infer"
	"github.com/lungo-ml/lungo/models/unet"
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
	precision  unet.Precision
	reduced    unet.Predictor // the bf16/int8 model for precision other than fp32 (openReduced)
}

// openReduced builds o.reduced from m for a precision other than fp32.
func (o *dicomPredictOptions) openReduced(m *unet.Model, weights string) error {
	if o.precision == unet.FP32 {
		return nil
	}
	var err error
	o.reduced, err = newPredictor(m, o.precision, weights, os.Stderr)
	return err
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
	var rw *resultWriter
	if o.segDir != "" || o.scDir != "" {
		if rw, err = newResultWriter(weights, size, tr, o.tta, o.useClass, o.classThr); err != nil {
			return err
		}
		for _, dir := range []string{o.segDir, o.scDir} {
			if dir != "" {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return err
				}
			}
		}
	}
	err = predictGray(ctx, m, o, tr, size, ids, imgs, func(i int, r infer.Result) error {
		if rw == nil {
			return nil
		}
		return writeDICOMResults(rw, paths[i], imgs[i], r, o.segDir, o.scDir)
	})
	if err != nil {
		return err
	}
	if o.segDir != "" {
		fmt.Fprintf(o.log, "wrote %d DICOM Segmentations to %s/\n", len(imgs), o.segDir)
	}
	if o.scDir != "" {
		fmt.Fprintf(o.log, "wrote %d overlay Secondary Captures to %s/\n", len(imgs), o.scDir)
	}
	return nil
}

// writeDICOMResults writes the SEG of r into segDir and its overlay
// Secondary Capture into scDir (either may be ""), each atomically, named
// after the image's ID. The source file is parsed again here rather than
// kept from reading, so that a folder of radiographs is not held in memory.
func writeDICOMResults(rw *resultWriter, path string, gray *image.Gray, r infer.Result, segDir, scDir string) error {
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
