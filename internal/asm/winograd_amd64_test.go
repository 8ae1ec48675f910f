//go:build gc && !purego

package asm

import (
	"hash/fnv"
	"math"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// The Winograd transforms are checked against the plain matrix products by
// kernels' TestWinogradTransforms (up to rounding); here they are checked
// bit for bit: every transform against a hash of what the hand-written
// assembly, from which winograd_amd64.s is generated, computed on the same
// inputs (the same operations in the same order give the same bits on every
// x86 CPU), and the AVX-512 ones against the AVX2 ones.

// winoStrided is a transform from strided src to elements ds apart (the
// input, weight and dy transforms); winoOut the output transform.
type (
	winoStrided func(dst []float32, ds int, src []float32, sa, sb, n int)
	winoOut     func(dst []float32, da, db int, src []float32, ss int, bias []float32, n int)
)

// winoBitCase is one transform: q x q strided inputs to ne elements
// (strided), or ne elements to an m x m strided output (out).
type winoBitCase struct {
	name      string
	q, ne     int // strided side, number of tile elements
	avx2, z   winoStrided
	out, outZ winoOut
	want      uint64 // FNV-64a of the AVX2 results, n = 0 to 48
}

func winoBitCases() []winoBitCase {
	return []winoBitCase{
		{name: "Input4x4", q: 6, ne: 36, avx2: WinoInput4x4AVX2, z: WinoInput4x4AVX512, want: 0xad70eb71133cc46f},
		{name: "Weight4x4", q: 3, ne: 36, avx2: WinoWeight4x4AVX2, z: WinoWeight4x4AVX512, want: 0xd786b7c780871690},
		{name: "Output4x4", q: 4, ne: 36, out: WinoOutput4x4AVX2, outZ: WinoOutput4x4AVX512, want: 0x3e83266bec55660a},
		{name: "Input2x2", q: 4, ne: 16, avx2: WinoInput2x2AVX2, z: WinoInput2x2AVX512, want: 0xf8fce1681a823958},
		{name: "Weight2x2", q: 3, ne: 16, avx2: WinoWeight2x2AVX2, z: WinoWeight2x2AVX512, want: 0x82ea69454ae54d9d},
		{name: "Output2x2", q: 2, ne: 16, out: WinoOutput2x2AVX2, outZ: WinoOutput2x2AVX512, want: 0xb972f90036e4d5f5},
		{name: "Dy2x2", q: 2, ne: 16, avx2: WinoDy2x2AVX2, z: WinoDy2x2AVX512, want: 0xebbbf2d33a242d6c},
	}
}

// runWinoBits runs one transform on n channels of fixed inputs (values
// over several binades, strides with gaps, NaN guards around the
// destination, checked afterwards) and returns the destination.
func runWinoBits(t *testing.T, c winoBitCase, strided winoStrided, out winoOut, n int) []float32 {
	const guard = 8
	val := func(i int) float32 { return float32(math.Sin(float64(i)*0.37) * math.Exp2(float64(i%7)-3)) }
	nan := float32(math.NaN())
	var dst []float32
	var lo, hi int // the part of dst the transform may write
	if strided != nil {
		sb, sa, ds := n+3, c.q*(n+3)+5, n+5
		src := make([]float32, (c.q-1)*(sa+sb)+n)
		for i := range src {
			src[i] = val(i)
		}
		lo, hi = guard, guard+(c.ne-1)*ds+n
		dst = make([]float32, hi+guard)
		for i := range dst {
			dst[i] = nan
		}
		strided(dst[lo:hi], ds, src, sa, sb, n)
		for e := 0; e < c.ne-1; e++ {
			for k := n; k < ds; k++ {
				if v := dst[lo+e*ds+k]; v == v {
					t.Fatalf("%s n=%d: wrote %v into the gap after element %d", c.name, n, v, e)
				}
			}
		}
	} else {
		ss, db := n+2, n+1
		da := c.q*db + 3
		src := make([]float32, (c.ne-1)*ss+n)
		for i := range src {
			src[i] = val(i)
		}
		bias := make([]float32, n)
		for i := range bias {
			bias[i] = val(3*i + 1)
		}
		lo, hi = guard, guard+(c.q-1)*(da+db)+n
		dst = make([]float32, hi+guard)
		for i := range dst {
			dst[i] = nan
		}
		out(dst[lo:hi], da, db, src, ss, bias, n)
		for k := lo; k < hi; k++ {
			i, j, ch := (k-lo)/da, (k-lo)%da/db, (k-lo)%da%db
			if v := dst[k]; (i >= c.q || j >= c.q || ch >= n) && v == v {
				t.Fatalf("%s n=%d: cell %d outside the tile written", c.name, n, k-lo)
			}
		}
	}
	for i := 0; i < guard; i++ {
		if dst[i] == dst[i] || dst[len(dst)-1-i] == dst[len(dst)-1-i] {
			t.Fatalf("%s n=%d: guard cell written", c.name, n)
		}
	}
	return dst[lo:hi]
}

func TestWinogradBits(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		t.Skip("no AVX2 and FMA")
	}
	avx512 := cpuid.CPU.Supports(cpuid.AVX512F)
	for _, c := range winoBitCases() {
		h := fnv.New64a()
		var b [4]byte
		for n := 0; n <= 48; n += 8 {
			got := runWinoBits(t, c, c.avx2, c.out, n)
			for _, v := range got {
				u := math.Float32bits(v)
				b[0], b[1], b[2], b[3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
				h.Write(b[:])
			}
			if avx512 && n%16 == 0 && (c.z != nil || c.outZ != nil) {
				gotZ := runWinoBits(t, c, c.z, c.outZ, n)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(gotZ[i]) {
						t.Fatalf("%s n=%d: AVX-512 %v at %d, AVX2 %v", c.name, n, gotZ[i], i, got[i])
					}
				}
			}
		}
		t.Logf("%s: %#x", c.name, h.Sum64())
		if h.Sum64() != c.want {
			t.Errorf("%s: results hash to %#x, want %#x", c.name, h.Sum64(), c.want)
		}
	}
}

// BenchmarkWinograd times each transform of one tile of 64 channels, the
// AVX2 and the AVX-512 version in the same run.
func BenchmarkWinograd(b *testing.B) {
	if !cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		b.Skip("no AVX2 and FMA")
	}
	const n = 64
	for _, c := range winoBitCases() {
		for _, isa := range []string{"avx2", "avx512"} {
			strided, out := c.avx2, c.out
			if isa == "avx512" {
				if !cpuid.CPU.Supports(cpuid.AVX512F) {
					continue
				}
				strided, out = c.z, c.outZ
			}
			b.Run("op="+c.name+"/isa="+isa, func(b *testing.B) {
				sb, sa, ds := n, c.q*n, n
				src := make([]float32, max((c.q-1)*(sa+sb)+n, (c.ne-1)*ds+n))
				dst := make([]float32, max((c.ne-1)*ds+n, (c.q-1)*(sa+sb)+n))
				bias := make([]float32, n)
				b.ReportAllocs()
				for b.Loop() {
					if strided != nil {
						strided(dst, ds, src, sa, sb, n)
					} else {
						out(dst, sa, sb, src, ds, bias, n)
					}
				}
			})
		}
	}
}
