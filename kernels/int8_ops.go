package kernels

import (
	"encoding/binary"

	"github.com/lungo-ml/lungo/tensor"
)

// The memory-bound int8 inference ops around Int8Conv2D.

// U8MaxPool3x3s2 sets y to the 3x3 max-pool with stride 2 and padding 1 of
// x [N, H, W, C] (halo >= 1): y is [N, (H-1)/2+1, (W-1)/2+1, C] with x's
// quantization. The values of x must be >= its zero point (a ReLU's
// output): the border (the zero point) then stands in for PyTorch's -Inf
// padding, since every window holds one pixel of x, and the maximum of
// codes is the code of the maximum.
func U8MaxPool3x3s2(y, x U8Image) { u8MaxPool3x3s2(int8Active(), y, x) }

func u8MaxPool3x3s2(impl int8Impl, y, x U8Image) {
	x.check("U8MaxPool3x3s2", "x")
	y.check("U8MaxPool3x3s2", "y")
	if x.Halo < 1 || y.N != x.N || y.C != x.C || y.H != (x.H-1)/2+1 || y.W != (x.W-1)/2+1 || y.Scale != x.Scale || y.Zero != x.Zero {
		tensor.Panicf("kernels", "U8MaxPool3x3s2: x %dx%dx%dx%d (halo %d, quantization %g, %d), y %dx%dx%dx%d (%g, %d)",
			x.N, x.H, x.W, x.C, x.Halo, x.Scale, x.Zero, y.N, y.H, y.W, y.C, y.Scale, y.Zero)
	}
	c := x.C
	rowStride := (x.W + 2*x.Halo) * c
	row := impl.maxPool
	if row == nil || c%64 != 0 {
		row = u8MaxPoolRow
	}
	Parallel(y.N*y.H, 1, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			n, oy := r/y.H, r%y.H
			row(y.Data[y.Offset(n, oy, 0):], x.Data[x.Offset(n, 2*oy-1, -1):], rowStride, c, y.W)
		}
	})
}

// u8MaxPoolRow is asm.MaxPool3x3s2U8AVX512 in Go (any c >= 1): one output
// row of w pixels from the three input rows at x (column -1).
func u8MaxPoolRow(y, x []uint8, rowStride, c, w int) {
	for ox := 0; ox < w; ox++ {
		d := y[ox*c:][:c]
		copy(d, x[2*ox*c:])
		for t := 1; t < 9; t++ {
			maxU8(d, x[t/3*rowStride+(2*ox+t%3)*c:][:c])
		}
	}
}

// u8CopyMap is asm.CopyMapU8AVX512VBMI in Go: n rows of width bytes from
// s[i*sstep:] to d[i*dstep:], through t where it is not nil.
func u8CopyMap(d []uint8, dstep int, s []uint8, sstep, n, width int, t *[256]uint8) {
	for i := 0; i < n; i++ {
		dr, sr := d[i*dstep:][:width], s[i*sstep:][:width]
		if t == nil {
			copy(dr, sr)
			continue
		}
		for j, v := range sr {
			dr[j] = t[v]
		}
	}
}

// maxU8 sets d[j] = max(d[j], s[j]), eight bytes at a time in 64-bit
// words (Hacker's Delight's unsigned byte comparison): per byte, a >= b
// where the high bits decide it (a's set, b's clear) or agree and the low
// seven bits' difference, kept from borrowing by the high bit, says so.
func maxU8(d, s []uint8) {
	const hi = 0x8080808080808080
	s = s[:len(d)]
	j := 0
	for ; j+8 <= len(d); j += 8 {
		a := binary.LittleEndian.Uint64(s[j:])
		b := binary.LittleEndian.Uint64(d[j:])
		t := (a | hi) - (b &^ hi)
		ge := (a&^b | ^(a^b)&t) & hi
		m := ge >> 7 * 0xff // 0xff in the bytes where a >= b
		binary.LittleEndian.PutUint64(d[j:], b^(a^b)&m)
	}
	for ; j < len(d); j++ {
		d[j] = max(d[j], s[j])
	}
}

// RequantTable returns the table that maps the codes of quantization
// (from, fromZero) to the nearest codes of (to, toZero), clamped.
func RequantTable(from float32, fromZero uint8, to float32, toZero uint8) *[256]uint8 {
	var t [256]uint8
	for q := range t {
		t[q] = QuantizeU8(float32(q-int(fromZero))*from, to, toZero)
	}
	return &t
}

// U8UpsampleConcat sets y [N, 2H, 2W, C+K] to the nearest 2x upsampling of
// x [N, H, W, C] followed, along channels, by skip [N, 2H, 2W, K] (nil:
// K = 0), each requantized to y's quantization (RequantTable; a copy when
// they share it). y's border is not written.
func U8UpsampleConcat(y, x U8Image, skip *U8Image) { u8UpsampleConcat(int8Active(), y, x, skip) }

func u8UpsampleConcat(impl int8Impl, y, x U8Image, skip *U8Image) {
	x.check("U8UpsampleConcat", "x")
	y.check("U8UpsampleConcat", "y")
	k := 0
	var ts *[256]uint8
	if skip != nil {
		skip.check("U8UpsampleConcat", "skip")
		k = skip.C
		if skip.N != x.N || skip.H != 2*x.H || skip.W != 2*x.W {
			tensor.Panicf("kernels", "U8UpsampleConcat: skip %dx%dx%d for x %dx%dx%d", skip.N, skip.H, skip.W, x.N, x.H, x.W)
		}
		if skip.Scale != y.Scale || skip.Zero != y.Zero {
			ts = RequantTable(skip.Scale, skip.Zero, y.Scale, y.Zero)
		}
	}
	c := x.C
	if y.N != x.N || y.H != 2*x.H || y.W != 2*x.W || y.C != c+k {
		tensor.Panicf("kernels", "U8UpsampleConcat: y %dx%dx%dx%d for x %dx%dx%dx%d and %d skip channels", y.N, y.H, y.W, y.C, x.N, x.H, x.W, x.C, k)
	}
	var tx *[256]uint8
	if x.Scale != y.Scale || x.Zero != y.Zero {
		tx = RequantTable(x.Scale, x.Zero, y.Scale, y.Zero)
	}
	cm := impl.copyMap
	if cm == nil {
		cm = u8CopyMap
	}
	ct := c + k
	if skip == nil {
		// Plain upsampling: odd rows are copies of the even ones.
		Parallel(y.N*x.H, 2, func(lo, hi int) {
			for row := lo; row < hi; row++ {
				n, iy := row/x.H, row%x.H
				d := y.Data[y.Offset(n, 2*iy, 0):]
				cm(d, 2*c, x.Data[x.Offset(n, iy, 0):], c, x.W, c, tx)
				cm(d[c:], 2*c, d, 2*c, x.W, c, nil)
				copy(y.Data[y.Offset(n, 2*iy+1, 0):][:y.W*c], d[:y.W*c])
			}
		})
		return
	}
	Parallel(y.N*y.H, 4, func(lo, hi int) {
		for row := lo; row < hi; row++ {
			n, oy := row/y.H, row%y.H
			d := y.Data[y.Offset(n, oy, 0):]
			// Even pixels from x, odd ones copies of them, then the skip.
			cm(d, 2*ct, x.Data[x.Offset(n, oy/2, 0):], c, x.W, c, tx)
			cm(d[ct:], 2*ct, d, 2*ct, x.W, c, nil)
			if skip != nil {
				cm(d[c:], ct, skip.Data[skip.Offset(n, oy, 0):], k, y.W, k, ts)
			}
		}
	})
}
