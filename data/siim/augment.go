package siim

import (
	"math"

	"github.com/lungo-ml/lungo/tensor"
)

// Augment configures random augmentation applied identically to an image
// and its mask. Each transform fires with its probability (0 disables
// it). Geometric transforms sample the image bilinearly and the mask by
// nearest neighbour from the same coordinate map, with reflect-101 borders
// for both, so the two stay aligned.
type Augment struct {
	HFlip float64 // probability of a horizontal flip

	// Shift-scale-rotate about the centre: shift up to ±Shift of the side
	// in x and y, scale in [1-Scale, 1+Scale], rotation up to ±Rotate
	// degrees.
	SSR                  float64
	Shift, Scale, Rotate float64

	// Brightness and contrast: x*(1+c) + b with c in ±Contrast and b in
	// ±Brightness (in [0, 1] units), clamped to [0, 1].
	BrightnessContrast   float64
	Brightness, Contrast float64

	// Gamma: x^g with g in [GammaMin, GammaMax].
	Gamma              float64
	GammaMin, GammaMax float64

	// Grid distortion: the image is cut into GridSteps x GridSteps cells
	// whose corners move by up to ±GridLimit of a cell, the displacement
	// interpolated bilinearly in between.
	Grid      float64
	GridSteps int
	GridLimit float64
}

// DefaultAugment returns the usual SIIM recipe: flip 0.5; shift 0.0625,
// scale 0.1, rotate 10° at 0.5; brightness/contrast 0.1 at 0.5; gamma
// [0.8, 1.2] at 0.3; grid distortion (5 steps, 0.3) at 0.2.
func DefaultAugment() Augment {
	return Augment{
		HFlip: 0.5,
		SSR:   0.5, Shift: 0.0625, Scale: 0.1, Rotate: 10,
		BrightnessContrast: 0.5, Brightness: 0.1, Contrast: 0.1,
		Gamma: 0.3, GammaMin: 0.8, GammaMax: 1.2,
		Grid: 0.2, GridSteps: 5, GridLimit: 0.3,
	}
}

// Apply augments an s x s image (row-major float32, values in [0, 1]) and
// its s x s mask (row-major 0/1) in place. The random draws come from rng
// in a fixed order, so the same seed gives the same result. mask may be
// nil. It panics if the lengths are not s*s.
func (a *Augment) Apply(rng *tensor.RNG, img []float32, mask []uint8, s int) {
	if len(img) != s*s || (mask != nil && len(mask) != s*s) {
		panicf("Augment.Apply: image %d and mask %d values for %dx%d", len(img), len(mask), s, s)
	}
	// Draw everything up front in a fixed order.
	flip := rng.Float64() < a.HFlip
	ssr := rng.Float64() < a.SSR
	dx, dy := rng.Uniform(-a.Shift, a.Shift), rng.Uniform(-a.Shift, a.Shift)
	scale := rng.Uniform(1-a.Scale, 1+a.Scale)
	angle := rng.Uniform(-a.Rotate, a.Rotate)
	bc := rng.Float64() < a.BrightnessContrast
	bright, contrast := rng.Uniform(-a.Brightness, a.Brightness), rng.Uniform(-a.Contrast, a.Contrast)
	gam := rng.Float64() < a.Gamma
	g := rng.Uniform(a.GammaMin, a.GammaMax)
	grid := rng.Float64() < a.Grid && a.GridSteps > 0

	if flip {
		FlipH(img, mask, s)
	}
	// Shift-scale-rotate and grid distortion compose into one coordinate
	// map, so pixels are interpolated once: out(p) = src(ssr(grid(p))).
	var ssrMap, gridMap func(x, y float64) (float64, float64)
	if ssr {
		c := float64(s) / 2
		th := float64(angle) * math.Pi / 180
		cos, sin := math.Cos(th)/float64(scale), math.Sin(th)/float64(scale)
		tx, ty := float64(dx)*float64(s), float64(dy)*float64(s)
		// Output p maps to source C + R(-θ)/scale (p - C - t).
		ssrMap = func(x, y float64) (float64, float64) {
			u, v := x-c-tx, y-c-ty
			return c + cos*u + sin*v, c - sin*u + cos*v
		}
	}
	if grid {
		n := a.GridSteps
		cell := float64(s) / float64(n)
		lim := a.GridLimit * cell
		ddx := make([]float64, (n+1)*(n+1))
		ddy := make([]float64, (n+1)*(n+1))
		for i := range ddx {
			ddx[i] = float64(rng.Uniform(-lim, lim))
			ddy[i] = float64(rng.Uniform(-lim, lim))
		}
		gridMap = func(x, y float64) (float64, float64) {
			gx, gy := x/cell, y/cell
			ix, iy := min(int(gx), n-1), min(int(gy), n-1)
			fx, fy := gx-float64(ix), gy-float64(iy)
			i00, i10 := iy*(n+1)+ix, (iy+1)*(n+1)+ix
			w00, w01, w10, w11 := (1-fx)*(1-fy), fx*(1-fy), (1-fx)*fy, fx*fy
			return x + w00*ddx[i00] + w01*ddx[i00+1] + w10*ddx[i10] + w11*ddx[i10+1],
				y + w00*ddy[i00] + w01*ddy[i00+1] + w10*ddy[i10] + w11*ddy[i10+1]
		}
	}
	switch {
	case ssr && grid:
		remap(img, mask, s, func(x, y float64) (float64, float64) { return ssrMap(gridMap(x, y)) })
	case ssr:
		remap(img, mask, s, ssrMap)
	case grid:
		remap(img, mask, s, gridMap)
	}
	if bc {
		k, b := 1+contrast, bright
		for i, v := range img {
			img[i] = clampUnit(v*k + b)
		}
	}
	if gam {
		// x^g through a table with linear interpolation (error < 1e-4).
		const n = 1024
		var lut [n + 2]float32
		for i := range lut {
			lut[i] = float32(math.Pow(min(float64(i)/n, 1), float64(g)))
		}
		for i, v := range img {
			f := clampUnit(v) * n
			k := int(f)
			img[i] = lut[k] + (f-float32(k))*(lut[k+1]-lut[k])
		}
	}
}

