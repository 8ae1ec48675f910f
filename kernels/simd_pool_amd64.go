//go:build gc && !purego

package kernels

import (
	"math"

	"github.com/lungo-ml/lungo/internal/asm"
)

// maxPoolAVX2 is MaxPool2D on NHWC with the AVX2 kernels
// asm.MaxPoolCellsAVX2 and asm.MaxPoolSpanAVX2: per output row, the Go loop
// lists a window's cells (clipped to the image: padding never wins) and the
// kernels take the maximum and its cell over 8 channels at a time (32 in
// MaxPoolSpanAVX2, for the run of pixels whose windows lie inside the row, one call per row);
// channels beyond a multiple of 8 run the same rule in Go. Output rows
// are split across the worker pool. Windows of more than 64 cells, and
// fewer than 8 channels, are declined.
//
// One call per pixel, one group of 8 channels at a time, took 1.5 ms for
// 3x3/2 64ch @256x256 on one thread and 0.85 on two (`lungo bench`; a
// quarter of the profile in Go around the kernel, the rest mostly waiting
// on each group's compare-blend chain); one call per row, four groups at
// once: 1.1-1.2 and 0.53-0.60 ms, 16 MB read and 8 MB written per call, so
// about as fast as one core reads memory here.
func maxPoolAVX2(y []float32, argmax []int32, x []float32, p PoolParams) bool {
	if p.R*p.S > 64 || p.C < 8 {
		return false
	}
	oh, ow, c := p.OutH(), p.OutW(), p.C
	c8 := c &^ 7
	// Interior pixels [in0, in1): windows inside the row horizontally.
	in0 := min(ow, (p.PadW+p.StrideW-1)/p.StrideW)
	in1 := in0
	if last := p.W + p.PadW - p.S; last >= 0 {
		in1 = max(in0, min(ow, last/p.StrideW+1))
	}
	if c%8 != 0 {
		in1 = in0 // the span kernel steps whole pixels of 8-channel groups
	}
	Parallel(p.N*oh, max(1, 16384/max(1, ow*c*p.R*p.S)), func(lo, hi int) {
		var offs [64]int
		var idxs [64]int32
		// Where a call's argmax goes: argmax itself or, for a pool that
		// keeps none, scratch for at least one pixel.
		var spare [1024]int32
		scratch := spare[:]
		if argmax == nil && c > len(spare) {
			scratch = make([]int32, c)
		}
		argAt := func(o int) []int32 {
			if argmax != nil {
				return argmax[o:]
			}
			return scratch
		}
		for row := lo; row < hi; row++ {
			n, oy := row/oh, row%oh
			y0 := max(oy*p.StrideH-p.PadH, 0)
			y1 := min(oy*p.StrideH-p.PadH+p.R, p.H)
			// cells lists the cells of pixel ox's window.
			cells := func(ox int) int {
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
				return k
			}
			for ox := 0; ox < ow; ox++ {
				if ox == in0 && in1 > in0 {
					// The interior: MaxPoolSpanAVX2, all of it in one call, or
					// as many pixels as scratch holds.
					per := in1 - in0
					if argmax == nil {
						per = len(scratch) / c
					}
					for q := in0; q < in1; q += per {
						k, o := cells(q), (row*ow+q)*c
						asm.MaxPoolSpanAVX2(y[o:], argAt(o), x, offs[:k], idxs[:k], c, min(per, in1-q), p.StrideW*c, p.StrideW)
					}
					ox = in1 - 1
					continue
				}
				k, o := cells(ox), (row*ow+ox)*c
				yv, am := y[o:o+c], argAt(o)[:c]
				asm.MaxPoolCellsAVX2(yv, am, x, offs[:k], idxs[:k], c8)
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
