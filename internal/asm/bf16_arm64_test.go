//go:build gc && !purego

package asm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

func skipNoBF16(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.ASIMD, cpuid.BF16) {
		t.Skip("CPU lacks FEAT_BF16")
	}
}

// bf16f is the float32 of bf16 v; bf16daz the same with denormals as zero.
func bf16f(v uint16) float32 { return math.Float32frombits(uint32(v) << 16) }

func bf16daz(v uint16) float32 {
	if v&0x7f80 == 0 {
		return 0
	}
	return bf16f(v)
}

func f32ftz(f float32) float32 {
	if u := math.Float32bits(f); u&0x7f800000 == 0 {
		return math.Float32frombits(u & 0x80000000)
	}
	return f
}

// dpbf16Ref is one VDPBF16PS lane as kernels.dpbf16 computes it: the odd
// product, then the even one, each added with one rounding, denormals
// flushed (and -0 read as +0).
func dpbf16Ref(s float32, a0, a1, b0, b1 uint16) float32 {
	p1 := bf16daz(a1) * bf16daz(b1)
	s = f32ftz(f32ftz(s) + p1)
	p0 := bf16daz(a0) * bf16daz(b0)
	return f32ftz(s + p0)
}

// productNormal reports whether f(a)*f(b) is zero, infinite or a normal
// float32 (exact): where a fused multiply-add and VDPBF16PS agree.
func productNormal(a, b uint16) bool {
	p := math.Abs(float64(bf16daz(a)) * float64(bf16daz(b)))
	return p == 0 || math.IsInf(p, 0) || math.IsNaN(p) || p >= 0x1p-126 && p <= math.MaxFloat32
}

// randBF16Bits returns bf16 bits: mostly values of +-2^-40..2^40, some
// zeros, denormals, infinities and huge or tiny normals.
func randBF16Bits(rng *rand.Rand) uint16 {
	special := []uint16{0, 0x8000, 1, 0x807f, 0x0080, 0x7f7f, 0xff80, 0x7f80, 0x3f80, 0x3f81, 0x0100}
	if rng.IntN(5) == 0 {
		return special[rng.IntN(len(special))]
	}
	e := 127 - 40 + rng.IntN(81)
	return uint16(rng.IntN(2))<<15 | uint16(e)<<7 | uint16(rng.IntN(128))
}

// TestBFMLALEncoding proves the WORD-encoded BFMLALT and BFMLALB (and the
// FPCR.FZ setting) against VDPBF16PS's arithmetic in Go over random values,
// denormals (which must read as zero), infinities and accumulators of all
// sizes, denormal ones included. Swapping the two instructions, or
// dropping FZ, fails it.
func TestBFMLALEncoding(t *testing.T) {
	skipNoBF16(t)
	rng := rand.New(rand.NewPCG(1, 2))
	checked, denormals := 0, 0
	for it := 0; it < 4000; it++ {
		var a, b [8]uint16
		var acc [4]float32
		for i := range a {
			a[i], b[i] = randBF16Bits(rng), randBF16Bits(rng)
		}
		for l := range acc {
			acc[l] = bf16f(randBF16Bits(rng)) * (1 + float32(rng.IntN(1<<16))*0x1p-17)
			if rng.IntN(8) == 0 {
				acc[l] = math.Float32frombits(uint32(rng.IntN(1 << 23))) // denormal
			}
		}
		got := acc
		BFMLALProbe(got[:], a[:], b[:])
		for l := range acc {
			if !productNormal(a[2*l], b[2*l]) || !productNormal(a[2*l+1], b[2*l+1]) {
				continue
			}
			want := dpbf16Ref(acc[l], a[2*l], a[2*l+1], b[2*l], b[2*l+1])
			g, w := math.Float32bits(got[l]), math.Float32bits(want)
			// Zeros compare equal whatever their signs: bf16daz reads -0
			// as +0, the CPU keeps the sign (as VDPBF16PS does).
			if g != w && got[l] != want && !(math.IsNaN(float64(got[l])) && math.IsNaN(float64(want))) {
				t.Fatalf("lane %d: acc %#08x a %#04x %#04x b %#04x %#04x: got %#08x (%v), want %#08x (%v)",
					l, math.Float32bits(acc[l]), a[2*l], a[2*l+1], b[2*l], b[2*l+1], g, got[l], w, want)
			}
			checked++
			if a[2*l]&0x7f80 == 0 && a[2*l]&0x7f != 0 || math.Float32bits(acc[l])&0x7f800000 == 0 && acc[l] != 0 {
				denormals++
			}
		}
	}
	if checked < 8000 || denormals < 100 {
		t.Fatalf("only %d lanes checked, %d with denormals", checked, denormals)
	}
}

// convBF16Ref is the ConvBF16AVX512BF16 contract in Go (kernels'
// dpbf16ConvTile).
func convBF16Ref(mr, nr int, a []uint16, lda, rowStride, rows, kp int, b []uint16, bias []float32, res []uint16, ldr int, c []uint16, ldc int, floor float32, mask uint32) {
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			var s float32
			for r := 0; r < rows; r++ {
				for p := 0; p < kp; p++ {
					ai, bi := i*lda+r*rowStride+2*p, ((r*kp+p)*nr+j)*2
					s = dpbf16Ref(s, a[ai], a[ai+1], b[bi], b[bi+1])
				}
			}
			s += bias[j]
			if res != nil {
				s += bf16f(res[i*ldr+j])
			}
			if !(s > floor) {
				s = floor
			}
			if mask>>j&1 == 1 {
				c[i*ldc+j] = roundBF16(s)
			}
		}
	}
}

