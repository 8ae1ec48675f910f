package chart

import (
	"image"
	"math"
	"slices"

	"golang.org/x/image/vector"
)

// frame is a panel's layout: where its plot area lies and which data range
// it shows.
type frame struct {
	panel, plot    image.Rectangle // the plot's frame lines lie just outside plot
	x0, x1, y0, y1 float64         // data at the frame lines
	xt, yt         []float64       // ticks; the first and last are x0, x1 (y0, y1)
	xl, yl         []string        // their labels
}

const (
	pad     = 8 // around the panel's edges
	tickLen = 4
	lineHW  = 1.1 // half-width of a series' line, pixels
	dotR    = 3   // radius of a lone point
)

// px and py map data to pixel coordinates: x0 to the middle of the left
// frame column (plot.Min.X-1), x1 to the right one (plot.Max.X).
func (f *frame) px(x float64) float64 {
	return float64(f.plot.Min.X) - 0.5 + (x-f.x0)/(f.x1-f.x0)*float64(f.plot.Dx()+1)
}

func (f *frame) py(y float64) float64 {
	return float64(f.plot.Max.Y) + 0.5 - (y-f.y0)/(f.y1-f.y0)*float64(f.plot.Dy()+1)
}

// layout places p's title, labels and ticks in r.
func layout(p Panel, r image.Rectangle, fs *faces) *frame {
	xlo, xhi, ylo, yhi, integer := extent(p)
	f := &frame{panel: r}
	top := r.Min.Y + pad
	if p.Title != "" {
		top += lineHeight(fs.title) + pad/2
	}
	bottom := r.Max.Y - pad - lineHeight(fs.tick) - tickLen - 2
	if p.XLabel != "" {
		bottom -= lineHeight(fs.label) + 2
	}
	f.yt = niceTicks(ylo, yhi, max(2, (bottom-top)/40), false)
	f.yl = tickLabels(f.yt)
	left := r.Min.X + pad + tickLen + 4
	for _, s := range f.yl {
		left = max(left, r.Min.X+pad+tickLen+4+textWidth(fs.tick, s))
	}
	if p.YLabel != "" {
		left += lineHeight(fs.label) + 4
	}
	right := r.Max.X - pad - 8
	// As many x ticks as fit with their labels apart.
	for n := max(2, (right-left)/45); ; n-- {
		f.xt = niceTicks(xlo, xhi, n, integer)
		f.xl = tickLabels(f.xt)
		widest := 0
		for _, s := range f.xl {
			widest = max(widest, textWidth(fs.tick, s))
		}
		if n == 1 || (widest+12)*(len(f.xt)-1) <= right-left {
			break
		}
	}
	f.plot = image.Rect(left+1, top+1, right, bottom)
	f.x0, f.x1 = f.xt[0], f.xt[len(f.xt)-1]
	f.y0, f.y1 = f.yt[0], f.yt[len(f.yt)-1]
	return f
}

// extent returns the range of p's finite points (and marker), and whether
// every x is an integer.
func extent(p Panel) (xlo, xhi, ylo, yhi float64, integer bool) {
	xlo, ylo, xhi, yhi = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	integer = true
	addX := func(x float64) {
		xlo, xhi = min(xlo, x), max(xhi, x)
		integer = integer && x == math.Trunc(x)
	}
	for _, s := range p.Series {
		for i, x := range s.X {
			if y := s.Y[i]; finite(x) && finite(y) {
				addX(x)
				ylo, yhi = min(ylo, y), max(yhi, y)
			}
		}
	}
	if finite(p.MarkX) {
		addX(p.MarkX)
	}
	if xlo > xhi {
		xlo, xhi = 0, 1
	}
	if ylo > yhi {
		ylo, yhi = 0, 1
	}
	return xlo, xhi, ylo, yhi, integer
}

