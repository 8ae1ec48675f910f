package siim

import (
	"image"
	"math"
)

// Normalisation constants. Pixels map to x/255, then to (x - Mean) / Std.
// They are fixed rather than measured on a training set so that a model
// and its inputs agree whatever data it meets later: SIIM radiographs and
// the synthetic images both have a display mean near 0.5 and a standard
// deviation near 0.25, so inputs land roughly in [-2, 2]. PixelStats
// measures a set if other values are wanted.
const (
	DefaultMean = 0.5
	DefaultStd  = 0.25
)

// areaTap is the input cells one output cell covers and their coverage
// fractions (summing to 1).
type areaTap struct {
	first   int       // first input index
	weights []float32 // one per input index from first
}

// areaWeights returns the taps of dn output cells over sn input cells.
func areaWeights(dn, sn int) []areaTap {
	taps := make([]areaTap, dn)
	scale := float64(sn) / float64(dn)
	for o := range dn {
		lo, hi := float64(o)*scale, float64(o+1)*scale
		first := int(math.Floor(lo))
		last := min(int(math.Ceil(hi)), sn) // exclusive
		t := areaTap{first: first, weights: make([]float32, last-first)}
		for i := first; i < last; i++ {
			cover := math.Min(hi, float64(i+1)) - math.Max(lo, float64(i))
			t.weights[i-first] = float32(cover / scale)
		}
		taps[o] = t
	}
	return taps
}

// areaResize resamples an 8-bit plane of sh x sw (row-major, the given
// stride) to dh x dw by area averaging (each output pixel is the mean of
// the input area it covers, with fractional coverage at the edges). It
// calls emit for each output row in order with a reused buffer of dw
// floats.
func areaResize(dh, dw int, src []uint8, stride, sh, sw int, emit func(y int, row []float32)) {
	xt, yt := areaWeights(dw, sw), areaWeights(dh, sh)
	acc := make([]float32, dw)
	for y, t := range yt {
		clear(acc)
		for j, wy := range t.weights {
			in := src[(t.first+j)*stride : (t.first+j)*stride+sw]
			for x, tx := range xt {
				var s float32
				for k, wx := range tx.weights {
					s += wx * float32(in[tx.first+k])
				}
				acc[x] += wy * s
			}
		}
		emit(y, acc)
	}
}

// ResizeGray resamples src into dst (whose bounds give the output size)
// by area averaging, the right filter for shrinking a 1024 x 1024
// radiograph: every input pixel contributes in proportion to the area it
// shares with an output pixel. Values round to nearest.
func ResizeGray(dst, src *image.Gray) {
	sb := src.Bounds()
	sh, sw := sb.Dy(), sb.Dx()
	db := dst.Bounds()
	dh, dw := db.Dy(), db.Dx()
	if dh <= 0 || dw <= 0 || sh <= 0 || sw <= 0 {
		panicf("ResizeGray: empty image (%dx%d -> %dx%d)", sh, sw, dh, dw)
	}
	areaResize(dh, dw, src.Pix, src.Stride, sh, sw, func(y int, row []float32) {
		out := dst.Pix[y*dst.Stride : y*dst.Stride+dw]
		for x, v := range row {
			out[x] = clampByte(v)
		}
	})
}

// ResizeGraySquare returns src resized to s x s (ResizeGray).
func ResizeGraySquare(src *image.Gray, s int) *image.Gray {
	dst := image.NewGray(image.Rect(0, 0, s, s))
	ResizeGray(dst, src)
	return dst
}

func clampByte(v float32) uint8 {
	v += 0.5
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v)
}

// ResizeMaskNearest resamples src into dst (whose H and W give the size)
// by nearest neighbour: output pixel (y, x) takes the input pixel under its
// centre.
func ResizeMaskNearest(dst, src *Mask) {
	for y := range dst.H {
		sy := min((2*y+1)*src.H/(2*dst.H), src.H-1)
		srow := src.Pix[sy*src.W : (sy+1)*src.W]
		drow := dst.Pix[y*dst.W : (y+1)*dst.W]
		for x := range drow {
			drow[x] = srow[min((2*x+1)*src.W/(2*dst.W), src.W-1)]
		}
	}
}

// ResizeMaskArea resamples src into dst by area averaging, then sets the
// pixels whose covered fraction is at least threshold (0.5 keeps areas
// nearly unchanged; a small threshold keeps thin structures).
func ResizeMaskArea(dst, src *Mask, threshold float32) {
	// Mask pixels are 0 or 1, so the area average is the covered fraction.
	areaResize(dst.H, dst.W, src.Pix, src.W, src.H, src.W, func(y int, row []float32) {
		out := dst.Pix[y*dst.W : (y+1)*dst.W]
		for x, v := range row {
			out[x] = 0
			if v >= threshold-1e-6 {
				out[x] = 1
			}
		}
	})
}

// ToUnit converts 8-bit pixels to float32 in [0, 1] (x / 255) into dst,
// which must be as long as src.
func ToUnit(dst []float32, src []uint8) {
	if len(dst) != len(src) {
		panicf("ToUnit: %d outputs for %d pixels", len(dst), len(src))
	}
	for i, v := range src {
		dst[i] = float32(v) * (1.0 / 255)
	}
}

// Normalize maps values in [0, 1] in place to (x - mean) / std.
func Normalize(x []float32, mean, std float32) {
	inv := 1 / std
	for i, v := range x {
		x[i] = (v - mean) * inv
	}
}

// PixelStats returns the mean and standard deviation of the pixels of
// imgs, in [0, 1] units (x / 255).
func PixelStats(imgs []*image.Gray) (mean, std float64) {
	var s, s2, n float64
	for _, img := range imgs {
		b := img.Bounds()
		for y := range b.Dy() {
			for _, v := range img.Pix[y*img.Stride : y*img.Stride+b.Dx()] {
				f := float64(v) / 255
				s += f
				s2 += f * f
			}
		}
		n += float64(b.Dx() * b.Dy())
	}
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	mean = s / n
	return mean, math.Sqrt(math.Max(s2/n-mean*mean, 0))
}
