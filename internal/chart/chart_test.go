package chart

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/image/vector"
)

var (
	blue   = color.RGBA{31, 119, 180, 255} // matplotlib's tab:blue and tab:orange
	orange = color.RGBA{255, 127, 14, 255}
	green  = color.RGBA{44, 160, 44, 255}
	pure   = color.RGBA{0, 0, 255, 255}
)

// samplePanels are a training run's curves as train/ draws them.
func samplePanels() []Panel {
	const n = 30
	ep := make([]float64, n)
	trainLoss, valLoss, dice, lr := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		e := float64(i + 1)
		ep[i] = e
		trainLoss[i] = 0.9*math.Exp(-e/8) + 0.12 + 0.01*math.Sin(3*e)
		valLoss[i] = 0.85*math.Exp(-e/9) + 0.2 + 0.004*math.Max(0, e-18)*math.Max(0, e-18)/4
		dice[i] = 0.82 - 0.7*math.Exp(-e/6) + 0.015*math.Sin(2*e)
		lr[i] = 0.5 * (1 + math.Cos(math.Pi*float64(i)/n))
	}
	dice[6] = math.NaN() // a failed validation pass
	return []Panel{
		{Title: "Loss", XLabel: "epoch", YLabel: "Dice + BCE", MarkX: 19, MarkLabel: "best epoch 19", Series: []Series{
			{Name: "train", Color: blue, X: ep, Y: trainLoss},
			{Name: "validation", Color: orange, X: ep, Y: valLoss},
		}},
		{Title: "Validation Dice", XLabel: "epoch", YLabel: "Dice", MarkX: 19, MarkLabel: "best epoch 19", Series: []Series{
			{Name: "Dice", Color: green, X: ep, Y: dice},
			{Name: "learning rate / max", Color: blue, X: ep, Y: lr, Dashed: true},
			{Name: "held-out test", Color: orange, X: []float64{19}, Y: []float64{0.74}},
		}},
	}
}

func TestRenderSample(t *testing.T) {
	img, err := Render(samplePanels(), 480, 320)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 960 || b.Dy() != 320 {
		t.Fatalf("image is %v, want 960x320", b)
	}
	paths := []string{filepath.Join(t.TempDir(), "sample.png")}
	if p := os.Getenv("LUNGO_CHART_SAMPLE"); p != "" { // to look at it
		paths = append(paths, p)
	}
	for _, p := range paths {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// inked counts the pixels of r that are not background.
func inked(img *image.RGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.RGBAAt(x, y) != background {
				n++
			}
		}
	}
	return n
}

// covered reports whether the pixel at (x, y) is c drawn at >= 50% coverage
// over white or the grid.
func covered(img *image.RGBA, x, y int, c color.RGBA) bool {
	p := img.RGBAAt(x, y)
	d := func(a, b uint8) float64 { return math.Abs(float64(a) - float64(b)) }
	return d(p.R, c.R)+d(p.G, c.G)+d(p.B, c.B) < 0.5*(d(255, c.R)+d(255, c.G)+d(255, c.B))
}

// columnHas reports whether any pixel of column x within r is covered by c.
func columnHas(img *image.RGBA, x int, r image.Rectangle, c color.RGBA) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		if covered(img, x, y, c) {
			return true
		}
	}
	return false
}

func render(t *testing.T, p Panel, w, h int) (*image.RGBA, *frame) {
	t.Helper()
	img, err := Render([]Panel{p}, w, h)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := newFaces()
	if err != nil {
		t.Fatal(err)
	}
	defer fs.close()
	return img, layout(p, img.Bounds(), fs)
}

