//go:build gc && !purego

package kernels

import (
	"github.com/klauspost/cpuid/v2"

	"github.com/lungo-ml/lungo/internal/asm"
)

func init() {
	var copyMap func(d []uint8, dstep int, s []uint8, sstep, n, width int, t *[256]uint8)
	if cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VBMI) {
		copyMap = asm.CopyMapU8AVX512VBMI
	}
	// Preferred last: AVX-512 VNNI over AVX-VNNI where a CPU has both.
	int8Impls = append(int8Impls, int8Impl{
		name:      "avxvnni",
		available: asm.HasInt8 && cpuid.CPU.Supports(cpuid.AVX2, cpuid.AVXVNNI),
		kernels:   int8Kernels(asm.ConvU8S8AVXVNNI),
	}, int8Impl{
		name:      "avx512vnni",
		available: asm.HasInt8 && cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VNNI),
		kernels:   int8Kernels(asm.ConvU8S8AVX512VNNI),
		tiles:     asm.ConvU8S8TilesAVX512VNNI,
		c16k1:     asm.ConvU8S8C16K1AVX512VNNI,
		maxPool:   asm.MaxPool3x3s2U8AVX512,
		copyMap:   copyMap,
	})
}