func clampUnit(v float32) float32 {
	return min(max(v, 0), 1)
}

// FlipH mirrors an s x s image and its mask (may be nil) left to right,
// in place.
func FlipH(img []float32, mask []uint8, s int) {
	for y := range s {
		r := img[y*s : (y+1)*s]
		for i, j := 0, s-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		if mask != nil {
			m := mask[y*s : (y+1)*s]
			for i, j := 0, s-1; i < j; i, j = i+1, j-1 {
				m[i], m[j] = m[j], m[i]
			}
		}
	}
}

// reflect101 folds a coordinate into [0, n-1] without repeating the edge
// (…2 1 | 0 1 2 … n-2 n-1 | n-2 …), as OpenCV's BORDER_REFLECT_101.
func reflect101(i, n int) int {
	if n == 1 {
		return 0
	}
	p := 2 * (n - 1)
	i %= p
	if i < 0 {
		i += p
	}
	if i >= n {
		i = p - i
	}
	return i
}

// remap resamples an s x s image and mask in place: output pixel centre
// (x+0.5, y+0.5) reads the source at f(x+0.5, y+0.5), bilinearly for the
// image and by nearest neighbour for the mask.
func remap(img []float32, mask []uint8, s int, f func(x, y float64) (float64, float64)) {
	srcImg := append([]float32(nil), img...)
	var srcMask []uint8
	if mask != nil {
		srcMask = append([]uint8(nil), mask...)
	}
	for y := range s {
		for x := range s {
			u, v := f(float64(x)+0.5, float64(y)+0.5)
			u, v = u-0.5, v-0.5 // to pixel-index coordinates
			x0, y0 := int(math.Floor(u)), int(math.Floor(v))
			fx, fy := float32(u-float64(x0)), float32(v-float64(y0))
			xa, xb, ya, yb := x0, x0+1, y0, y0+1
			if x0 < 0 || y0 < 0 || x0 >= s-1 || y0 >= s-1 {
				xa, xb = reflect101(x0, s), reflect101(x0+1, s)
				ya, yb = reflect101(y0, s), reflect101(y0+1, s)
			}
			top := srcImg[ya*s+xa]*(1-fx) + srcImg[ya*s+xb]*fx
			bot := srcImg[yb*s+xa]*(1-fx) + srcImg[yb*s+xb]*fx
			img[y*s+x] = top*(1-fy) + bot*fy
			if mask != nil {
				nx := reflect101(int(math.Floor(u+0.5)), s)
				ny := reflect101(int(math.Floor(v+0.5)), s)
				mask[y*s+x] = srcMask[ny*s+nx]
			}
		}
	}
}
