package kernels

// Generic 2x upsampling over NHWC, split across output (forward) or input
// (backward) rows so each thread writes its own rows.

func upsampleNearest2xGeneric(y, x []float32, n, h, w, c int) {
	rowLen := 2 * w * c
	Parallel(n*2*h, max(1, ewGrain/max(1, rowLen)), func(lo, hi int) {
		for row := lo; row < hi; row++ {
			src := x[(row/2)*w*c : (row/2+1)*w*c] // row/2 = n*h + i/2
			dst := y[row*rowLen : (row+1)*rowLen]
			for j := 0; j < w; j++ {
				v := src[j*c : (j+1)*c]
				copy(dst[2*j*c:], v)
				copy(dst[(2*j+1)*c:], v)
			}
		}
	})
}

func upsampleNearest2xBackwardGeneric(dx, dy []float32, n, h, w, c int) {
	rowLen := 2 * w * c
	Parallel(n*h, max(1, ewGrain/max(1, 2*rowLen)), func(lo, hi int) {
		for row := lo; row < hi; row++ {
			d := dx[row*w*c : (row+1)*w*c]
			r0 := dy[2*row*rowLen : (2*row+1)*rowLen]
			r1 := dy[(2*row+1)*rowLen : (2*row+2)*rowLen]
			for j := 0; j < w; j++ {
				a, b := 2*j*c, (2*j+1)*c
				for k := range c {
					d[j*c+k] = (r0[a+k] + r0[b+k]) + (r1[a+k] + r1[b+k])
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
