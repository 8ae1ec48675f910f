package train

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"path/filepath"

	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/internal/npy"
	"github.com/lungo-ml/lungo/tensor"
)

// InferConfig sets how PredictImages turns radiographs into masks.
type InferConfig struct {
	Size      int     // side the model sees (the training size)
	Batch     int     // images per forward pass; default 4
	Mean, Std float32 // normalisation after x/255; zero: siim.DefaultMean/DefaultStd
	Triplet   Triplet // post-processing at Size; the zero value means a plain 0.5 threshold
	// UseClass, when the model has a classification head, decides positive
	// versus negative by its probability > ClassThreshold instead of the
	// triplet's min-area gate.
	UseClass       bool
	ClassThreshold float32
}

// ImageResult is one predicted image.
type ImageResult struct {
	ID    string
	Prob  []float32  // mask probabilities at Size x Size
	Class float32    // classification probability (0 without a head)
	Mask  *siim.Mask // the decision, at the image's own size
}

// PredictImages predicts each image (8-bit display pixels of any size; the
// model sees it resized to cfg.Size) and returns the masks resized back to
// each image's size by nearest neighbour. It gives up with ctx's error when
// ctx is done, also in the middle of a batch.
func PredictImages(ctx context.Context, p Predictor, ids []string, imgs []*image.Gray, cfg InferConfig) ([]ImageResult, error) {
	if len(ids) != len(imgs) {
		return nil, fmt.Errorf("train: PredictImages: %d ids for %d images", len(ids), len(imgs))
	}
	if cfg.Size <= 0 {
		return nil, fmt.Errorf("train: PredictImages: InferConfig.Size is %d", cfg.Size)
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 4
	}
	if cfg.Mean == 0 && cfg.Std == 0 {
		cfg.Mean, cfg.Std = siim.DefaultMean, siim.DefaultStd
	}
	if cfg.Triplet == (Triplet{}) {
		cfg.Triplet = Triplet{Top: 0.5, Bottom: 0.5}
	}
	s := cfg.Size
	out := make([]ImageResult, 0, len(imgs))
	for lo := 0; lo < len(imgs); lo += cfg.Batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(lo+cfg.Batch, len(imgs))
		x := tensor.New(hi-lo, 1, s, s)
		for i := lo; i < hi; i++ {
			small := imgs[i]
			if b := small.Bounds(); b.Dx() != s || b.Dy() != s {
				small = siim.ResizeGraySquare(small, s)
			}
			dst := x.Data[(i-lo)*s*s : (i-lo+1)*s*s]
			for y := 0; y < s; y++ {
				siim.ToUnit(dst[y*s:(y+1)*s], small.Pix[y*small.Stride:y*small.Stride+s])
			}
			siim.Normalize(dst, cfg.Mean, cfg.Std)
		}
		mask, class, err := p.PredictContext(ctx, x)
		if err != nil {
			return nil, err
		}
		for i := lo; i < hi; i++ {
			r := ImageResult{ID: ids[i], Prob: append([]float32(nil), mask.Data[(i-lo)*s*s:(i-lo+1)*s*s]...)}
			if class != nil {
				r.Class = class.Data[(i-lo)*class.Shape[1]]
			}
			small := siim.NewMask(s, s)
			pos := cfg.Triplet.Apply(small.Pix, r.Prob)
			if cfg.UseClass && class != nil {
				pos = r.Class > cfg.ClassThreshold
				if pos { // the classifier says positive: keep the bottom-threshold mask
					for j, v := range r.Prob {
						small.Pix[j] = b2u(v > cfg.Triplet.Bottom)
					}
				} else {
					clear(small.Pix)
				}
			}
			b := imgs[i].Bounds()
			r.Mask = siim.NewMask(b.Dy(), b.Dx())
			if b.Dx() == s && b.Dy() == s {
				copy(r.Mask.Pix, small.Pix)
			} else {
				siim.ResizeMaskNearest(r.Mask, small)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// WriteSubmissionFile writes results as a competition submission CSV
// (ImageId,EncodedPixels; -1 for empty), atomically.
func WriteSubmissionFile(path string, results []ImageResult) error {
	preds := make([]siim.Prediction, len(results))
	for i, r := range results {
		preds[i] = siim.Prediction{ImageID: r.ID, Mask: r.Mask}
	}
	return writeAtomic(path, func(f io.Writer) error { return siim.WriteSubmission(f, preds) })
}

// WriteProbabilities writes each result's probabilities as a float32 .npy
// file [Size, Size] named <ID>.npy in dir.
func WriteProbabilities(dir string, results []ImageResult, size int) error {
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
