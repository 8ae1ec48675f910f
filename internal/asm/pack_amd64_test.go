//go:build gc && !purego

package asm

import (
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// TestPackRow32 checks PackRow32AVX against copy over run counts, strides and
// offsets, with guard cells around every run and after the last.
func TestPackRow32(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX) {
		t.Skip("no AVX")
	}
	const guard = -7.5
	for _, n := range []int{0, 1, 2, 3, 7, 16} {
		for _, ds := range []int{32, 33, 40, 256 * 32} {
			for _, off := range []int{0, 1, 3} {
				src := make([]float32, off+32*n+5)
				for i := range src {
					src[i] = float32(i) + 0.25
				}
				size := off + max(0, (n-1)*ds+32) + 9
				got, want := make([]float32, size), make([]float32, size)
				for i := range got {
					got[i], want[i] = guard, guard
				}
				for i := 0; i < n; i++ {
					copy(want[off+i*ds:off+i*ds+32], src[off+i*32:])
				}
				PackRow32AVX(got[off:], ds, src[off:], n)
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("n=%d ds=%d off=%d: dst[%d] = %v, want %v", n, ds, off, i, got[i], want[i])
					}
				}
			}
		}
	}
	for _, bad := range []func(){
		func() { PackRow32AVX(make([]float32, 64), 31, make([]float32, 64), 1) },
		func() { PackRow32AVX(make([]float32, 63), 32, make([]float32, 64), 2) },
		func() { PackRow32AVX(make([]float32, 64), 32, make([]float32, 63), 2) },
		func() { PackRow32AVX(nil, 32, nil, -1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("PackRow32AVX with bad arguments did not panic")
				}
			}()
			bad()
		}()
	}
}