func TestTextDrawn(t *testing.T) {
	line := []Series{{Color: pure, X: []float64{0, 10}, Y: []float64{0, 1}}}
	with, f := render(t, Panel{Title: "Validation Dice", XLabel: "epoch", YLabel: "Dice", Series: line, MarkX: math.NaN()}, 400, 300)
	without, g := render(t, Panel{Series: line, MarkX: math.NaN()}, 400, 300)
	title := image.Rect(f.plot.Min.X, 0, f.plot.Max.X, f.plot.Min.Y-4)
	if n := inked(with, title); n < 60 {
		t.Errorf("title area has %d inked pixels, want text", n)
	}
	if n := inked(without, image.Rect(g.plot.Min.X, 0, g.plot.Max.X, g.plot.Min.Y-4)); n != 0 {
		t.Errorf("untitled panel has %d inked pixels above the plot", n)
	}
	// Tick labels: below each x tick and left of each y tick.
	for i, v := range f.xt {
		x := int(f.px(v))
		r := image.Rect(x-8, f.plot.Max.Y+1+tickLen, x+8, f.plot.Max.Y+20)
		if n := inked(with, r); n < 5 {
			t.Errorf("x tick %v (%q): %d inked pixels under it", v, f.xl[i], n)
		}
	}
	for i, v := range f.yt {
		y := int(f.py(v))
		r := image.Rect(f.plot.Min.X-1-tickLen-30, y-5, f.plot.Min.X-1-tickLen, y+5)
		if n := inked(with, r); n < 5 {
			t.Errorf("y tick %v (%q): %d inked pixels left of it", v, f.yl[i], n)
		}
	}
	// Axis labels: the x label below the tick labels, the y label at the left edge.
	if n := inked(with, image.Rect(f.plot.Min.X, f.plot.Max.Y+22, f.plot.Max.X, 300)); n < 20 {
		t.Errorf("x label area has %d inked pixels", n)
	}
	if n := inked(with, image.Rect(0, f.plot.Min.Y, pad+14, f.plot.Max.Y)); n < 20 {
		t.Errorf("y label area has %d inked pixels", n)
	}
	if g.plot.Min.X > f.plot.Min.X-14 {
		t.Errorf("plot starts at x=%d without a y label, %d with one: want room for the label", g.plot.Min.X, f.plot.Min.X)
	}
}

func TestLegend(t *testing.T) {
	red, teal := color.RGBA{214, 39, 40, 255}, color.RGBA{23, 190, 207, 255}
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	p := Panel{MarkX: math.NaN(), Series: []Series{
		{Name: "train", Color: red, X: x, Y: []float64{8, 7, 6, 5, 4, 3, 2, 1}},
		{Name: "validation", Color: teal, X: x, Y: []float64{8, 7.5, 6.5, 6, 5, 4.5, 4, 3.5}, Dashed: true},
	}}
	img, f := render(t, p, 400, 300)
	fs, _ := newFaces()
	defer fs.close()
	box := f.legendBox(p.Series, fs, nil)
	// Falling curves leave the upper right free: the legend goes there.
	if box.Max.X < f.plot.Max.X-10 || box.Min.Y > f.plot.Min.Y+10 {
		t.Errorf("legend at %v, want the upper right of %v", box, f.plot)
	}
	for _, c := range []color.RGBA{red, teal} {
		n := 0
		for y := box.Min.Y; y < box.Max.Y; y++ {
			for x := box.Min.X; x < box.Min.X+34; x++ {
				if img.RGBAAt(x, y) == c {
					n++
				}
			}
		}
		if n < 10 {
			t.Errorf("legend has %d pixels of %v, want its line sample", n, c)
		}
	}
	if n := inked(img, image.Rect(box.Min.X+34, box.Min.Y+2, box.Max.X-2, box.Max.Y-2)); n < 50 {
		t.Errorf("legend names: %d inked pixels", n)
	}
}

func TestPalette(t *testing.T) {
	x := []float64{0, 1}
	p := Panel{MarkX: math.NaN(), Series: []Series{{Name: "a", X: x, Y: x}, {Name: "b", Color: pure, X: x, Y: x}, {Name: "c", X: x, Y: x}}}
	img, _ := render(t, p, 400, 300)
	all := pixels(img, img.Bounds())
	for _, c := range []color.RGBA{Palette[0], pure, Palette[1]} {
		if !slices.Contains(all, c) {
			t.Errorf("no pixel of %v", c)
		}
	}
	if slices.Contains(all, Palette[2]) {
		t.Errorf("a third palette colour with two series without one")
	}
	if p.Series[0].Color != (color.RGBA{}) {
		t.Error("Render changed its argument's colours")
	}
}

func pixels(img *image.RGBA, r image.Rectangle) []color.RGBA {
	var out []color.RGBA
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			out = append(out, img.RGBAAt(x, y))
		}
	}
	return out
}

