package infer

import (
	"context"
	"errors"
	"fmt"
	"image"

	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/tensor"
)

// Predictor turns image batches into probabilities with a model in
// evaluation mode, optionally averaging with the prediction of the
// horizontally flipped images (test-time augmentation).
type Predictor struct {
	Model *unet.Model
	TTA   bool
	// Reduced, when set, computes the masks in place of Model: a
	// unet.BF16Model or Int8Model built from Model (which still gives the
	// configuration). Reduced-precision models have no classification head.
	Reduced unet.Predictor
}

// masks runs the model that p predicts with.
func (p Predictor) masks(ctx context.Context, x *tensor.Tensor) (mask, class *tensor.Tensor, err error) {
	if p.Reduced != nil {
		mask, err = p.Reduced.PredictContext(ctx, x)
		return mask, nil, err
	}
	return p.Model.PredictAllContext(ctx, x)
}

// Predict returns sigmoid probabilities for x [N, C, H, W]: the mask
// [N, Classes, H, W] and, with a classification head, the class [N, K]
// (else nil).
func (p Predictor) Predict(x *tensor.Tensor) (mask, class *tensor.Tensor, err error) {
	return p.PredictContext(context.Background(), x)
}

// PredictContext is Predict that gives up when ctx is done (see
// unet.Model.PredictContext).
func (p Predictor) PredictContext(ctx context.Context, x *tensor.Tensor) (mask, class *tensor.Tensor, err error) {
	mask, class, err = p.masks(ctx, x)
	if err != nil || !p.TTA {
		return mask, class, err
	}
	fm, fc, err := p.masks(ctx, flipW(x))
	if err != nil {
		return nil, nil, err
	}
	fm = flipW(fm)
	for i := range mask.Data {
		mask.Data[i] = (mask.Data[i] + fm.Data[i]) / 2
	}
	if class != nil {
		for i := range class.Data {
			class.Data[i] = (class.Data[i] + fc.Data[i]) / 2
		}
	}
	return mask, class, nil
}

// flipW returns x [..., W] mirrored along its last dimension.
func flipW(x *tensor.Tensor) *tensor.Tensor {
	y := tensor.New(x.Shape...)
	w := x.Shape[len(x.Shape)-1]
	for r := 0; r < len(x.Data); r += w {
		src, dst := x.Data[r:r+w], y.Data[r:r+w]
		for i, v := range src {
			dst[w-1-i] = v
		}
	}
	return y
}

// Config sets how PredictImages turns radiographs into masks.
type Config struct {
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

// Result is one predicted image.
type Result struct {
	ID    string
	Prob  []float32  // mask probabilities at Size x Size
	Class float32    // classification probability (0 without a head)
	Mask  *siim.Mask // the decision, at the image's own size
}

// PredictImages predicts each image (8-bit display pixels of any size; the
// model sees it resized to cfg.Size) and returns the masks resized back to
// each image's size by nearest neighbour. It gives up with ctx's error when
// ctx is done, also in the middle of a batch.
func PredictImages(ctx context.Context, p Predictor, ids []string, imgs []*image.Gray, cfg Config) ([]Result, error) {
	if len(ids) != len(imgs) {
		return nil, fmt.Errorf("infer: PredictImages: %d ids for %d images", len(ids), len(imgs))
	}
	if cfg.Size <= 0 {
		return nil, fmt.Errorf("infer: PredictImages: Config.Size is %d", cfg.Size)
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
	out := make([]Result, 0, len(imgs))
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
			r := Result{ID: ids[i], Prob: append([]float32(nil), mask.Data[(i-lo)*s*s:(i-lo+1)*s*s]...)}
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

// PredictImage predicts one image of any type of the standard library's
// image package (as image.Decode returns them: *image.Gray, *image.Gray16,
// *image.RGBA, *image.NRGBA, *image.YCbCr, *image.Paletted, ...), converted
// to 8-bit grey by siim.Gray8: 8-bit grey as it is, colour as its luma,
// 16-bit by the auto window of DICOM images without one. The result is
// PredictImages' for that grey image, with an empty ID: probabilities at
// cfg.Size x cfg.Size and the mask at the image's own size (its bounds'
// width and height, from its top-left corner).
func PredictImage(ctx context.Context, p Predictor, img image.Image, cfg Config) (Result, error) {
	if img == nil {
		return Result{}, errors.New("infer: PredictImage: nil image")
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return Result{}, fmt.Errorf("infer: PredictImage: empty image (bounds %v)", b)
	}
	res, err := PredictImages(ctx, p, []string{""}, []*image.Gray{siim.Gray8(img)}, cfg)
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}
