package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// lungo quantize calibrates int8 inference: it runs the float32 model on
// calibration images, records the range of every tensor int8 inference
// quantizes (unet.Calibrate) and writes a checkpoint holding the weights
// and those ranges, for `lungo predict -precision int8 -weights OUT`.
func init() {
	register("quantize", "calibrate int8 inference on images and write a quantized checkpoint", runQuantize)
}

func runQuantize(args []string) error {
	fs := newFlags("quantize", "-weights W -calib DIR_OR_FILES[,...] -out Wq [-method minmax|percentile] [-size 512] [-n 64] [-dtype bf16]")
	mf := addModelFlags(fs)
	calib := fs.String("calib", "", "calibration images, comma-separated: folders of DICOM (a SIIM dataset's), PNG or JPEG files, such files, or float32 .npy [N, C, H, W] already normalised (as predict -input takes)")
	out := fs.String("out", "", "output checkpoint: the weights with the int8 calibration in its metadata")
	method := fs.String("method", "minmax", "calibration: minmax (the extremes seen) or percentile (per image 0.01th and 99.99th percentiles, averaged)")
	size := fs.Int("size", 512, "side the model sees: images are resized to it, as predict -dicom/-images does")
	limit := fs.Int("n", 64, "calibration images at most (the first, in name order)")
	dtype := fs.String("dtype", "fp32", "how the checkpoint stores the weights: fp32, bf16 or fp16 (half the size; calibrated on the rounded weights)")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	dt, err := nn.ParseDType(*dtype)
	if err != nil {
		return usagef("-dtype: %v", err)
	}
	if *calib == "" || *out == "" {
		return usagef("-calib and -out are required")
	}
	meth, err := unet.ParseCalibrationMethod(*method)
	if err != nil {
		return usagef("-method: %v", err)
	}
	if *size < 32 || *limit < 1 {
		return usagef("-size %d and -n %d: want >= 32 and >= 1", *size, *limit)
	}
	m, err := mf.open(os.Stderr)
	if err != nil {
		return err
	}
	if dt != nn.F32 {
		// Calibrate the weights the file will hold: round them as it will.
		var buf bytes.Buffer
		if err := nn.WriteSafetensorsAs(&buf, m.StateDict(), nil, dt); err != nil {
			return err
		}
		sd, _, err := nn.ParseSafetensors(buf.Bytes())
		if err != nil {
			return err
		}
		if err := nn.LoadStateDict(m, sd, true); err != nil {
			return err
		}
	}
	images, err := calibrationImages(strings.Split(*calib, ","), m.Config.InChannels, *size, *limit)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cal, err := unet.Calibrate(ctx, m, images, meth)
	if err != nil {
		return err
	}
	if err := m.SaveQuantizedAs(*out, cal, dt); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %s calibrated for int8 on %d images (%s, %d tensors)\n", *out, m.Config.Describe(), cal.Images, meth, len(cal.Ranges))
	return nil
}

// calibrationImages reads up to limit images from paths as [1, C, H, W]
// tensors: .npy files as they are (split into images), DICOM, PNG and JPEG
// resized to size x size and normalised as predict -dicom/-images does.
func calibrationImages(paths []string, inChannels, size, limit int) ([]*tensor.Tensor, error) {
	var out []*tensor.Tensor
	gray := func(g *image.Gray) error {
		if inChannels != 1 {
			return fmt.Errorf("calibration images are grey; the model takes %d channels: give float32 .npy files", inChannels)
		}
		out = append(out, grayInput(g, size))
		return nil
	}
	readFile := func(path string) error {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".npy":
			t, err := readNPY(path)
			if err != nil {
				return err
			}
			if len(t.Shape) == 2 {
				t = t.Reshape(1, 1, t.Shape[0], t.Shape[1])
			}
			if len(t.Shape) != 4 {
				return fmt.Errorf("%s: shape %v, want [N, C, H, W] or [H, W]", path, t.Shape)
			}
			per := t.Shape[1] * t.Shape[2] * t.Shape[3]
			for i := 0; i < t.Shape[0] && len(out) < limit; i++ {
				x := tensor.New(1, t.Shape[1], t.Shape[2], t.Shape[3])
				copy(x.Data, t.Data[i*per:(i+1)*per])
				out = append(out, x)
			}
			return nil
		case ".dcm":
			g, err := dicom.ReadGray8File(path)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			return gray(g)
		}
		g, err := siim.ReadGray8File(path)
		if err != nil {
			return err
		}
		return gray(g)
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		var files []string
		if !st.IsDir() {
			files = []string{p}
		} else {
			dcm, err := siim.ScanDir(p)
			if err != nil {
				return nil, err
			}
			for _, f := range dcm {
				files = append(files, f.Path)
			}
			if len(files) == 0 {
				imgs, err := collectImages([]string{p})
				if err != nil {
					return nil, fmt.Errorf("-calib %s: no DICOM files, and %w", p, err)
				}
				for _, f := range imgs {
					files = append(files, f.Path)
				}
			}
		}
		for _, f := range files {
			if len(out) >= limit {
				return out, nil
			}
			if err := readFile(f); err != nil {
				return nil, err
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-calib: no images")
	}
	return out, nil
}

// grayInput returns g resized to size x size and normalised as the
// model's input [1, 1, size, size], as predict -dicom/-images does.
func grayInput(g *image.Gray, size int) *tensor.Tensor {
	x := tensor.New(1, 1, size, size)
	if b := g.Bounds(); b.Dx() != size || b.Dy() != size {
		g = siim.ResizeGraySquare(g, size)
	}
	for y := 0; y < size; y++ {
		siim.ToUnit(x.Data[y*size:(y+1)*size], g.Pix[y*g.Stride:y*g.Stride+size])
	}
	siim.Normalize(x.Data, siim.DefaultMean, siim.DefaultStd)
	return x
}
