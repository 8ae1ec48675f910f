//go:build gc && !purego

package kernels

import (
	"math"
	"testing"

	"github.com/klauspost/cpuid/v2"

	"github.com/lungo-ml/lungo/internal/asm"
	"github.com/lungo-ml/lungo/tensor"
)

// TestBF16NEONDispatch: the NEON BF16 kernels are offered exactly when the
// CPU has FEAT_BF16, and used first then.
func TestBF16NEONDispatch(t *testing.T) {
	has := cpuid.CPU.Supports(cpuid.ASIMD, cpuid.BF16)
	names := BF16Impls()
	if has != (names[0] == "neonbf16") {
		t.Fatalf("FEAT_BF16 %v, implementations %v", has, names)
	}
	if has && Active().Name != "generic" && !BF16Accelerated() {
		t.Fatal("BF16Accelerated false on a FEAT_BF16 CPU")
	}
	t.Logf("FEAT_BF16 %v, implementations %v", has, names)
}

// TestBF16NEONDenormals holds the NEON tile bit for bit to the generic one
// where FPCR.FZ matters: bf16 denormal activations (read as zero by
// VDPBF16PS and the generic kernel, while a plain BFMLAL would use them:
// 2^-127 times 2^40 is a normal product) times weights of 2^20..2^40, in
// rows of denormals only (sums exactly zero) and rows mixed with normal
// activations of 2^-120..2^-100 (denormal products a few bf16 ulps of the
// sum). Dropping FZ fails it.
func TestBF16NEONDenormals(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.ASIMD, cpuid.BF16) {
		t.Skip("CPU lacks FEAT_BF16")
	}
	rng := tensor.NewRNG(11)
	val := func(elo, ehi int, denormal float32) uint16 {
		m := uint16(rng.Float32()*127) + 1
		s := uint16(0)
		if rng.Float32() < 0.5 {
			s = 0x8000
		}
		if rng.Float32() < denormal {
			return s | m // a denormal, nonzero
		}
		return s | uint16(127+elo+int(rng.Float32()*float32(ehi-elo)))<<7 | m
	}
	for _, nr := range []int{32, 16} {
		for _, mr := range bf16Rows {
			kp, rows, lda, rowStride := 13, 2, 27, 12*27+1
			a := make([]uint16, (mr-1)*lda+(rows-1)*rowStride+2*kp)
			b := make([]uint16, rows*kp*2*nr)
			for i := range a {
				p := 0.3
				if i/lda%2 == 0 {
					p = 1 // even rows: denormals only
				}
				a[i] = val(-120, -100, float32(p))
			}
			for i := range b {
				b[i] = val(20, 40, 0)
			}
			bias := make([]float32, nr)
			mask := uint32(1)<<nr - 1
			got, want := make([]uint16, mr*nr), make([]uint16, mr*nr)
			asm.ConvBF16NEONBF16(mr, nr, a, lda, rowStride, rows, kp, b, bias, nil, 0, got, nr, float32(math.Inf(-1)), mask)
			dpbf16ConvTile(mr, nr, a, lda, rowStride, rows, kp, b, bias, nil, 0, want, nr, float32(math.Inf(-1)), mask)
			nonzero := 0
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%dx%d: c[%d] = %#04x, generic %#04x", mr, nr, i, got[i], want[i])
				}
				if want[i]&0x7fff != 0 {
					nonzero++
				}
			}
			if nonzero < mr*nr/4 {
				t.Fatalf("%dx%d: only %d nonzero outputs", mr, nr, nonzero)
			}
		}
	}
}
