package train

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
)

// Series is one line of a chart.
type Series struct {
	Name  string
	Color color.RGBA
	X, Y  []float64
}

// Chart is a titled panel of line series.
type Chart struct {
	Title  string
	Series []Series
}

// WriteChartsPNG draws the charts side by side (each w x h pixels) and writes
// them atomically to path as PNG. Axes are labelled with their ranges using a
// small built-in bitmap font, so no font files are needed.
func WriteChartsPNG(path string, charts []Chart, w, h int) error {
	img := image.NewRGBA(image.Rect(0, 0, w*len(charts), h))
	fillRect(img, img.Bounds(), color.RGBA{255, 255, 255, 255})
	for i, c := range charts {
		drawChart(img, image.Rect(i*w, 0, (i+1)*w, h), c)
	}
	return writePNGAtomic(path, img)
}

func drawChart(img *image.RGBA, r image.Rectangle, c Chart) {
	const scale = 2
	pad := 12 * scale
	plot := image.Rect(r.Min.X+pad*3, r.Min.Y+pad*2, r.Max.X-pad, r.Max.Y-pad*2)
	drawText(img, r.Min.X+pad*3, r.Min.Y+pad/2, c.Title, color.RGBA{0, 0, 0, 255}, scale)
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range c.Series {
		for i := range s.X {
			if math.IsNaN(s.Y[i]) || math.IsInf(s.Y[i], 0) {
				continue
			}
			xmin, xmax = math.Min(xmin, s.X[i]), math.Max(xmax, s.X[i])
			ymin, ymax = math.Min(ymin, s.Y[i]), math.Max(ymax, s.Y[i])
		}
	}
	grey := color.RGBA{160, 160, 160, 255}
	line(img, plot.Min.X, plot.Max.Y, plot.Max.X, plot.Max.Y, grey)
	line(img, plot.Min.X, plot.Min.Y, plot.Min.X, plot.Max.Y, grey)
	if math.IsInf(xmin, 1) {
		return
	}
	if xmax == xmin {
		xmax = xmin + 1
	}
	if ymax == ymin {
		ymax, ymin = ymax+0.5, ymin-0.5
	}
	black := color.RGBA{0, 0, 0, 255}
	drawText(img, r.Min.X+2, plot.Min.Y, fmt.Sprintf("%.3g", ymax), black, 1)
	drawText(img, r.Min.X+2, plot.Max.Y-7, fmt.Sprintf("%.3g", ymin), black, 1)
	drawText(img, plot.Min.X, plot.Max.Y+4, fmt.Sprintf("%.3g", xmin), black, 1)
	drawText(img, plot.Max.X-24, plot.Max.Y+4, fmt.Sprintf("%.3g", xmax), black, 1)
	px := func(x float64) int { return plot.Min.X + int((x-xmin)/(xmax-xmin)*float64(plot.Dx()-1)) }
	py := func(y float64) int { return plot.Max.Y - int((y-ymin)/(ymax-ymin)*float64(plot.Dy()-1)) }
	legendY := r.Min.Y + pad/2 // on the title's row, clear of the data
	for _, s := range c.Series {
		prev := -1
		for i := range s.X {
			if math.IsNaN(s.Y[i]) || math.IsInf(s.Y[i], 0) {
				prev = -1
				continue
			}
			if prev >= 0 {
				line(img, px(s.X[prev]), py(s.Y[prev]), px(s.X[i]), py(s.Y[i]), s.Color)
			}
			fillRect(img, image.Rect(px(s.X[i])-1, py(s.Y[i])-1, px(s.X[i])+2, py(s.Y[i])+2), s.Color)
			prev = i
		}
		drawText(img, plot.Max.X-8*len(s.Name)-4, legendY, s.Name, s.Color, 1)
		legendY += 10
	}
}

