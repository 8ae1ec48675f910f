package kernels

import (
	"math"

	"github.com/lungo-ml/lungo/tensor"
)

// bfloat16 (bf16) inference kernels. A bf16 value is the upper half of a
// float32 (sign, 8-bit exponent, 7-bit mantissa), held here as its uint16
// bits. Products of two bf16 values are exact in float32, so the
// convolution multiplies bf16 weights by bf16 activations and sums in
// float32, two products per float32 lane per instruction (AVX-512 BF16's
// VDPBF16PS); results are rounded back to bf16 once per layer.
//
// The rounding follows the hardware (VCVTNE2PS2BF16): to nearest even,
// float32 denormals flushed to (signed) zero, NaNs kept quiet. The dot
// products follow VDPBF16PS: bf16 denormals read as zero, each lane adds its
// odd product and then its even one, float32 denormal results flushed to
// zero. The generic kernels emulate that, so the AVX-512 BF16 kernel is
// checked against them bit for bit.

// F32ToBF16 returns f rounded to bf16 (nearest even; denormals to signed
// zero; NaN stays a quiet NaN).
func F32ToBF16(f float32) uint16 {
	u := math.Float32bits(f)
	switch {
	case u&0x7f800000 == 0: // zero or denormal
		return uint16(u>>16) & 0x8000
	case u&0x7fffffff > 0x7f800000: // NaN
		return uint16(u>>16) | 0x40
	}
	u += 0x7fff + (u >> 16 & 1)
	return uint16(u >> 16)
}

// BF16ToF32 returns the float32 value of bf16 bits v (exact).
func BF16ToF32(v uint16) float32 { return math.Float32frombits(uint32(v) << 16) }

// ToBF16 sets dst[i] = F32ToBF16(src[i]); the lengths must match.
func ToBF16(dst []uint16, src []float32) {
	checkLen("ToBF16", "dst", len(dst), len(src))
	for i, f := range src {
		dst[i] = F32ToBF16(f)
	}
}

// FromBF16 sets dst[i] = BF16ToF32(src[i]); the lengths must match.
func FromBF16(dst []float32, src []uint16) {
	checkLen("FromBF16", "dst", len(dst), len(src))
	for i, v := range src {
		dst[i] = math.Float32frombits(uint32(v) << 16)
	}
}

// bf16Kernel is the micro-kernel contract of asm.ConvBF16AVX512BF16 for one tile
// shape mr x nr (mr one of bf16Rows, nr 32 or 16).
type bf16Kernel func(a []uint16, lda, rowStride, rows, kp int, b []uint16, bias []float32, res []uint16, ldr int, c []uint16, ldc int, floor float32, mask uint32)

const (
	bf16MR = 12 // output positions per full tile
	bf16NR = 32 // output channels per tile (one weight panel); 16 for K <= 16
)

// bf16Rows are the tile heights of the micro-kernels, kernels[i] of a
// bf16Impl: 12 for full tiles, 8 and 4 for the ends of output rows (an
// output row of 16 is 12 + 4 instead of 12 + 12 with 8 wasted).
var bf16Rows = [3]int{12, 8, 4}

// bf16Impl is an implementation of the bf16 micro-kernel.
type bf16Impl struct {
	name      string
	available bool
	kernels   [2][3]bf16Kernel // [nr 32, 16][bf16Rows]
	wino      bf16WinoImpl     // the Winograd F(2x2,3x3) kernels
}

// bf16Impls lists the implementations, generic first; bf16_amd64.go adds
// "avx512bf16".
var bf16Impls = []bf16Impl{{name: "generic", available: true, kernels: bf16Kernels(dpbf16ConvTile), wino: bf16WinoGeneric}}