const guard16 = 0x7fbf // a NaN: guard cells

func randVals(rng *rand.Rand, n int) []uint16 {
	v := make([]uint16, n)
	for i := range v {
		v[i] = roundBF16(float32(rng.NormFloat64()))
	}
	return v
}

// TestConvBF16NEONBF16 holds the tile bit for bit to the Go contract over
// every tile shape, kernel rows, odd reductions (kp 0 included), masks,
// residual or none, ReLU or none, slice offsets and guard cells around and
// between the rows of C; A and B are not written.
func TestConvBF16NEONBF16(t *testing.T) {
	skipNoBF16(t)
	rng := rand.New(rand.NewPCG(3, 4))
	n := 0
	for _, nr := range []int{32, 16} {
		for _, mr := range []int{12, 8, 4} {
			for _, rows := range []int{1, 3} {
				for _, kp := range []int{0, 1, 2, 5, 9, 24} {
					n++
					off := n % 4
					lda := 2*kp + n%3
					rowStride := mr*lda + n%5
					ldc := nr + n%3
					ldr := nr + (n+1)%4
					mask := uint32(1)<<nr - 1
					switch n % 3 {
					case 1:
						mask = uint32(1)<<(nr-1-n%nr) - 1 // a channel tail
					case 2:
						mask = 0x5 << (n % 8)
					}
					floor := float32(math.Inf(-1))
					if n%2 == 0 {
						floor = 0
					}
					a := randVals(rng, off+(mr-1)*lda+(rows-1)*rowStride+2*kp+3)[off:]
					b := randVals(rng, off+rows*kp*2*nr+5)[off:]
					a0, b0 := append([]uint16(nil), a...), append([]uint16(nil), b...)
					bias := make([]float32, nr)
					for j := range bias {
						bias[j] = float32(rng.NormFloat64())
					}
					var res []uint16
					if n%4 < 2 {
						res = randVals(rng, (mr-1)*ldr+nr)
					}
					run := func(f func(int, int, []uint16, int, int, int, int, []uint16, []float32, []uint16, int, []uint16, int, float32, uint32)) []uint16 {
						c := make([]uint16, off+(mr-1)*ldc+nr+4)
						for i := range c {
							c[i] = guard16
						}
						f(mr, nr, a, lda, rowStride, rows, kp, b, bias, res, ldr, c[off:], ldc, floor, mask)
						return c
					}
					got, want := run(ConvBF16NEONBF16), run(convBF16Ref)
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("%dx%d rows=%d kp=%d mask %#x: c[%d] = %#04x, want %#04x", mr, nr, rows, kp, mask, i-off, got[i], want[i])
						}
					}
					written := 0
					for i := range got {
						if got[i] != guard16 {
							written++
						}
					}
					if written != mr*bitsCount(mask) {
						t.Fatalf("%dx%d kp=%d mask %#x: %d cells written, want %d", mr, nr, kp, mask, written, mr*bitsCount(mask))
					}
					for i := range a {
						if a[i] != a0[i] {
							t.Fatal("a written")
						}
					}
					for i := range b {
						if b[i] != b0[i] {
							t.Fatal("b written")
						}
					}
				}
			}
		}
	}
}

func bitsCount(m uint32) int {
	n := 0
	for ; m != 0; m &= m - 1 {
		n++
	}
	return n
}

// TestWinoBF16NEONBF16 holds the Winograd product kernel bit for bit to
// its contract over tile shapes, kp (0 included), panels, row tiles,
// offsets and NaN guard cells.
func TestWinoBF16NEONBF16(t *testing.T) {
	skipNoBF16(t)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, nr := range []int{32, 16} {
		for _, mr := range []int{12, 8, 4} {
			for _, kp := range []int{0, 1, 3, 8, 17} {
				for _, np := range []int{1, 3} {
					for _, rt := range []int{1, 2} {
						off := (kp + np + rt) % 4
						lda, ldc, rows := 2*kp+off%3, np*nr+off, rt*mr
						a := randVals(rng, off+(rows-1)*lda+2*kp+3)[off:]
						b := randVals(rng, off+np*kp*2*nr+5)[off:]
						c := make([]float32, off+(rows-1)*ldc+np*nr+7)
						for i := range c {
							c[i] = float32(math.NaN())
						}
						WinoBF16NEONBF16(mr, nr, a, lda, kp, b, np, rt, c[off:], ldc)
						for i := range c {
							row, col := (i-off)/ldc, (i-off)%ldc
							if i < off || row >= rows || col >= np*nr {
								if !math.IsNaN(float64(c[i])) {
									t.Fatalf("%dx%d kp=%d np=%d rt=%d: guard c[%d] written", mr, nr, kp, np, rt, i-off)
								}
								continue
							}
							jp, j := col/nr, col%nr
							var s float32
							for p := 0; p < kp; p++ {
								bi := ((jp*kp+p)*nr + j) * 2
								s = dpbf16Ref(s, a[row*lda+2*p], a[row*lda+2*p+1], b[bi], b[bi+1])
							}
							if math.Float32bits(c[i]) != math.Float32bits(s) {
								t.Fatalf("%dx%d kp=%d np=%d rt=%d: c[%d,%d] = %v, want %v", mr, nr, kp, np, rt, row, col, c[i], s)
							}
						}
					}
				}
			}
		}
	}
}
