//go:build amd64 && gc && !purego

// Command int8tile times the AVX-512 VNNI int8 kernels on operands in
// cache, by the thread's CPU time (best and median of -n), next to the
// VPDPBUSD peak probe: GOP/s counts a multiply-add as two. Run it through
// /work/bin/quiet:
//
//	go run ./scripts/bench/int8tile -n 30
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"syscall"
	"unsafe"

	"github.com/klauspost/cpuid/v2"

	"github.com/lungo-ml/lungo/internal/asm"
)

// threadCPU returns the CPU time of the calling thread in nanoseconds.
func threadCPU() int64 {
	var ts syscall.Timespec
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 3 /* CLOCK_THREAD_CPUTIME_ID */, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

func main() {
	n := flag.Int("n", 30, "runs per kernel")
	flag.Parse()
	if !asm.HasInt8 || !cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VNNI) {
		fmt.Fprintln(os.Stderr, "int8tile: needs AVX-512 VNNI")
		os.Exit(1)
	}
	runtime.LockOSThread()
	rate := func(name string, f func() int) {
		var v []float64
		for i := 0; i < *n; i++ {
			t0 := threadCPU()
			ops := f()
			v = append(v, float64(ops)/float64(threadCPU()-t0))
		}
		sort.Float64s(v)
		fmt.Printf("%-22s best %4.0f median %4.0f GOP/s\n", name, v[len(v)-1], v[len(v)/2])
	}
	rate("VPDPBUSD peak", func() int { return asm.VPDPBUSDLoop(20000) })
	// Tiles along a row: tile t at a[t*mr*lda:], one kernel row of kp quads.
	for _, sh := range [][3]int{{12, 32, 144}, {12, 32, 576}, {8, 32, 144}, {12, 16, 36}, {12, 16, 72}, {12, 16, 288}} {
		mr, nr, kp := sh[0], sh[1], sh[2]
		tiles := 32 * 12 / mr
		lda := 4 * kp
		a := make([]uint8, tiles*mr*lda+4*kp)
		b := make([]int8, kp*4*nr)
		for i := range a {
			a[i] = uint8(i * 7)
		}
		for i := range b {
			b[i] = int8(i * 3)
		}
		comp, mul, add := make([]int32, nr), make([]float32, nr), make([]float32, nr)
		c := make([]uint8, tiles*mr*nr)
		rate(fmt.Sprintf("%dx%d kp %d", mr, nr, kp), func() int {
			asm.ConvU8S8TilesAVX512VNNI(mr, nr, tiles, a, lda, 0, 1, kp, b, comp, mul, add, nil, 0, c, nr, 0, 0, 0)
			return 2 * 4 * kp * mr * nr * tiles
		})
	}
}