// bf16Kernels returns the kernel table of a function of the tile shape.
func bf16Kernels(f func(mr, nr int, a []uint16, lda, rowStride, rows, kp int, b []uint16, bias []float32, res []uint16, ldr int, c []uint16, ldc int, floor float32, mask uint32)) [2][3]bf16Kernel {
	var t [2][3]bf16Kernel
	for ni, nr := range [2]int{32, 16} {
		for mi, mr := range bf16Rows {
			t[ni][mi] = func(a []uint16, lda, rowStride, rows, kp int, b []uint16, bias []float32, res []uint16, ldr int, c []uint16, ldc int, floor float32, mask uint32) {
				f(mr, nr, a, lda, rowStride, rows, kp, b, bias, res, ldr, c, ldc, floor, mask)
			}
		}
	}
	return t
}

// BF16Impls returns the names of the bf16 kernel implementations this CPU
// can run, the one BF16Conv2D uses first.
func BF16Impls() []string {
	var names []string
	for i := len(bf16Impls) - 1; i >= 0; i-- {
		if bf16Impls[i].available {
			names = append(names, bf16Impls[i].name)
		}
	}
	return names
}

// BF16Accelerated reports whether BF16Conv2D runs a SIMD kernel (the CPU
// has AVX-512 BF16 and LUNGO_KERNELS does not force "generic"); otherwise
// it runs the generic Go kernel, which is correct but many times slower
// than float32 inference.
func BF16Accelerated() bool { return bf16Active().name != "generic" }

// bf16Active returns the implementation BF16Conv2D uses: the last
// available one, or generic when the float32 kernels are forced to generic.
func bf16Active() bf16Impl {
	if Active().Name == "generic" {
		return bf16Impls[0]
	}
	for i := len(bf16Impls) - 1; i >= 0; i-- {
		if bf16Impls[i].available {
			return bf16Impls[i]
		}
	}
	return bf16Impls[0]
}

// bf16ImplNamed returns the named implementation; it panics when there is
// none available (tests).
func bf16ImplNamed(name string) bf16Impl {
	for _, im := range bf16Impls {
		if im.name == name && im.available {
			return im
		}
	}
	tensor.Panicf("kernels", "no available bf16 implementation %q", name)
	return bf16Impl{}
}

// dpbf16 returns s + f(a1)*f(b1) + f(a0)*f(b0) as VDPBF16PS computes one
// lane: denormal inputs (s too) as zero, products exact, the odd pair
// first, denormal sums flushed to zero.
func dpbf16(s float32, a0, a1, b0, b1 uint16) float32 {
	s = ftz(ftz(s) + daz(a1)*daz(b1))
	return ftz(s + daz(a0)*daz(b0))
}

// daz returns the float32 of bf16 v, zero for a denormal.
func daz(v uint16) float32 {
	if v&0x7f80 == 0 {
		return 0
	}
	return math.Float32frombits(uint32(v) << 16)
}

// ftz returns f, or a zero of its sign when f is denormal.
func ftz(f float32) float32 {
	u := math.Float32bits(f)
	if u&0x7f800000 == 0 {
		return math.Float32frombits(u & 0x80000000)
	}
	return f
}

// dpbf16ConvTile is asm.ConvBF16AVX512BF16 in Go (see its doc), in the same order
// of operations.
func dpbf16ConvTile(mr, nr int, a []uint16, lda, rowStride, rows, kp int, b []uint16, bias []float32, res []uint16, ldr int, c []uint16, ldc int, floor float32, mask uint32) {
	acc := make([][bf16NR]float32, mr)
	for r := 0; r < rows; r++ {
		for p := 0; p < kp; p++ {
			bp := b[(r*kp+p)*2*nr : (r*kp+p+1)*2*nr]
			for i := range acc {
				ai := i*lda + r*rowStride + 2*p
				a0, a1 := a[ai], a[ai+1]
				row := acc[i][:nr]
				for j := range row {
					row[j] = dpbf16(row[j], a0, a1, bp[2*j], bp[2*j+1])
				}
			}
		}
	}
	for i := range acc {
		for j := 0; j < nr; j++ {
			s := acc[i][j] + bias[j]
			if res != nil {
				s += BF16ToF32(res[i*ldr+j])
			}
			if !(s > floor) { // VMAXPS: floor also when s is NaN
				s = floor
			}
			if mask>>j&1 == 1 {
				c[i*ldc+j] = F32ToBF16(s)
			}
		}
	}
}
