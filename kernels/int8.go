package kernels

import (
	"math"

	"github.com/lungo-ml/lungo/tensor"
)

// int8 inference kernels. Weights are symmetric int8 per output channel
// (w ≈ ws[k]*q, q in -127..127); activations are uint8 per tensor with a
// zero point (x ≈ s*(q-z), q in 0..255), the operand order of AVX-512
// VNNI's VPDPBUSD (unsigned bytes times signed bytes, four products summed
// into each int32 lane). A convolution sums q_x*q_w in int32 and subtracts
// the zero point's share z*Σq_w, a per-output-channel constant computed
// once at packing (the "compensation"); zero-padding a tensor whose zero
// point is z means filling its border with z, which U8Image.ClearHalo
// does. Post-ReLU tensors (all but the network input, the downsample
// branches and the logits) have z = 0.
//
// Requantization runs in float32, one IEEE operation at a time in a fixed
// order (no fused multiply-add), so the AVX-512 kernel and the generic Go
// kernel give the same bytes:
//
//	v := float32(acc - comp[k]) * mul[k]       // mul = sx*ws[k]/sy
//	v += add[k]                                // add = bias[k]/sy + zy
//	v += float32(int32(res) - rzero) * rmul    // residual, rmul = sr/sy
//	v = max(v, floor); v = min(v, 255)         // floor zy for ReLU, else 0
//	q = round-half-even(v)
//
// The int32 sums cannot overflow: PackInt8Conv refuses reductions longer
// than 2^31/(255*127) = 66311 products (the U-Net's longest is 6912).

// U8Image is a batch of NHWC uint8-quantized images (value = Scale*(q -
// Zero)) stored with a border of Halo pixels on every side that holds Zero
// (the quantized 0.0): Data holds [N, H+2*Halo, W+2*Halo, C], pixel
// (n, y, x) starts at Offset(n, y, x). A convolution with padding <= Halo
// reads it in place.
type U8Image struct {
	Data       []uint8
	N, H, W, C int
	Halo       int
	Scale      float32
	Zero       uint8
}

// U8ImageLen is the length of the Data of an image of these sizes.
func U8ImageLen(n, h, w, c, halo int) int { return n * (h + 2*halo) * (w + 2*halo) * c }

// NewU8Image returns an image whose border (and interior) hold zero.
func NewU8Image(n, h, w, c, halo int, scale float32, zero uint8) U8Image {
	m := U8Image{Data: make([]uint8, U8ImageLen(n, h, w, c, halo)), N: n, H: h, W: w, C: c, Halo: halo, Scale: scale, Zero: zero}
	if zero != 0 {
		for i := range m.Data {
			m.Data[i] = zero
		}
	}
	return m
}

// Offset returns the index in m.Data of channel 0 of pixel (n, y, x);
// y and x may reach into the border (-Halo .. H-1+Halo).
func (m U8Image) Offset(n, y, x int) int {
	return ((n*(m.H+2*m.Halo)+y+m.Halo)*(m.W+2*m.Halo) + x + m.Halo) * m.C
}

// ClearHalo sets the border of m to m.Zero.
func (m U8Image) ClearHalo() {
	if m.Halo == 0 {
		return
	}
	fill := func(b []uint8) {
		for i := range b {
			b[i] = m.Zero
		}
	}
	hs, ws := m.H+2*m.Halo, m.W+2*m.Halo
	rowLen := ws * m.C
	for n := 0; n < m.N; n++ {
		for y := 0; y < hs; y++ {
			row := m.Data[(n*hs+y)*rowLen : (n*hs+y+1)*rowLen]
			if y < m.Halo || y >= m.Halo+m.H {
				fill(row)
				continue
			}
			fill(row[:m.Halo*m.C])
			fill(row[(m.Halo+m.W)*m.C:])
		}
	}
}

func (m U8Image) check(op, name string) {
	if m.N < 0 || m.H < 1 || m.W < 1 || m.C < 1 || m.Halo < 0 || len(m.Data) != U8ImageLen(m.N, m.H, m.W, m.C, m.Halo) ||
		!(m.Scale > 0) || math.IsInf(float64(m.Scale), 0) {
		tensor.Panicf("kernels", "%s: %s is %dx%dx%dx%d with halo %d, scale %g and %d values", op, name, m.N, m.H, m.W, m.C, m.Halo, m.Scale, len(m.Data))
	}
}

// QuantizeU8 returns round-half-even(f/scale) + zero clamped to 0..255:
// the uint8 code of f (NaN gives zero).
func QuantizeU8(f, scale float32, zero uint8) uint8 {
	v := math.RoundToEven(float64(f/scale)) + float64(zero)
	switch {
	case v >= 255:
		return 255
	case v > 0:
		return uint8(v)
	}
	return 0
}

