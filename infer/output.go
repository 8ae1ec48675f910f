package infer

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/internal/atomicfile"
	"github.com/lungo-ml/lungo/internal/npy"
)

// WriteSubmissionFile writes results as a competition submission CSV
// (ImageId,EncodedPixels; -1 for empty), atomically.
func WriteSubmissionFile(path string, results []Result) error {
	preds := make([]siim.Prediction, len(results))
	for i, r := range results {
		preds[i] = siim.Prediction{ImageID: r.ID, Mask: r.Mask}
	}
	return writeAtomic(path, func(f io.Writer) error { return siim.WriteSubmission(f, preds) })
}

// WriteProbabilities writes each result's probabilities as a float32 .npy
// file [Size, Size] named <ID>.npy in dir.
func WriteProbabilities(dir string, results []Result, size int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, r := range results {
		err := writeAtomic(filepath.Join(dir, r.ID+".npy"), func(f io.Writer) error {
			return npy.WriteFloat32(f, []int{size, size}, r.Prob)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Overlay colours.
var (
	PredColor  = color.RGBA{255, 40, 40, 255} // predicted outline
	TruthColor = color.RGBA{40, 220, 80, 255} // true outline
)

// Overlay returns the radiograph in grey with the outline of pred in
// PredColor and, if truth is not nil, the outline of truth in TruthColor.
// The masks must have the image's size.
func Overlay(img *image.Gray, pred, truth *siim.Mask) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			v := img.Pix[y*img.Stride+x]
			out.SetRGBA(x, y, color.RGBA{v, v, v, 255})
		}
	}
	drawOutline(out, truth, TruthColor)
	drawOutline(out, pred, PredColor)
	return out
}

// drawOutline colours the mask pixels that touch a pixel outside the mask.
func drawOutline(img *image.RGBA, m *siim.Mask, c color.RGBA) {
	if m == nil {
		return
	}
	at := func(y, x int) bool { return y >= 0 && y < m.H && x >= 0 && x < m.W && m.Pix[y*m.W+x] != 0 }
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			if at(y, x) && (!at(y-1, x) || !at(y+1, x) || !at(y, x-1) || !at(y, x+1)) {
				img.SetRGBA(x, y, c)
			}
		}
	}
}

// WriteMaskPNG writes m as an 8-bit PNG (0 and 255), atomically.
func WriteMaskPNG(path string, m *siim.Mask) error {
	g := image.NewGray(image.Rect(0, 0, m.W, m.H))
	for i, v := range m.Pix {
		g.Pix[i] = 255 * v
	}
	return writePNGAtomic(path, g)
}

// WriteOverlayPNG writes Overlay(img, pred, truth) to path, atomically.
func WriteOverlayPNG(path string, img *image.Gray, pred, truth *siim.Mask) error {
	return writePNGAtomic(path, Overlay(img, pred, truth))
}

// writePNGAtomic encodes img to path atomically (package atomicfile).
func writePNGAtomic(path string, img image.Image) error {
	return writeAtomic(path, func(f io.Writer) error { return png.Encode(f, img) })
}

// writeAtomic writes path through a temporary file in the same directory,
// synced and renamed over path (package atomicfile).
func writeAtomic(path string, write func(w io.Writer) error) error {
	if err := atomicfile.Write(path, write); err != nil {
		return fmt.Errorf("infer: %w", err)
	}
	return nil
}
