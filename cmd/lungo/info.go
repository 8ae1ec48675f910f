package main

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/klauspost/cpuid/v2"
	"github.com/lungo-ml/lungo/bench"
	"github.com/lungo-ml/lungo/kernels"
)

func init() {
	register("info", "print lungo's version, the CPU, its features and caches, and the kernel implementations", runInfo)
}

func runInfo(args []string) error {
	fs := newFlags("info", "")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	c := cpuid.CPU
	fmt.Printf("lungo:      %s\n", readVersion())
	fmt.Printf("cpu:        %s (%s, family %d model %d)\n", c.BrandName, c.VendorString, c.Family, c.Model)
	fmt.Printf("cores:      %d physical, %d logical; GOMAXPROCS %d; kernel threads %d\n",
		c.PhysicalCores, c.LogicalCores, runtime.GOMAXPROCS(0), kernels.Threads())
	fmt.Printf("caches:     L1d %s, L2 %s, L3 %s\n", size(c.Cache.L1D), size(c.Cache.L2), size(c.Cache.L3))
	fmt.Printf("features:   %s\n", strings.Join(bench.CPUFeatures(), " "))
	fmt.Printf("arch:       %s/%s, %s\n", runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Printf("kernels:    registered %s; available %s\n", strings.Join(kernels.List(), ", "), strings.Join(kernels.Available(), ", "))
	fmt.Printf("selected:   %s (force with %s=name)\n", kernels.Active().Name, kernels.EnvVar)
	return nil
}

// size formats a cache size in bytes (cpuid reports -1 or 0 when unknown).
func size(b int) string {
	switch {
	case b <= 0:
		return "unknown"
	case b >= 1<<20 && b%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", b>>20)
	case b >= 1<<10:
		return fmt.Sprintf("%d KiB", b>>10)
	}
	return fmt.Sprintf("%d B", b)
}
