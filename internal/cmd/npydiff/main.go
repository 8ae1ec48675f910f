// Command npydiff compares two float32 .npy files element by element and
// exits 1 if their shapes differ or any |a-b| > atol + rtol*|b|. CI uses it
// to check that the arm64 build predicts what the amd64 build does.
//
//	go run ./internal/cmd/npydiff [-atol 1e-4] [-rtol 1e-3] A.npy B.npy
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"

	"github.com/lungo-ml/lungo/internal/npy"
	"github.com/lungo-ml/lungo/tensor"
)

func read(path string) ([]int, []float32) {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "npydiff:", err)
		os.Exit(2)
	}
	defer f.Close()
	shape, data, err := npy.ReadFloat32(f)
	if err != nil {
		fmt.Fprintf(os.Stderr, "npydiff: %s: %v\n", path, err)
		os.Exit(2)
	}
	return shape, data
}

func main() {
	atol := flag.Float64("atol", 1e-4, "absolute tolerance")
	rtol := flag.Float64("rtol", 1e-3, "relative tolerance")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: npydiff [-atol A] [-rtol R] A.npy B.npy")
		os.Exit(2)
	}
	sa, a := read(flag.Arg(0))
	sb, b := read(flag.Arg(1))
	if !slices.Equal(sa, sb) {
		fmt.Printf("shapes differ: %v vs %v\n", sa, sb)
		os.Exit(1)
	}
	i, d, ok := tensor.MaxDiff(a, b, *atol, *rtol)
	if !ok {
		fmt.Printf("element %d: %g vs %g (|diff| %.3g > atol %g + rtol %g*|b|)\n", i, a[i], b[i], d, *atol, *rtol)
		os.Exit(1)
	}
	fmt.Printf("%d values agree (max |diff| at element %d: %.3g)\n", len(a), i, d)
}