// QuantizeU8s sets dst[i*stride] = QuantizeU8(src[i], scale, zero) for
// i < len(src): the same codes, rounded with the float32 1.5*2^23 trick
// instead of a float64 round (|f/scale| clamped to 512 first, where every
// code clamps anyway).
func QuantizeU8s(dst []uint8, stride int, src []float32, scale float32, zero uint8) {
	if len(src) == 0 {
		return
	}
	_ = dst[(len(src)-1)*stride]
	z := float32(zero)
	for i, f := range src {
		v := f / scale
		if !(v == v) { // NaN
			dst[i*stride] = 0
			continue
		}
		v = min(max(v, -512), 512)
		v = float32(float32(v+0x1.8p23) - 0x1.8p23) // round half even
		v = min(max(float32(v+z), 0), 255)
		dst[i*stride] = uint8(v)
	}
}

// U8Params returns the scale and zero point that map [lo, hi] (widened to
// hold 0) onto 0..255: scale (hi-lo)/255, zero round(-lo/scale). An empty,
// infinite or vanishingly narrow (scale below 2^-100) range gives scale 1,
// so that the scale is always finite and positive.
func U8Params(lo, hi float32) (scale float32, zero uint8) {
	lo, hi = min(lo, 0), max(hi, 0)
	if !(hi > lo) || math.IsInf(float64(hi-lo), 0) {
		return 1, 0
	}
	scale = (hi - lo) / 255
	if !(scale >= 0x1p-100) { // a range too narrow to divide by
		return 1, 0
	}
	z := math.RoundToEven(float64(-lo / scale))
	return scale, uint8(min(max(z, 0), 255))
}

// int8Kernel is the micro-kernel contract of asm.ConvU8S8 for one tile
// shape mr x nr (mr one of int8Rows, nr 32 or 16); see int8ConvTile.
type int8Kernel func(a []uint8, lda, rowStride, rows, kp int, b []int8, comp []int32, mul, add []float32, res []uint8, ldr int, c []uint8, ldc int, rmul float32, rzero int32, floor float32, mask uint32)

// int8TilesKernel is the contract of asm.ConvU8S8TilesAVX512VNNI: tiles
// tiles of mr x nr, tile t at a[t*mr*lda:], res[t*mr*ldr:], c[t*mr*ldc:],
// all nr channels stored.
type int8TilesKernel func(mr, nr, tiles int, a []uint8, lda, rowStride, rows, kp int, b []int8, comp []int32, mul, add []float32, res []uint8, ldr int, c []uint8, ldc int, rmul float32, rzero int32, floor float32)

const (
	int8MR = 12 // output positions per full tile
	int8NR = 32 // output channels per panel; 16 for K <= 16
)

// int8Rows are the tile heights, kernels[i] of an int8Impl (as bf16Rows).
var int8Rows = [3]int{12, 8, 4}

// int8Impl is an implementation of the int8 micro-kernel.
type int8Impl struct {
	name      string
	available bool
	kernels   [2][3]int8Kernel // [nr 32, 16][int8Rows]
	// tiles, where not nil, runs a row of consecutive full tiles (every
	// channel stored) in one call: asm.ConvU8S8TilesAVX512VNNI's contract.
	tiles int8TilesKernel
	// c16k1 computes groups of 16 pixels of a convolution of one output
	// channel on 16 input channels (asm.ConvU8S8C16K1AVX512VNNI's
	// contract); nil where the implementation has none (the general kernel
	// runs).
	c16k1 func(a []uint8, rowStride, rows, cols, groups int, b []int8, comp int32, mul, add, floor float32, c []uint8)
	// maxPool and copyMap, where not nil, are the memory-bound ops'
	// kernels: asm.MaxPool3x3s2U8AVX512's and asm.CopyMapU8AVX512VBMI's
	// contracts (u8MaxPoolRow and u8CopyMap in Go).
	maxPool func(y, x []uint8, rowStride, c, w int)
	copyMap func(d []uint8, dstep int, s []uint8, sstep, n, width int, t *[256]uint8)
	// signedA kernels multiply signed bytes (NEON's SDOT): they read each
	// activation q as q-128 (q^0x80) and take the compensation
	// (zx-128)*Σq_w, so that acc - comp is the same integer as the
	// generic kernel's.
	signedA bool
}

// int8Impls lists the implementations, generic first; int8_amd64.go adds
// "avx512vnni".
var int8Impls = []int8Impl{{name: "generic", available: true, kernels: int8Kernels(int8ConvTile), c16k1: int8ConvC16K1}}

