package kernels

import "math"

// Generic pooling on NHWC: each kernel loops over output (or, for the
// backward passes, input) rows split across the worker pool, with channels
// innermost so every access is contiguous. The backward passes gather per
// input row, so threads never write the same cell.

// poolGrain returns rows per task for rows of rowWork element operations.
func poolGrain(rowWork int) int { return max(1, 16384/max(1, rowWork)) }

func maxPool2DGeneric(y []float32, argmax []int32, x []float32, p PoolParams) {
	oh, ow, c := p.OutH(), p.OutW(), p.C
	Parallel(p.N*oh, poolGrain(ow*c*p.R*p.S), func(lo, hi int) {
		for row := lo; row < hi; row++ {
			n, oy := row/oh, row%oh
			y0, y1 := max(oy*p.StrideH-p.PadH, 0), min(oy*p.StrideH-p.PadH+p.R, p.H)
			for ox := 0; ox < ow; ox++ {
				o := (row*ow + ox) * c
				yv := y[o : o+c]
				var am []int32
				if argmax != nil {
					am = argmax[o : o+c]
				}
				x0, x1 := max(ox*p.StrideW-p.PadW, 0), min(ox*p.StrideW-p.PadW+p.S, p.W)
				// The window's first cell initialises the output (as PyTorch's
				// -Inf start with that cell's index would end up doing); then
				// a cell wins if greater or NaN (PyTorch's rule).
				copy(yv, x[((n*p.H+y0)*p.W+x0)*c:][:c])
				for j := range am {
					am[j] = int32(y0*p.W + x0)
				}
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						if iy == y0 && ix == x0 {
							continue
						}
						xv := x[((n*p.H+iy)*p.W+ix)*c:][:c]
						yv := yv[:len(xv)]
						if am == nil {
							for j, v := range xv {
								yv[j] = max(yv[j], v) // NaN propagates
							}
							continue
						}
						am := am[:len(xv)]
						idx := int32(iy*p.W + ix)
						for j, v := range xv {
							// v > y or v is NaN (exclusive: a NaN compares false),
							// written as a select without branches, which random
							// data would mispredict.
							var m uint32
							if (v > yv[j]) != (v != v) {
								m = ^uint32(0)
							}
							yv[j] = math.Float32frombits(math.Float32bits(yv[j])&^m | math.Float32bits(v)&m)
							am[j] = int32(uint32(am[j])&^m | uint32(idx)&m)
						}
					}
				}
			}
		}
	})
}

// outRange returns the outputs [o0, o1) whose windows (start i*stride - pad,
// length r) contain input index i, clipped to [0, out).
func outRange(i, stride, pad, r, out int) (int, int) {
	o0 := max(0, ceilDiv(i+pad-r+1, stride))
	o1 := min(out, floorDiv(i+pad, stride)+1)
	return o0, o1
}

func maxPool2DBackwardGeneric(dx, dy []float32, argmax []int32, p PoolParams) {
	oh, ow, c := p.OutH(), p.OutW(), p.C
	rowLen := p.W * c
	Parallel(p.N*p.H, poolGrain(rowLen*p.R), func(lo, hi int) {
		for row := lo; row < hi; row++ {
			n, iy := row/p.H, row%p.H
			clear(dx[row*rowLen : (row+1)*rowLen])
			o0, o1 := outRange(iy, p.StrideH, p.PadH, p.R, oh)
			lo, hi := int32(iy*p.W), int32((iy+1)*p.W)
			img := dx[n*p.H*rowLen : (n+1)*p.H*rowLen]
			for oy := o0; oy < o1; oy++ {
				base := (n*oh + oy) * ow * c
				for ox := 0; ox < ow; ox++ {
					am, g := argmax[base+ox*c:base+(ox+1)*c], dy[base+ox*c:base+(ox+1)*c]
					g = g[:len(am)]
					for j, a := range am {
						if a >= lo && a < hi {
							img[int(a)*c+j] += g[j]
						}
					}
				}
			}
		}
	})
}

func avgPool2DGeneric(y, x []float32, p PoolParams) {
	oh, ow, c := p.OutH(), p.OutW(), p.C
	inv := 1 / float32(p.R*p.S)
	Parallel(p.N*oh, poolGrain(ow*c*p.R*p.S), func(lo, hi int) {
		for row := lo; row < hi; row++ {
			n, oy := row/oh, row%oh
			y0, y1 := max(oy*p.StrideH-p.PadH, 0), min(oy*p.StrideH-p.PadH+p.R, p.H)
			for ox := 0; ox < ow; ox++ {
				yv := y[(row*ow+ox)*c:][:c]
				clear(yv)
				x0, x1 := max(ox*p.StrideW-p.PadW, 0), min(ox*p.StrideW-p.PadW+p.S, p.W)
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						for j, v := range x[((n*p.H+iy)*p.W+ix)*c:][:c] {
							yv[j] += v
						}
					}
				}
				for j := range yv {
					yv[j] *= inv
				}
			}
		}
	})
}

func avgPool2DBackwardGeneric(dx, dy []float32, p PoolParams) {
	oh, ow, c := p.OutH(), p.OutW(), p.C
	inv := 1 / float32(p.R*p.S)
	Parallel(p.N*p.H, poolGrain(p.W*c*p.R*p.S), func(lo, hi int) {
		for row := lo; row < hi; row++ {
			n, iy := row/p.H, row%p.H
			oy0, oy1 := outRange(iy, p.StrideH, p.PadH, p.R, oh)
			for ix := 0; ix < p.W; ix++ {
				d := dx[(row*p.W+ix)*c:][:c]
				clear(d)
				ox0, ox1 := outRange(ix, p.StrideW, p.PadW, p.S, ow)
				for oy := oy0; oy < oy1; oy++ {
					for ox := ox0; ox < ox1; ox++ {
						for j, g := range dy[((n*oh+oy)*ow+ox)*c:][:c] {
							d[j] += g
						}
					}
				}
				for j := range d {
					d[j] *= inv
				}
			}
		}
	})
}

func globalAvgPoolGeneric(y, x []float32, n, hw, c int) {
	inv := 1 / float64(hw)
	Parallel(n, 1, func(lo, hi int) {
		acc := make([]float64, c)
		for i := lo; i < hi; i++ {
			clear(acc)
			for q := 0; q < hw; q++ {
				for j, v := range x[(i*hw+q)*c:][:c] {
					acc[j] += float64(v)
				}
			}
			for j, s := range acc {
				y[i*c+j] = float32(s * inv)
			}
		}
	})
}

func globalAvgPoolBackwardGeneric(dx, dy []float32, n, hw, c int) {
	inv := 1 / float32(hw)
	Parallel(n*hw, poolGrain(c), func(lo, hi int) {
		for q := lo; q < hi; q++ {
			g := dy[(q/hw)*c:][:c]
			for j, v := range g {
				dx[q*c+j] = v * inv
			}
		}
	})
}
