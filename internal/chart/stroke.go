package chart

import (
	"math"

	"golang.org/x/image/vector"
)

// pt is a point in a rasterizer's pixel coordinates.
type pt struct{ x, y float64 }

// Every shape is added with the same (clockwise on screen) winding: the
// rasterizer sums signed coverage, so overlapping pieces of one stroke
// (segments and their round joins) add up and saturate instead of
// cancelling.

// addSegment adds the rectangle of half-width hw around a-b.
func addSegment(z *vector.Rasterizer, a, b pt, hw float64) {
	dx, dy := b.x-a.x, b.y-a.y
	l := math.Hypot(dx, dy)
	if l == 0 {
		return
	}
	nx, ny := -dy/l*hw, dx/l*hw
	z.MoveTo(float32(a.x+nx), float32(a.y+ny))
	z.LineTo(float32(b.x+nx), float32(b.y+ny))
	z.LineTo(float32(b.x-nx), float32(b.y-ny))
	z.LineTo(float32(a.x-nx), float32(a.y-ny))
	z.ClosePath()
}

// addDisc adds a 16-gon of radius r around c.
func addDisc(z *vector.Rasterizer, c pt, r float64) {
	const n = 16
	z.MoveTo(float32(c.x+r), float32(c.y))
	for i := 1; i < n; i++ {
		a := -2 * math.Pi * float64(i) / n
		z.LineTo(float32(c.x+r*math.Cos(a)), float32(c.y+r*math.Sin(a)))
	}
	z.ClosePath()
}

// addPolyline adds a stroke of width 2*hw through pts with round joins
// and caps.
func addPolyline(z *vector.Rasterizer, pts []pt, hw float64) {
	for i, p := range pts {
		addDisc(z, p, hw)
		if i > 0 {
			addSegment(z, pts[i-1], p, hw)
		}
	}
}

// dashes splits the polyline pts into the pieces drawn by a dash pattern
// of on and off lengths (pixels), the pattern running on across vertices.
func dashes(pts []pt, on, off float64) [][]pt {
	var out [][]pt
	var cur []pt
	drawing, left := true, on
	if len(pts) > 0 {
		cur = []pt{pts[0]}
	}
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		seg, pos := math.Hypot(b.x-a.x, b.y-a.y), 0.0
		for seg-pos > left {
			pos += left
			t := pos / seg
			p := pt{a.x + t*(b.x-a.x), a.y + t*(b.y-a.y)}
			if drawing {
				if last := cur[len(cur)-1]; last != p { // a dash ending at a vertex
					cur = append(cur, p)
				}
				out = append(out, cur)
				cur, left = nil, off
			} else {
				cur, left = []pt{p}, on
			}
			drawing = !drawing
		}
		left -= seg - pos
		if drawing {
			cur = append(cur, b)
		}
	}
	if len(cur) > 1 {
		out = append(out, cur)
	}
	return out
}
