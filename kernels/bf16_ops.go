package kernels

import (
	"unsafe"

	"github.com/lungo-ml/lungo/tensor"
)

// The memory-bound bf16 inference ops around BF16Conv2D.

// BF16MaxPool3x3s2 sets y to the 3x3 max-pool with stride 2 and padding 1
// of x [N, H, W, C] (halo >= 1): y is [N, (H-1)/2+1, (W-1)/2+1, C]. The
// values of x must be non-negative (a ReLU's output): bf16 bits of
// non-negative values order like the values, and the zero border then
// stands in for PyTorch's -Inf padding, since every window holds one pixel
// of x.
func BF16MaxPool3x3s2(y, x BF16Image) {
	x.check("BF16MaxPool3x3s2", "x")
	y.check("BF16MaxPool3x3s2", "y")
	if x.Halo < 1 || y.N != x.N || y.C != x.C || y.H != (x.H-1)/2+1 || y.W != (x.W-1)/2+1 {
		tensor.Panicf("kernels", "BF16MaxPool3x3s2: x %dx%dx%dx%d (halo %d), y %dx%dx%dx%d", x.N, x.H, x.W, x.C, x.Halo, y.N, y.H, y.W, y.C)
	}
	c := x.C
	Parallel(y.N*y.H, 1, func(lo, hi int) {
		for row := lo; row < hi; row++ {
			n, oy := row/y.H, row%y.H
			for ox := 0; ox < y.W; ox++ {
				d := y.Data[y.Offset(n, oy, ox):][:c]
				copy(d, x.Data[x.Offset(n, 2*oy-1, 2*ox-1):][:c])
				for t := 1; t < 9; t++ {
					maxU15(d, x.Data[x.Offset(n, 2*oy-1+t/3, 2*ox-1+t%3):][:c])
				}
			}
		}
	})
}

// BF16UpsampleConcat sets y [N, 2H, 2W, C+K] to the nearest 2x upsampling
// of x [N, H, W, C] followed, along channels, by skip [N, 2H, 2W, K] (nil:
// K = 0). y's border is not written.
func BF16UpsampleConcat(y, x BF16Image, skip *BF16Image) {
	x.check("BF16UpsampleConcat", "x")
	y.check("BF16UpsampleConcat", "y")
	k := 0
	if skip != nil {
		skip.check("BF16UpsampleConcat", "skip")
		k = skip.C
		if skip.N != x.N || skip.H != 2*x.H || skip.W != 2*x.W {
			tensor.Panicf("kernels", "BF16UpsampleConcat: skip %dx%dx%d for x %dx%dx%d", skip.N, skip.H, skip.W, x.N, x.H, x.W)
		}
	}
	c := x.C
	if y.N != x.N || y.H != 2*x.H || y.W != 2*x.W || y.C != c+k {
		tensor.Panicf("kernels", "BF16UpsampleConcat: y %dx%dx%dx%d for x %dx%dx%dx%d and %d skip channels", y.N, y.H, y.W, y.C, x.N, x.H, x.W, x.C, k)
	}
	ct := c + k
	Parallel(y.N*y.H, 4, func(lo, hi int) {
		for row := lo; row < hi; row++ {
			n, oy := row/y.H, row%y.H
			d := y.Data[y.Offset(n, oy, 0):][:y.W*ct]
			if skip == nil {
				for ix := 0; ix < x.W; ix++ {
					s := x.Data[x.Offset(n, oy/2, ix):][:c]
					copy(d[2*ix*c:], s)
					copy(d[(2*ix+1)*c:], s)
				}
				continue
			}
			sr := skip.Data[skip.Offset(n, oy, 0):][:y.W*k]
			for ox := 0; ox < y.W; ox++ {
				copy(d[ox*ct:ox*ct+c], x.Data[x.Offset(n, oy/2, ox/2):][:c])
				copy(d[ox*ct+c:(ox+1)*ct], sr[ox*k:(ox+1)*k])
			}
		}
	})
}

// maxU15 sets d[j] = max(d[j], s[j]) for values below 0x8000 (the bits of
// non-negative bf16), four at a time in 64-bit words: with the top bit of
// each lane of a set, a - b keeps it exactly where a >= b, and no lane
// borrows from the next.
func maxU15(d, s []uint16) {
	const hi = 0x8000800080008000
	s = s[:len(d)]
	n := len(d) / 4
	if n > 0 && (uintptr(unsafe.Pointer(&d[0]))|uintptr(unsafe.Pointer(&s[0])))%8 != 0 {
		n = 0 // misaligned (an odd channel count): one at a time
	}
	if n > 0 {
		dw := unsafe.Slice((*uint64)(unsafe.Pointer(&d[0])), n)
		sw := unsafe.Slice((*uint64)(unsafe.Pointer(&s[0])), n)
		for i, a := range sw {
			b := dw[i]
			m := ((a | hi) - b) & hi >> 15 * 0xffff // lanes where a >= b
			dw[i] = b ^ (a^b)&m
		}
	}
	for j := 4 * n; j < len(d); j++ {
		if s[j] > d[j] {
			d[j] = s[j]
		}
	}
}
