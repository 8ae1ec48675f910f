//go:build gc && !purego

package asm

import (
	"fmt"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// BenchmarkConvU8S8Tile times the AVX-512 VNNI tiles on operands in L1
// (one kernel row of kp quad steps, tiles along a row), and the VPDPBUSD
// peak probe: GOP/s counts a multiply-add as two.
func BenchmarkConvU8S8Tile(b *testing.B) {
	if !cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VNNI) {
		b.Skip("no AVX-512 VNNI")
	}
	b.Run("peak", func(b *testing.B) {
		ops := 0
		for i := 0; i < b.N; i++ {
			ops += VPDPBUSDLoop(1000)
		}
		b.ReportMetric(float64(ops)/b.Elapsed().Seconds()/1e9, "GOP/s")
	})
	for _, sh := range [][3]int{{12, 32, 144}, {8, 32, 144}, {12, 16, 72}, {12, 32, 36}, {12, 16, 36}} {
		mr, nr, kp := sh[0], sh[1], sh[2]
		const tiles = 8
		lda := 4 * kp
		a := make([]uint8, tiles*mr*lda+4*kp)
		bb := make([]int8, kp*4*nr)
		for i := range a {
			a[i] = uint8(i * 7)
		}
		for i := range bb {
			bb[i] = int8(i * 3)
		}
		comp, mul, add := make([]int32, nr), make([]float32, nr), make([]float32, nr)
		for i := range mul {
			mul[i] = 0.001
		}
		c := make([]uint8, tiles*mr*nr)
		b.Run(fmt.Sprintf("%dx%d/kp=%d", mr, nr, kp), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ConvU8S8TilesAVX512VNNI(mr, nr, tiles, a, 4, 0, 1, kp, bb, comp, mul, add, nil, 0, c, nr, 0, 0, 0)
			}
			b.ReportMetric(float64(2*4*kp*mr*nr*tiles)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
		})
	}
}
