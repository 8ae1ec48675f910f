package train

import (
	"context"
	"errors"
	"fmt"
	"image"

	"github.com/lungo-ml/lungo/data/siim"
)

// PredictImage predicts one image of any type of the standard library's
// image package (as image.Decode returns them: *image.Gray, *image.Gray16,
// *image.RGBA, *image.NRGBA, *image.YCbCr, *image.Paletted, ...), converted
// to 8-bit grey by siim.Gray8: 8-bit grey as it is, colour as its luma,
// 16-bit by the auto window of DICOM images without one. The result is
// PredictImages' for that grey image, with an empty ID: probabilities at
// cfg.Size x cfg.Size and the mask at the image's own size (its bounds'
// width and height, from its top-left corner).
func PredictImage(ctx context.Context, p Predictor, img image.Image, cfg InferConfig) (ImageResult, error) {
	if img == nil {
		return ImageResult{}, errors.New("train: PredictImage: nil image")
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return ImageResult{}, fmt.Errorf("train: PredictImage: empty image (bounds %v)", b)
	}
	res, err := PredictImages(ctx, p, []string{""}, []*image.Gray{siim.Gray8(img)}, cfg)
	if err != nil {
		return ImageResult{}, err
	}
	return res[0], nil
}
