package kernels

// Generic 2x upsampling over NHWC, split across output (forward) or input
// (backward) rows so each thread writes its own rows.

func upsampleNearest2xGeneric(y, x []float32, n, h, w, c int) {
	upsampleConcatGeneric(y, x, nil, n, h, w, c, 0)
}

func upsampleNearest2xBackwardGeneric(dx, dy []float32, n, h, w, c int) {
	upsampleConcatBackwardGeneric(dx, nil, dy, n, h, w, c, 0, false)
}

// upsampleConcatGeneric: one task per output row; each output cell is the
// x cell it repeats, then the skip cell.
func upsampleConcatGeneric(y, x, skip []float32, n, h, w, c, k int) {
	ct := c + k
	Parallel(n*2*h, max(1, ewGrain/max(1, 2*w*ct)), func(lo, hi int) {
		for row := lo; row < hi; row++ {
			src := x[(row/2)*w*c : (row/2+1)*w*c] // row/2 = n*h + i/2
			for ox := 0; ox < 2*w; ox++ {
				q := row*2*w + ox
				dst := y[q*ct : (q+1)*ct]
				copy(dst[:c], src[(ox/2)*c:(ox/2+1)*c])
				if k > 0 {
					copy(dst[c:], skip[q*k:(q+1)*k])
				}
			}
		}
	})
}

// upsampleConcatBackwardGeneric: one task per input row (two output rows);
// a dx cell sums its four dy cells as (top pair) + (bottom pair).
func upsampleConcatBackwardGeneric(dx, dskip, dy []float32, n, h, w, c, k int, accumulate bool) {
	ct := c + k
	Parallel(n*h, max(1, ewGrain/max(1, 4*w*ct)), func(lo, hi int) {
		for row := lo; row < hi; row++ {
			r0 := dy[2*row*2*w*ct : (2*row+1)*2*w*ct]
			r1 := dy[(2*row+1)*2*w*ct : (2*row+2)*2*w*ct]
			if dx != nil {
				for j := 0; j < w; j++ {
					d := dx[(row*w+j)*c : (row*w+j+1)*c]
					g00, g01 := r0[2*j*ct:][:c], r0[(2*j+1)*ct:][:c]
					g10, g11 := r1[2*j*ct:][:c], r1[(2*j+1)*ct:][:c]
					if accumulate {
						for q := range d {
							d[q] += (g00[q] + g01[q]) + (g10[q] + g11[q])
						}
					} else {
						for q := range d {
							d[q] = (g00[q] + g01[q]) + (g10[q] + g11[q])
						}
					}
				}
			}
			if dskip == nil || k == 0 {
				continue
			}
			for q := 2 * row * 2 * w; q < (2*row+2)*2*w; q++ {
				d, g := dskip[q*k:(q+1)*k], dy[q*ct+c:(q+1)*ct]
				if accumulate {
					for j := range d {
						d[j] += g[j]
					}
				} else {
					copy(d, g)
				}
			}
		}
	})
}

// bilinearTap returns, for output index o of a 2x upsampling of size in,
// the two source indices and their weights, with PyTorch's
// align_corners=False rule: src = max((o+0.5)*0.5-0.5, 0), i0 = floor(src),
// i1 = min(i0+1, in-1), weights 1-l and l with l = src-i0.
func bilinearTap(o, in int) (i0, i1 int, w0, w1 float32) {
	src := max((float32(o)+0.5)*0.5-0.5, 0)
	i0 = int(src)
	l := src - float32(i0)
	i1 = min(i0+1, in-1)
	return i0, i1, 1 - l, l
}

func upsampleBilinear2xGeneric(y, x []float32, n, h, w, c int) {
	oh, ow := 2*h, 2*w
	rowLen := ow * c
	Parallel(n*oh, max(1, ewGrain/max(1, 4*rowLen)), func(lo, hi int) {
		for row := lo; row < hi; row++ {
			b, oy := row/oh, row%oh
			y0, y1, wy0, wy1 := bilinearTap(oy, h)
			r0 := x[(b*h+y0)*w*c : (b*h+y0+1)*w*c]
			r1 := x[(b*h+y1)*w*c : (b*h+y1+1)*w*c]
			dst := y[row*rowLen : (row+1)*rowLen]
			for ox := 0; ox < ow; ox++ {
				x0, x1, wx0, wx1 := bilinearTap(ox, w)
				d := dst[ox*c : (ox+1)*c]
				a00, a01 := r0[x0*c:(x0+1)*c], r0[x1*c:(x1+1)*c]
				a10, a11 := r1[x0*c:(x0+1)*c], r1[x1*c:(x1+1)*c]
				for k := range d {
					d[k] = wy0*(wx0*a00[k]+wx1*a01[k]) + wy1*(wx0*a10[k]+wx1*a11[k])
				}
			}
		}
	})
}

func upsampleBilinear2xBackwardGeneric(dx, dy []float32, n, h, w, c int) {
	oh, ow := 2*h, 2*w
	// Each output row oy adds to input rows y0(oy) and y1(oy) in
	// [oy/2-1, oy/2+1]; thread t owns input rows, so it visits the output
	// rows 2i-2 .. 2i+3 of each input row i and keeps the taps landing on i.
	Parallel(n*h, max(1, ewGrain/max(1, 8*w*c)), func(lo, hi int) {
		for row := lo; row < hi; row++ {
			b, iy := row/h, row%h
			d := dx[row*w*c : (row+1)*w*c]
			clear(d)
			for oy := max(0, 2*iy-2); oy < min(oh, 2*iy+4); oy++ {
				y0, y1, wy0, wy1 := bilinearTap(oy, h)
				var wy float32
				if y0 == iy {
					wy += wy0
				}
				if y1 == iy {
					wy += wy1
				}
				if wy == 0 {
					continue
				}
				src := dy[(b*oh+oy)*ow*c : (b*oh+oy+1)*ow*c]
				for ox := 0; ox < ow; ox++ {
					x0, x1, wx0, wx1 := bilinearTap(ox, w)
					g := src[ox*c : (ox+1)*c]
					d0, d1 := d[x0*c:(x0+1)*c], d[x1*c:(x1+1)*c]
					for k, v := range g {
						v *= wy
						d0[k] += wx0 * v
						d1[k] += wx1 * v
					}
				}
			}
		}
	})
}