func TestNaNGap(t *testing.T) {
	nan := math.NaN()
	p := Panel{MarkX: nan, Series: []Series{{Color: pure,
		X: []float64{0, 1, 2, 3, 4, 5, 6, 7, 8},
		Y: []float64{1, 1, 1, nan, nan, 1, 1, nan, 1}}}}
	img, f := render(t, p, 400, 300)
	for _, c := range []struct {
		x    float64
		want bool
	}{{0.5, true}, {1.5, true}, {3, false}, {3.5, false}, {4, false}, {5.5, true}, {6.5, false}, {7.5, false}} {
		if got := columnHas(img, int(f.px(c.x)), f.plot, pure); got != c.want {
			t.Errorf("line at x=%v: %v, want %v", c.x, got, c.want)
		}
	}
	// The lone point at x=8 is a dot.
	x, y := int(f.px(8)), int(f.py(1))
	if !covered(img, x, y, pure) || !covered(img, x, y-2, pure) || !covered(img, x-2, y, pure) {
		t.Errorf("no dot at the lone point (%d, %d)", x, y)
	}
}

func TestMarker(t *testing.T) {
	p := Panel{MarkX: 13, MarkLabel: "best epoch 13", Series: []Series{{Color: pure,
		X: []float64{1, 30}, Y: []float64{0, 1}}}}
	img, f := render(t, p, 500, 300)
	var cols []int
	for x := f.plot.Min.X; x < f.plot.Max.X; x++ {
		n := 0
		for y := f.plot.Min.Y + 30; y < f.plot.Max.Y; y++ {
			if img.RGBAAt(x, y) == markColor {
				n++
			}
		}
		if n > f.plot.Dy()/3 {
			cols = append(cols, x)
		}
	}
	if want := int(math.Floor(f.px(13))); len(cols) != 1 || cols[0] != want {
		t.Errorf("marker columns %v, want [%d]", cols, want)
	}
	if n := inked(img, image.Rect(int(f.px(13))+3, f.plot.Min.Y+2, f.plot.Max.X, f.plot.Min.Y+18)); n < 50 {
		t.Errorf("marker label: %d inked pixels", n)
	}
	// No marker with NaN.
	p.MarkX = math.NaN()
	img, f = render(t, p, 500, 300)
	x := int(math.Floor(f.px(13)))
	for y := f.plot.Min.Y + 30; y < f.plot.Max.Y; y++ {
		if img.RGBAAt(x, y) == markColor {
			t.Fatalf("marker pixel at (%d, %d) with MarkX NaN", x, y)
		}
	}
}

// TestJoinWinding checks that a segment and the disc at its end add up:
// opposite windings would cancel to a hole where they overlap.
func TestJoinWinding(t *testing.T) {
	z := vector.NewRasterizer(20, 20)
	addPolyline(z, []pt{{2, 10}, {10, 10}, {10, 18}}, 2)
	a := image.NewAlpha(image.Rect(0, 0, 20, 20))
	z.Draw(a, a.Bounds(), image.Opaque, image.Point{})
	for _, p := range []image.Point{{5, 10}, {9, 9}, {10, 10}, {9, 14}} {
		if v := a.AlphaAt(p.X, p.Y).A; v != 255 {
			t.Errorf("coverage at %v = %d, want 255", p, v)
		}
	}
}

func TestDashes(t *testing.T) {
	got := dashes([]pt{{0, 0}, {10, 0}, {10, 10}}, 4, 2)
	// 0-4, 6-10 (ending at the corner), 12-16 (2..6 down), 18-20.
	want := [][]pt{{{0, 0}, {4, 0}}, {{6, 0}, {10, 0}}, {{10, 2}, {10, 6}}, {{10, 8}, {10, 10}}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("dashes = %v, want %v", got, want)
	}
}

func TestRenderErrors(t *testing.T) {
	ok := []Panel{{MarkX: math.NaN()}}
	for _, c := range []struct {
		panels []Panel
		w, h   int
		want   string
	}{
		{nil, 400, 300, "no panels"},
		{ok, MinWidth - 1, 300, "panel size"},
		{ok, 400, MinHeight - 1, "panel size"},
		{ok, MaxSide + 1, 300, "exceed"},
		{[]Panel{{Title: "loss", Series: []Series{{Name: "train", X: []float64{1, 2}, Y: []float64{1}}}}}, 400, 300, `("train"): 2 x values but 1 y values`},
	} {
		if _, err := Render(c.panels, c.w, c.h); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Render(%d panels, %d, %d) = %v, want an error containing %q", len(c.panels), c.w, c.h, err, c.want)
		}
	}
	// Empty panels and series without finite points still render.
	if _, err := Render([]Panel{{MarkX: math.NaN()}, {Series: []Series{{Y: []float64{}, X: []float64{}}}, MarkX: 1}}, MinWidth, MinHeight); err != nil {
		t.Errorf("empty panels: %v", err)
	}
}
