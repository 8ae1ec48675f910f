// Command bf16cmp times U-Net-ResNet34 inference in float32 and bf16 in one
// process, interleaved call by call, and prints the medians and their
// ratio: go run ./scripts/bench/bf16cmp -size 512 -threads 1 -runs 10.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/tensor"
)

func main() {
	size := flag.Int("size", 512, "image height and width")
	threads := flag.Int("threads", 1, "kernel threads")
	runs := flag.Int("runs", 10, "timed runs of each")
	arch := flag.String("arch", "resnet34", "encoder")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the bf16 calls to this file")
	flag.Parse()
	runtime.GOMAXPROCS(max(*threads, 1))
	kernels.SetThreads(*threads)
	cfg, err := unet.ParseArch(*arch, 1)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	m := unet.MustNew(cfg, tensor.NewRNG(1))
	m.SetTraining(false)
	b, err := unet.NewBF16(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	x := tensor.NewRNG(2).Randn(1, 1, *size, *size)
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			panic(err)
		}
		b.Predict(x)
		pprof.StartCPUProfile(f)
		for i := 0; i < *runs; i++ {
			b.Predict(x)
		}
		pprof.StopCPUProfile()
		f.Close()
		return
	}
	var tf, tb []float64
	for i := 0; i < *runs+2; i++ {
		t0 := time.Now()
		if _, err := m.Predict(x); err != nil {
			panic(err)
		}
		t1 := time.Now()
		if _, err := b.Predict(x); err != nil {
			panic(err)
		}
		t2 := time.Now()
		if i >= 2 { // two warm-up rounds
			tf = append(tf, t1.Sub(t0).Seconds()*1e3)
			tb = append(tb, t2.Sub(t1).Seconds()*1e3)
		}
	}
	mf, mb := median(tf), median(tb)
	fmt.Printf("unet-%s infer 1x%dx%d threads=%d bf16impl=%s: fp32 %.1f ms, bf16 %.1f ms (median of %d, interleaved), bf16/fp32 = %.2f\n",
		*arch, *size, *size, *threads, kernels.BF16Impls()[0], mf, mb, *runs, mb/mf)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