// draw draws p into f's panel.
func (f *frame) draw(img *image.RGBA, p Panel, fs *faces) {
	pl := f.plot
	tickAsc, tickH := ascent(fs.tick), lineHeight(fs.tick)
	// Grid, tick marks and tick labels.
	for i, v := range f.xt {
		x := int(math.Floor(f.px(v)))
		if i > 0 && i < len(f.xt)-1 {
			fill(img, image.Rect(x, pl.Min.Y, x+1, pl.Max.Y), gridColor)
		}
		fill(img, image.Rect(x, pl.Max.Y+1, x+1, pl.Max.Y+1+tickLen), frameColor)
		tw := textWidth(fs.tick, f.xl[i])
		tx := min(max(x-tw/2, f.panel.Min.X+2), f.panel.Max.X-2-tw)
		drawText(img, fs.tick, f.xl[i], tx, pl.Max.Y+1+tickLen+2+tickAsc, ink)
	}
	capH := fs.tick.Metrics().CapHeight.Ceil()
	for i, v := range f.yt {
		y := int(math.Floor(f.py(v)))
		if i > 0 && i < len(f.yt)-1 {
			fill(img, image.Rect(pl.Min.X, y, pl.Max.X, y+1), gridColor)
		}
		fill(img, image.Rect(pl.Min.X-1-tickLen, y, pl.Min.X-1, y+1), frameColor)
		drawText(img, fs.tick, f.yl[i], pl.Min.X-1-tickLen-3-textWidth(fs.tick, f.yl[i]), y+capH/2, ink)
	}
	// The frame.
	fill(img, image.Rect(pl.Min.X-1, pl.Min.Y-1, pl.Max.X+1, pl.Min.Y), frameColor)
	fill(img, image.Rect(pl.Min.X-1, pl.Max.Y, pl.Max.X+1, pl.Max.Y+1), frameColor)
	fill(img, image.Rect(pl.Min.X-1, pl.Min.Y, pl.Min.X, pl.Max.Y), frameColor)
	fill(img, image.Rect(pl.Max.X, pl.Min.Y, pl.Max.X+1, pl.Max.Y), frameColor)

	// Titles.
	if p.Title != "" {
		tw := textWidth(fs.title, p.Title)
		tx := max(f.panel.Min.X+2, (pl.Min.X+pl.Max.X-tw)/2)
		drawText(img, fs.title, p.Title, tx, f.panel.Min.Y+pad+ascent(fs.title), ink)
	}
	if p.XLabel != "" {
		tw := textWidth(fs.label, p.XLabel)
		drawText(img, fs.label, p.XLabel, (pl.Min.X+pl.Max.X-tw)/2, pl.Max.Y+1+tickLen+2+tickH+2+ascent(fs.label), ink)
	}
	if p.YLabel != "" {
		tw := textWidth(fs.label, p.YLabel)
		drawTextUp(img, fs.label, p.YLabel, f.panel.Min.X+pad, max(f.panel.Min.Y, (pl.Min.Y+pl.Max.Y-tw)/2), ink)
	}

	// The curves, clipped a little outside the plot so that lines on the
	// frame are whole.
	clip := pl.Inset(-3)
	z := vector.NewRasterizer(clip.Dx(), clip.Dy())
	var obstacles []pt // what the legend should not hide, in image coordinates
	for _, s := range p.Series {
		z.Reset(clip.Dx(), clip.Dy())
		for _, run := range f.runs(s) {
			obstacles = append(obstacles, sample(run)...)
			for i := range run {
				run[i].x -= float64(clip.Min.X)
				run[i].y -= float64(clip.Min.Y)
			}
			switch {
			case len(run) == 1:
				addDisc(z, run[0], dotR)
			case s.Dashed:
				for _, d := range dashes(run, 7, 4) {
					addPolyline(z, d, lineHW)
				}
			default:
				addPolyline(z, run, lineHW)
			}
		}
		z.Draw(img, clip, image.NewUniform(s.Color), image.Point{})
	}

	// The marker: a dashed vertical line and its label at the top.
	if finite(p.MarkX) {
		x := int(math.Floor(f.px(p.MarkX)))
		for y := pl.Min.Y; y < pl.Max.Y; y += 8 {
			fill(img, image.Rect(x, y, x+1, min(y+5, pl.Max.Y)), markColor)
			if y%16 == pl.Min.Y%16 { // half the weight of a curve: hiding it costs less
				obstacles = append(obstacles, pt{float64(x), float64(y)})
			}
		}
		if p.MarkLabel != "" {
			tw := textWidth(fs.tick, p.MarkLabel)
			tx := x + 5
			if tx+tw > pl.Max.X-3 {
				tx = x - 5 - tw
			}
			box := image.Rect(tx-2, pl.Min.Y+3, tx+tw+2, pl.Min.Y+5+tickH)
			fill(img, box, veil)
			drawText(img, fs.tick, p.MarkLabel, tx, pl.Min.Y+4+tickAsc, markColor)
			for y := box.Min.Y; y < box.Max.Y; y += 2 {
				for x := box.Min.X; x < box.Max.X; x += 2 {
					obstacles = append(obstacles, pt{float64(x), float64(y)})
				}
			}
		}
	}
	f.drawLegend(img, p, fs, obstacles)
}

// runs returns s's unbroken stretches of finite points in image coordinates.
func (f *frame) runs(s Series) [][]pt {
	var out [][]pt
	var cur []pt
	for i, x := range s.X {
		if y := s.Y[i]; finite(x) && finite(y) {
			cur = append(cur, pt{f.px(x), f.py(y)})
		} else if cur != nil {
			out, cur = append(out, cur), nil
		}
	}
	if cur != nil {
		out = append(out, cur)
	}
	return out
}

