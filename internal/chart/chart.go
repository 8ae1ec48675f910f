package chart

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"slices"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Series is one curve of a panel.
type Series struct {
	Name   string     // legend entry; series without a name stay out of the legend
	Color  color.RGBA // the zero value picks the panel's next colour of Palette
	X, Y   []float64  // same length; a point with a NaN or infinite coordinate leaves a gap
	Dashed bool
}

// Panel is one chart. Its x ticks are integers when every x value is (epochs).
type Panel struct {
	Title, XLabel, YLabel string
	Series                []Series
	// MarkX is where a vertical marker line is drawn, labelled MarkLabel
	// (the best epoch); NaN draws no marker.
	MarkX     float64
	MarkLabel string
}

// Panel sizes Render accepts, in pixels.
const (
	MinWidth, MinHeight = 160, 120
	MaxSide             = 1 << 14 // of the whole image
)

// Palette is matplotlib's "tab10" cycle, for series without a Color.
var Palette = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
	{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
}

var (
	background = color.RGBA{255, 255, 255, 255}
	ink        = color.RGBA{34, 34, 34, 255}
	gridColor  = color.RGBA{232, 232, 232, 255}
	frameColor = color.RGBA{110, 110, 110, 255}
	markColor  = color.RGBA{90, 90, 90, 255}
	veil       = color.RGBA{230, 230, 230, 230} // white at 90% opacity (premultiplied)
	boxColor   = color.RGBA{200, 200, 200, 255}
)

// Render draws the panels side by side, each w x h pixels, on a white
// background. It returns an error when a series has len(X) != len(Y),
// when there is no panel, or when a panel is smaller than MinWidth x
// MinHeight or the image larger than MaxSide.
func Render(panels []Panel, w, h int) (*image.RGBA, error) {
	if len(panels) == 0 {
		return nil, errors.New("chart: no panels")
	}
	if w < MinWidth || h < MinHeight {
		return nil, fmt.Errorf("chart: panel size %dx%d, need at least %dx%d", w, h, MinWidth, MinHeight)
	}
	if w > MaxSide/len(panels) || h > MaxSide {
		return nil, fmt.Errorf("chart: %d panels of %dx%d exceed %d pixels a side", len(panels), w, h, MaxSide)
	}
	for i, p := range panels {
		for j, s := range p.Series {
			if len(s.X) != len(s.Y) {
				return nil, fmt.Errorf("chart: panel %d (%q), series %d (%q): %d x values but %d y values", i, p.Title, j, s.Name, len(s.X), len(s.Y))
			}
		}
	}
	fs, err := newFaces()
	if err != nil {
		return nil, err
	}
	defer fs.close()
	img := image.NewRGBA(image.Rect(0, 0, len(panels)*w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(background), image.Point{}, draw.Src)
	for i, p := range panels {
		p.Series = slices.Clone(p.Series)
		next := 0
		for j := range p.Series {
			if p.Series[j].Color == (color.RGBA{}) {
				p.Series[j].Color = Palette[next%len(Palette)]
				next++
			}
		}
		f := layout(p, image.Rect(i*w, 0, (i+1)*w, h), fs)
		f.draw(img, p, fs)
	}
	return img, nil
}

var goRegular = sync.OnceValues(func() (*opentype.Font, error) { return opentype.Parse(goregular.TTF) })

// faces are the sizes of Go Regular a panel uses. A font.Face is not safe
// for concurrent use, so each Render makes its own.
type faces struct{ title, label, tick font.Face }

func newFaces() (*faces, error) {
	f, err := goRegular()
	if err != nil {
		return nil, fmt.Errorf("chart: parsing Go Regular: %w", err)
	}
	var fs faces
	for _, c := range []struct {
		dst  *font.Face
		size float64
	}{{&fs.title, 15}, {&fs.label, 13}, {&fs.tick, 12}} {
		if *c.dst, err = opentype.NewFace(f, &opentype.FaceOptions{Size: c.size, DPI: 72, Hinting: font.HintingFull}); err != nil {
			return nil, fmt.Errorf("chart: Go Regular at %vpt: %w", c.size, err)
		}
	}
	return &fs, nil
}

func (fs *faces) close() {
	for _, f := range []font.Face{fs.title, fs.label, fs.tick} {
		f.Close()
	}
}

// Text helpers: sizes in whole pixels, drawing at a baseline.

func ascent(f font.Face) int              { return f.Metrics().Ascent.Ceil() }
func lineHeight(f font.Face) int          { m := f.Metrics(); return (m.Ascent + m.Descent).Ceil() }
func textWidth(f font.Face, s string) int { return font.MeasureString(f, s).Ceil() }

func drawText(dst draw.Image, f font.Face, s string, x, baseline int, c color.RGBA) {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: f, Dot: fixed.P(x, baseline)}
	d.DrawString(s)
}

// drawTextUp draws s reading bottom to top with its top-left corner (of the
// rotated box) at (x, y).
func drawTextUp(dst draw.Image, f font.Face, s string, x, y int, c color.RGBA) {
	tw, th := textWidth(f, s), lineHeight(f)
	flat := image.NewAlpha(image.Rect(0, 0, tw, th))
	(&font.Drawer{Dst: flat, Src: image.Opaque, Face: f, Dot: fixed.P(0, ascent(f))}).DrawString(s)
	up := image.NewAlpha(image.Rect(0, 0, th, tw))
	for i := range tw {
		for j := range th {
			up.Pix[(tw-1-i)*up.Stride+j] = flat.Pix[j*flat.Stride+i]
		}
	}
	r := image.Rect(x, y, x+th, y+tw)
	draw.DrawMask(dst, r, image.NewUniform(c), image.Point{}, up, image.Point{}, draw.Over)
}

func fill(dst draw.Image, r image.Rectangle, c color.RGBA) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Over)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
