//go:build gc && !purego

package kernels

import (
	"math"
	"testing"

	"github.com/klauspost/cpuid/v2"

	"github.com/lungo-ml/lungo/internal/asm"
	"github.com/lungo-ml/lungo/tensor"
)

// TestBF16Encoding proves the byte-encoded VDPBF16PS and VCVTNE2PS2BF16
// (internal/asm/_asm/bf16) against their Go definitions: random values,
// denormals, ties, infinities, large and tiny products.
func TestBF16Encoding(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512BF16) {
		t.Skip("CPU lacks AVX-512 BF16")
	}
	rng := tensor.NewRNG(7)
	special := []uint32{0, 0x80000000, 1, 0x807fffff, 0x3f808000, 0x3f818000, 0x7f7fffff, 0xff800000, 0x7f800000, 0x00800000, 0x33800000}
	randBits := func() uint32 {
		if rng.Float32() < 0.2 {
			return special[int(rng.Float32()*float32(len(special)))%len(special)]
		}
		return math.Float32bits((rng.Float32()*2 - 1) * float32(math.Exp2(float64(int(rng.Float32()*60)-30))))
	}
	for it := 0; it < 2000; it++ {
		lo, hi := make([]float32, 16), make([]float32, 16)
		for i := range lo {
			lo[i], hi[i] = math.Float32frombits(randBits()), math.Float32frombits(randBits())
		}
		got := make([]uint16, 32)
		asm.VCVTNE2PS2BF16Probe(got, lo, hi)
		for i := 0; i < 16; i++ {
			if w := F32ToBF16(lo[i]); got[i] != w {
				t.Fatalf("VCVTNE2PS2BF16(%#08x) = %#04x, F32ToBF16 %#04x", math.Float32bits(lo[i]), got[i], w)
			}
			if w := F32ToBF16(hi[i]); got[16+i] != w {
				t.Fatalf("VCVTNE2PS2BF16(%#08x) = %#04x, F32ToBF16 %#04x", math.Float32bits(hi[i]), got[16+i], w)
			}
		}
		a, b, acc := make([]uint16, 32), make([]uint16, 32), make([]float32, 16)
		for i := range a {
			a[i], b[i] = uint16(randBits()>>16), uint16(randBits()>>16)
		}
		for i := range acc {
			acc[i] = math.Float32frombits(randBits())
		}
		want := make([]float32, 16)
		for l := range want {
			want[l] = dpbf16(acc[l], a[2*l], a[2*l+1], b[2*l], b[2*l+1])
		}
		asm.VDPBF16PSProbe(acc, a, b)
		for l := range want {
			if bf16ProductOutOfRange(a[2*l], b[2*l]) || bf16ProductOutOfRange(a[2*l+1], b[2*l+1]) {
				continue // see bf16ProductOutOfRange
			}
			g, w := math.Float32bits(acc[l]), math.Float32bits(want[l])
			if g != w && !(math.IsNaN(float64(acc[l])) && math.IsNaN(float64(want[l]))) {
				t.Fatalf("VDPBF16PS lane %d: a %#04x %#04x, b %#04x %#04x: %#08x, dpbf16 %#08x", l, a[2*l], a[2*l+1], b[2*l], b[2*l+1], g, w)
			}
		}
	}
}

// bf16ProductOutOfRange reports whether the product of two finite bf16
// values exceeds float32's range or is nonzero below 2^-100. There
// VDPBF16PS on Zen 5 departs from dpbf16: a product beyond float32's range
// is not rounded to Inf before the addition, and products near the
// denormal boundary are rounded differently (seen: 2^-126 off). Products
// of activations and weights lie far inside, where the two agree bit for
// bit (TestBF16Conv2D; 320,000 random lanes in development).
func bf16ProductOutOfRange(a, b uint16) bool {
	fa, fb := float64(BF16ToF32(a)), float64(BF16ToF32(b))
	if math.IsInf(fa, 0) || math.IsInf(fb, 0) {
		return false
	}
	p := math.Abs(fa * fb)
	return p > math.MaxFloat32 || (p != 0 && p < 0x1p-100)
}