// sample returns points along a polyline at most 4 pixels apart, its
// vertices (the data) thrice: hiding them costs the legend more.
func sample(run []pt) []pt {
	out := slices.Concat(run, run, run)
	for i := 1; i < len(run); i++ {
		a, b := run[i-1], run[i]
		n := int(math.Hypot(b.x-a.x, b.y-a.y) / 4)
		for k := 1; k < n; k++ {
			t := float64(k) / float64(n)
			out = append(out, pt{a.x + t*(b.x-a.x), a.y + t*(b.y-a.y)})
		}
	}
	return out
}

// legendBox returns where the legend of the named series goes: the place
// that hides the fewest obstacles, in the order of preference of
// matplotlib's loc="best" (the corners first, then the edges' middles).
func (f *frame) legendBox(named []Series, fs *faces, obstacles []pt) image.Rectangle {
	wmax := 0
	for _, s := range named {
		wmax = max(wmax, textWidth(fs.tick, s.Name))
	}
	bw, bh := 6+22+6+wmax+6, 4+len(named)*(lineHeight(fs.tick)+3)+2
	pl := f.plot.Inset(6)
	corners := []image.Point{
		{pl.Max.X - bw, pl.Min.Y}, {pl.Min.X, pl.Min.Y},
		{pl.Min.X, pl.Max.Y - bh}, {pl.Max.X - bw, pl.Max.Y - bh},
		{pl.Max.X - bw, (pl.Min.Y + pl.Max.Y - bh) / 2}, {pl.Min.X, (pl.Min.Y + pl.Max.Y - bh) / 2},
		{(pl.Min.X + pl.Max.X - bw) / 2, pl.Max.Y - bh}, {(pl.Min.X + pl.Max.X - bw) / 2, pl.Min.Y},
	}
	best, bestN := image.Rectangle{}, -1
	for _, c := range corners {
		r := image.Rectangle{c, c.Add(image.Pt(bw, bh))}
		n := 0
		for _, o := range obstacles {
			if o.x >= float64(r.Min.X-3) && o.x < float64(r.Max.X+3) && o.y >= float64(r.Min.Y-3) && o.y < float64(r.Max.Y+3) {
				n++
			}
		}
		if bestN < 0 || n < bestN {
			best, bestN = r, n
		}
	}
	return best
}

// drawLegend draws a box listing each named series' line and name.
func (f *frame) drawLegend(img *image.RGBA, p Panel, fs *faces, obstacles []pt) {
	var named []Series
	for _, s := range p.Series {
		if s.Name != "" {
			named = append(named, s)
		}
	}
	if len(named) == 0 {
		return
	}
	box := f.legendBox(named, fs, obstacles)
	fill(img, box, veil)
	fill(img, image.Rect(box.Min.X, box.Min.Y, box.Max.X, box.Min.Y+1), boxColor)
	fill(img, image.Rect(box.Min.X, box.Max.Y-1, box.Max.X, box.Max.Y), boxColor)
	fill(img, image.Rect(box.Min.X, box.Min.Y, box.Min.X+1, box.Max.Y), boxColor)
	fill(img, image.Rect(box.Max.X-1, box.Min.Y, box.Max.X, box.Max.Y), boxColor)
	rowH, capH := lineHeight(fs.tick)+3, fs.tick.Metrics().CapHeight.Ceil()
	z := vector.NewRasterizer(box.Dx(), box.Dy())
	for i, s := range named {
		mid := 4 + i*rowH + rowH/2 // a whole pixel: a 2-pixel line covers two rows fully
		line := []pt{{6, float64(mid)}, {28, float64(mid)}}
		z.Reset(box.Dx(), box.Dy())
		switch {
		case lonePoints(s):
			addDisc(z, pt{17, float64(mid)}, dotR)
		case s.Dashed:
			for _, d := range dashes(line, 7, 4) {
				addPolyline(z, d, 1)
			}
		default:
			addPolyline(z, line, 1)
		}
		z.Draw(img, box, image.NewUniform(s.Color), image.Point{})
		drawText(img, fs.tick, s.Name, box.Min.X+34, box.Min.Y+mid+capH/2, ink)
	}
}

// lonePoints reports whether s has points but no two finite ones in a row:
// it is drawn as dots, and so is its legend entry.
func lonePoints(s Series) bool {
	n := 0
	for i, x := range s.X {
		if finite(x) && finite(s.Y[i]) {
			if n++; i > 0 && finite(s.X[i-1]) && finite(s.Y[i-1]) {
				return false
			}
		}
	}
	return n > 0
}