// int8Kernels returns the kernel table of a function of the tile shape.
func int8Kernels(f func(mr, nr int, a []uint8, lda, rowStride, rows, kp int, b []int8, comp []int32, mul, add []float32, res []uint8, ldr int, c []uint8, ldc int, rmul float32, rzero int32, floor float32, mask uint32)) [2][3]int8Kernel {
	var t [2][3]int8Kernel
	for ni, nr := range [2]int{32, 16} {
		for mi, mr := range int8Rows {
			t[ni][mi] = func(a []uint8, lda, rowStride, rows, kp int, b []int8, comp []int32, mul, add []float32, res []uint8, ldr int, c []uint8, ldc int, rmul float32, rzero int32, floor float32, mask uint32) {
				f(mr, nr, a, lda, rowStride, rows, kp, b, comp, mul, add, res, ldr, c, ldc, rmul, rzero, floor, mask)
			}
		}
	}
	return t
}

// Int8Impls returns the names of the int8 kernel implementations this CPU
// can run, the one Int8Conv2D uses first.
func Int8Impls() []string {
	var names []string
	for i := len(int8Impls) - 1; i >= 0; i-- {
		if int8Impls[i].available {
			names = append(names, int8Impls[i].name)
		}
	}
	return names
}

// Int8Accelerated reports whether Int8Conv2D runs a SIMD kernel (the CPU
// has AVX-512 VNNI and LUNGO_KERNELS does not force "generic"); otherwise
// it runs the generic Go kernel: the same bytes, many times slower.
func Int8Accelerated() bool { return int8Active().name != "generic" }

// int8Active returns the implementation Int8Conv2D uses: the last
// available one, or generic when the float32 kernels are forced to generic.
func int8Active() int8Impl {
	if Active().Name == "generic" {
		return int8Impls[0]
	}
	for i := len(int8Impls) - 1; i >= 0; i-- {
		if int8Impls[i].available {
			return int8Impls[i]
		}
	}
	return int8Impls[0]
}

// int8ImplNamed returns the named implementation; it panics when there is
// none available (tests).
func int8ImplNamed(name string) int8Impl {
	for _, im := range int8Impls {
		if im.name == name && im.available {
			return im
		}
	}
	tensor.Panicf("kernels", "no available int8 implementation %q", name)
	return int8Impl{}
}

// requantU8 is the requantization of one int32 sum (see the package's
// int8 notes); the explicit float32 conversions forbid fused
// multiply-adds, so it rounds after every operation as the SIMD kernels do.
func requantU8(acc, comp int32, mul, add float32, res bool, r uint8, rmul float32, rzero int32, floor float32) uint8 {
	v := float32(float32(acc-comp) * mul)
	v = float32(v + add)
	if res {
		v = float32(v + float32(float32(int32(r)-rzero)*rmul))
	}
	if !(v > floor) { // VMAXPS
		v = floor
	}
	if !(v < 255) { // VMINPS
		v = 255
	}
	return uint8(math.RoundToEven(float64(v))) // VCVTPS2DQ, then VPMOVDB
}

// int8ConvTile is asm.ConvU8S8 in Go (see its doc): int32 sums of
// unsigned-by-signed byte products, four consecutive reduction elements at
// a time, then requantU8.
func int8ConvTile(mr, nr int, a []uint8, lda, rowStride, rows, kp int, b []int8, comp []int32, mul, add []float32, res []uint8, ldr int, c []uint8, ldc int, rmul float32, rzero int32, floor float32, mask uint32) {
	var acc [int8MR][int8NR]int32
	for r := 0; r < rows; r++ {
		for p := 0; p < kp; p++ {
			bp := b[(r*kp+p)*4*nr : (r*kp+p+1)*4*nr]
			for i := 0; i < mr; i++ {
				ai := i*lda + r*rowStride + 4*p
				a0, a1, a2, a3 := int32(a[ai]), int32(a[ai+1]), int32(a[ai+2]), int32(a[ai+3])
				row := acc[i][:nr]
				for j := range row {
					w := bp[4*j : 4*j+4]
					row[j] += a0*int32(w[0]) + a1*int32(w[1]) + a2*int32(w[2]) + a3*int32(w[3])
				}
			}
		}
	}
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			if mask>>j&1 == 0 {
				continue
			}
			var r uint8
			if res != nil {
				r = res[i*ldr+j]
			}
			c[i*ldc+j] = requantU8(acc[i][j], comp[j], mul[j], add[j], res != nil, r, rmul, rzero, floor)
		}
	}
}

// int8ConvC16K1 is asm.ConvU8S8C16K1AVX512VNNI in Go (see its doc).
func int8ConvC16K1(a []uint8, rowStride, rows, cols, groups int, b []int8, comp int32, mul, add, floor float32, c []uint8) {
	for p := 0; p < 16*groups; p++ {
		var s int32
		for r := 0; r < rows; r++ {
			ar := a[r*rowStride+p*16:]
			for q := 0; q < cols; q++ {
				bq, aq := b[(r*cols+q)*64:][:16], ar[q*16:][:16]
				for ch, w := range bq {
					s += int32(aq[ch]) * int32(w)
				}
			}
		}
		c[p] = requantU8(s, comp, mul, add, false, 0, 0, 0, floor)
	}
}