func fillRect(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

// line draws with Bresenham's algorithm.
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	err := dx + dy
	for {
		if (image.Point{x0, y0}).In(img.Bounds()) {
			img.SetRGBA(x0, y0, c)
		}
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * err
		if e2 >= dy {
			err += dy
			x0 += sx
		}
		if e2 <= dx {
			err += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// font5x7 holds 5x7 glyphs (letters drawn as capitals): 7 rows of 5 columns.
var font5x7 = map[rune][7]string{
	'0': {" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "},
	'1': {"  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "},
	'2': {" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"},
	'3': {"#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "},
	'4': {"   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "},
	'5': {"#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "},
	'6': {"  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "},
	'7': {"#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "},
	'8': {" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "},
	'9': {" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "},
	'.': {"     ", "     ", "     ", "     ", "     ", " ##  ", " ##  "},
	'-': {"     ", "     ", "     ", "#####", "     ", "     ", "     "},
	'+': {"     ", "  #  ", "  #  ", "#####", "  #  ", "  #  ", "     "},
	'a': {" ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"},
	'b': {"#### ", "#   #", "#   #", "#### ", "#   #", "#   #", "#### "},
	'c': {" ### ", "#   #", "#    ", "#    ", "#    ", "#   #", " ### "},
	'd': {"#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### "},
	'e': {"#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####"},
	'f': {"#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    "},
	'g': {" ### ", "#   #", "#    ", "# ###", "#   #", "#   #", " ####"},
	'h': {"#   #", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"},
	'i': {" ### ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "},
	'j': {"  ###", "   # ", "   # ", "   # ", "   # ", "#  # ", " ##  "},
	'k': {"#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #"},
	'l': {"#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####"},
	'm': {"#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #"},
	'n': {"#   #", "#   #", "##  #", "# # #", "#  ##", "#   #", "#   #"},
	'o': {" ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "},
	'p': {"#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    "},
	'q': {" ### ", "#   #", "#   #", "#   #", "# # #", "#  # ", " ## #"},
	'r': {"#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #"},
	's': {" ####", "#    ", "#    ", " ### ", "    #", "    #", "#### "},
	't': {"#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  "},
	'u': {"#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "},
	'v': {"#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  "},
	'w': {"#   #", "#   #", "#   #", "# # #", "# # #", "# # #", " # # "},
	'x': {"#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #"},
	'y': {"#   #", "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  "},
	'z': {"#####", "    #", "   # ", "  #  ", " #   ", "#    ", "#####"},
	'(': {"   # ", "  #  ", " #   ", " #   ", " #   ", "  #  ", "   # "},
	')': {" #   ", "  #  ", "   # ", "   # ", "   # ", "  #  ", " #   "},
	':': {"     ", " ##  ", " ##  ", "     ", " ##  ", " ##  ", "     "},
	'/': {"    #", "    #", "   # ", "  #  ", " #   ", "#    ", "#    "},
	'_': {"     ", "     ", "     ", "     ", "     ", "     ", "#####"},
}

// drawText draws s at (x, y) (top-left) in the built-in font; letters
// without a glyph are drawn as small blocks so labels keep their length.
func drawText(img *image.RGBA, x, y int, s string, c color.RGBA, scale int) {
	for _, ch := range s {
		g, ok := font5x7[ch]
		if !ok && ch >= 'A' && ch <= 'Z' { // capitals share the lowercase glyphs
			g, ok = font5x7[ch+'a'-'A']
		}
		switch {
		case ok:
			for row, bits := range g {
				for col, b := range bits {
					if b == '#' {
						fillRect(img, image.Rect(x+col*scale, y+row*scale, x+(col+1)*scale, y+(row+1)*scale), c)
					}
				}
			}
		case ch != ' ':
			fillRect(img, image.Rect(x+scale, y+2*scale, x+4*scale, y+6*scale), c)
		}
		x += 6 * scale
	}
}

// writePNGAtomic encodes img to a temporary file beside path and renames it.
func writePNGAtomic(path string, img image.Image) error {
	return writeAtomic(path, func(f io.Writer) error { return png.Encode(f, img) })
}
