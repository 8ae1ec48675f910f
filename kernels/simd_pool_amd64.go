//go:build gc && !purego

package kernels

import (
	"math"

	"github.com/lungo-ml/lungo/kernels/asm"
)

// maxPoolAVX2 is MaxPool2D on NHWC with the AVX2 kernel asm.MaxPoolCells:
// per output pixel, the Go loop lists the window's cells (clipped to the
// image: padding never wins) and the kernel takes the maximum and its cell
// over 8 channels at a time; channels beyond a multiple of 8 run the same
// rule in Go. Output rows are split across the worker pool. Windows of
// more than 64 cells, and fewer than 8 channels, are declined.
func maxPoolAVX2(y []float32, argmax []int32, x []float32, p PoolParams) bool {
	if p.R*p.S > 64 || p.C < 8 {
		return false
	}
	oh, ow, c := p.OutH(), p.OutW(), p.C
	c8 := c &^ 7
	Parallel(p.N*oh, max(1, 16384/max(1, ow*c*p.R*p.S)), func(lo, hi int) {
		var offs [64]int
		var idxs [64]int32
		var scratch []int32
		if argmax == nil {
			scratch = make([]int32, c)
		}
		for row := lo; row < hi; row++ {
			n, oy := row/oh, row%oh
			y0 := max(oy*p.StrideH-p.PadH, 0)
			y1 := min(oy*p.StrideH-p.PadH+p.R, p.H)
			for ox := 0; ox < ow; ox++ {
				x0 := max(ox*p.StrideW-p.PadW, 0)
				x1 := min(ox*p.StrideW-p.PadW+p.S, p.W)
				k := 0
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						offs[k] = ((n*p.H+iy)*p.W + ix) * c
						idxs[k] = int32(iy*p.W + ix)
						k++
					}
				}
				o := (row*ow + ox) * c
				yv := y[o : o+c]
				am := scratch
				if argmax != nil {
					am = argmax[o : o+c]
				}
				asm.MaxPoolCells(yv, am, x, offs[:k], idxs[:k], c8)
				for j := c8; j < c; j++ {
					best, a := float32(math.Inf(-1)), idxs[0]
					for i, off := range offs[:k] {
						if v := x[off+j]; v > best || v != v {
							best, a = v, idxs[i]
						}
					}
					yv[j], am[j] = best, a
				}
			}
		}
	})
	return true
}
