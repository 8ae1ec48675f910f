//go:build gc && !purego

package asm

import (
	"fmt"
	"math"
)

//go:generate sh -c "cd _asm && go run ./maxpool -out ../pool_amd64.s -stubs ../pool_stubs_amd64.go -pkg asm"

// MaxPoolCellsAVX2 is the AVX2 max-pool of one output pixel over the cells
// of its window (offs[i]: offset in x of cell i's channel 0; idxs[i]: the
// index argmax reports for it). It computes
//
//	for j := 0; j < c; j++ {
//		best, a := float32(math.Inf(-1)), idxs[0]
//		for i, off := range offs {
//			if v := x[off+j]; v > best || v != v {
//				best, a = v, idxs[i]
//			}
//		}
//		y[j], arg[j] = best, a
//	}
//
// so the first maximum wins on ties and a NaN wins over everything, the
// last NaN over earlier ones (PyTorch's rule); a window of -Inf reports its
// first cell. It requires c%8 == 0, 1 <= len(offs) == len(idxs),
// len(y) >= c, len(arg) >= c, 0 <= offs[i] <= len(x)-c, and AVX2.
func MaxPoolCellsAVX2(y []float32, arg []int32, x []float32, offs []int, idxs []int32, c int) {
	if c%8 != 0 || c < 0 || len(offs) == 0 || len(offs) != len(idxs) || len(y) < c || len(arg) < c {
		panic(fmt.Sprintf("asm: MaxPoolCellsAVX2: c=%d, %d offsets, %d indices, len(y)=%d, len(arg)=%d", c, len(offs), len(idxs), len(y), len(arg)))
	}
	for _, o := range offs {
		if o < 0 || o > len(x)-c {
			panic(fmt.Sprintf("asm: MaxPoolCellsAVX2: offset %d out of [0, %d]", o, len(x)-c))
		}
	}
	if c == 0 {
		return
	}
	maxPoolCellsAVX2(y, arg, x, offs, idxs, c)
}

// MaxPoolSpanAVX2 is MaxPoolCellsAVX2 over n output pixels whose windows
// are the first one moved xstep floats on per pixel, with indices istep
// more: for q < n it computes MaxPoolCellsAVX2(y[q*c:], arg[q*c:], x, offs
// + q*xstep, idxs + q*istep, c), four groups of 8 channels at a time (a
// row of a max-pool's interior pixels in one call). It requires
// MaxPoolCellsAVX2's conditions for every pixel, n >= 0, xstep >= 0,
// istep >= 0, len(y) >= n*c and len(arg) >= n*c, and that the indices
// stay within int32.
func MaxPoolSpanAVX2(y []float32, arg []int32, x []float32, offs []int, idxs []int32, c, n, xstep, istep int) {
	if c%8 != 0 || c < 0 || len(offs) == 0 || len(offs) != len(idxs) || n < 0 || xstep < 0 || istep < 0 || len(y) < n*c || len(arg) < n*c {
		panic(fmt.Sprintf("asm: MaxPoolSpanAVX2: c=%d, %d offsets, %d indices, n=%d, xstep=%d, istep=%d, len(y)=%d, len(arg)=%d",
			c, len(offs), len(idxs), n, xstep, istep, len(y), len(arg)))
	}
	if n == 0 || c == 0 {
		return
	}
	for i, o := range offs {
		if o < 0 || o+(n-1)*xstep > len(x)-c {
			panic(fmt.Sprintf("asm: MaxPoolSpanAVX2: cell %d's windows [%d, %d] out of [0, %d]", i, o, o+(n-1)*xstep, len(x)-c))
		}
		if last := int64(idxs[i]) + int64((n-1)*istep); last > math.MaxInt32 {
			panic(fmt.Sprintf("asm: MaxPoolSpanAVX2: cell %d's last index %d overflows int32", i, last))
		}
	}
	maxPoolSpanAVX2(y, arg, x, offs, idxs, c, n, xstep, istep)
}
