//go:build gc && !purego

package kernels

import (
	"math"
	"testing"

	"github.com/klauspost/cpuid/v2"

	"github.com/lungo-ml/lungo/kernels/asm"
	"github.com/lungo-ml/lungo/tensor"
)

// TestBF16Encoding proves the byte-encoded VDPBF16PS and VCVTNE2PS2BF16
// (kernels/asm/_bf16gen) against their Go definitions: random values,
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
		return math.Float32bits((rng.Float32()*2-1) * float32(math.Exp2(float64(int(rng.Float32()*60)-30))))
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
			if bf16ProductOverflows(a[2*l], b[2*l]) || bf16ProductOverflows(a[2*l+1], b[2*l+1]) {
				continue // the CPU keeps such a product's exponent range (see below)
			}
			g, w := math.Float32bits(acc[l]), math.Float32bits(want[l])
			if g != w && !(math.IsNaN(float64(acc[l])) && math.IsNaN(float64(want[l]))) {
				t.Fatalf("VDPBF16PS lane %d: a %#04x %#04x, b %#04x %#04x: %#08x, dpbf16 %#08x", l, a[2*l], a[2*l+1], b[2*l], b[2*l+1], g, w)
			}
		}
	}
}

// bf16ProductOverflows reports whether the product of two finite bf16
// values exceeds float32's range. VDPBF16PS on Zen 5 then does not round
// it to Inf before adding (an Inf accumulator plus such a product of the
// other sign stays Inf where dpbf16 makes a NaN); products that fit, and
// so every product in a network, follow dpbf16 bit for bit.
func bf16ProductOverflows(a, b uint16) bool {
	fa, fb := float64(BF16ToF32(a)), float64(BF16ToF32(b))
	return !math.IsInf(fa, 0) && !math.IsInf(fb, 0) && math.Abs(fa*fb) > math.MaxFloat32
}
