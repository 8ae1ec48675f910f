package siim

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // registers JPEG for image.Decode
	_ "image/png"  // registers PNG for image.Decode
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// Plain image files (PNG, JPEG) as 8-bit display images: what `lungo
// predict -images` and the folder dataset (folder.go) read.

// MaxImagePixels bounds the width x height of an image file read by
// ReadGray8File and DecodeGray8: about 67 million pixels (8192 x 8192),
// several times a digital radiograph. The bound is checked on the header,
// before any pixel buffer is allocated (a 16-bit colour PNG of that size
// decodes into 512 MiB).
const MaxImagePixels = 1 << 26

// IsImageFile reports whether name has the extension of an image file
// ReadGray8File reads: .png, .jpg or .jpeg, in any case.
func IsImageFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg":
		return true
	}
	return false
}

// ReadGray8File reads a PNG or JPEG file (the format is told by its
// content) as 8-bit grey; see Gray8 for the conversion. Errors name the
// file.
func ReadGray8File(path string) (*image.Gray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := DecodeGray8(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// DecodeGray8 decodes a PNG or JPEG image from r as 8-bit grey (see
// Gray8). Its size is read from the header and checked against
// MaxImagePixels before the pixels are decoded.
func DecodeGray8(r io.Reader) (*image.Gray, error) {
	img, err := decodeChecked(r)
	if err != nil {
		return nil, err
	}
	return Gray8(img), nil
}

// decodeChecked decodes an image from r after checking the size its header
// gives. The bytes DecodeConfig consumed are kept and replayed to Decode, so
// r is read once and need not seek.
func decodeChecked(r io.Reader) (image.Image, error) {
	var head bytes.Buffer
	cfg, format, err := image.DecodeConfig(io.TeeReader(r, &head))
	if err != nil {
		return nil, fmt.Errorf("not a readable PNG or JPEG image: %w", err)
	}
	if err := checkImageSize(format, cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(io.MultiReader(&head, r))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", strings.ToUpper(format), err)
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, fmt.Errorf("%s: decoded %dx%d, the header says %dx%d", strings.ToUpper(format), b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	return img, nil
}

func checkImageSize(format string, w, h int) error {
	if w < 1 || h < 1 {
		return fmt.Errorf("%s image of %dx%d pixels", strings.ToUpper(format), w, h)
	}
	if int64(w)*int64(h) > MaxImagePixels {
		return fmt.Errorf("%s image of %dx%d pixels exceeds the limit of %d pixels", strings.ToUpper(format), w, h, MaxImagePixels)
	}
	return nil
}

// Gray8 converts any image to the 8-bit grey display values the models
// take, with its top-left corner at (0, 0):
//
//   - 8-bit grey is kept as it is (an *image.Gray at the origin is
//     returned itself, not copied);
//   - 8-bit colour (RGB, YCbCr JPEG, palettes, CMYK, ...) becomes its luma,
//     color.GrayModel's ITU-R BT.601 weights; transparent pixels are
//     composited over black;
//   - 16-bit grey (*image.Gray16) and 16-bit colour (*image.RGBA64,
//     *image.NRGBA64, as luma by color.Gray16Model) get the auto window of
//     DICOM images without one (data/dicom DisplayVOI): a linear window
//     from the 0.5th to the 99.5th percentile of the image's values (their
//     minimum and maximum when those coincide), rounded to 0..255; an
//     image of one value becomes 0. Radiographs saved as 16-bit PNG
//     usually hold 10-14-bit detector values, which a plain high byte
//     would render nearly black.
func Gray8(img image.Image) *image.Gray {
	b := img.Bounds()
	switch src := img.(type) {
	case *image.Gray:
		if b.Min == (image.Point{}) {
			return src
		}
		g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		for y := range b.Dy() {
			copy(g.Pix[y*g.Stride:y*g.Stride+b.Dx()], src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):])
		}
		return g
	case *image.Gray16, *image.RGBA64, *image.NRGBA64:
		return window16(img)
	case *image.YCbCr: // JPEG: the luma plane is Y itself
		g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		for y := range b.Dy() {
			for x := range b.Dx() {
				g.Pix[y*g.Stride+x] = src.Y[src.YOffset(b.Min.X+x, b.Min.Y+y)]
			}
		}
		return g
	}
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			g.Pix[y*g.Stride+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	return g
}

// window16 renders a 16-bit image with the percentile auto window (see
// Gray8).
func window16(img image.Image) *image.Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	vals := make([]uint16, w*h)
	counts := make([]int, 1<<16)
	g16, isGray := img.(*image.Gray16)
	for y := range h {
		for x := range w {
			var v uint16
			if isGray {
				v = g16.Gray16At(b.Min.X+x, b.Min.Y+y).Y
			} else {
				v = color.Gray16Model.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray16).Y
			}
			vals[y*w+x] = v
			counts[v]++
		}
	}
	lo, hi := autoWindow(counts, w*h)
	table := make([]uint8, 1<<16)
	if hi > lo {
		for v := range table {
			q := math.Floor((float64(v)-lo)/(hi-lo)*255 + 0.5)
			table[v] = uint8(max(0, min(255, q)))
		}
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i, v := range vals {
		g.Pix[i] = table[v]
	}
	return g
}

// autoWindow returns the 0.5th and 99.5th percentiles (numpy.percentile's
// linear method) of the n values counted in counts, or their minimum and
// maximum when the percentiles coincide.
func autoWindow(counts []int, n int) (lo, hi float64) {
	at := func(j int) float64 { // the j-th smallest value
		for v, c := range counts {
			if j < c {
				return float64(v)
			}
			j -= c
		}
		return float64(len(counts) - 1)
	}
	pct := func(q float64) float64 {
		vi := float64(n-1) * (q / 100)
		prev := math.Floor(vi)
		if vi >= float64(n-1) {
			return at(n - 1)
		}
		a, b := at(int(prev)), at(int(prev)+1)
		g := vi - prev
		if g >= 0.5 {
			return b - (b-a)*(1-g)
		}
		return a + (b-a)*g
	}
	lo, hi = pct(0.5), pct(99.5)
	if !(hi > lo) {
		lo, hi = at(0), at(n-1)
	}
	return lo, hi
}
