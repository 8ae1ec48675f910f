// Command bf16cmp times U-Net-ResNet34 inference in float32 and bf16 in one
// process, interleaved call by call, and prints the medians and their
// ratio: go run ./scripts/bench/bf16cmp -size 512 -threads 1 -runs 10.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"syscall"
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
	only := flag.String("only", "", "fp32 or bf16: run that alone (after building both) and print the peak resident memory")
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
	if *only != "" {
		var p unet.Predictor = m
		if *only == "bf16" {
			p, m = b, nil // the float32 model is garbage from here
			runtime.GC()
			debug.FreeOSMemory()
		}
		var ts []float64
		for i := 0; i < *runs+2; i++ {
			t0 := time.Now()
			if _, err := p.Predict(x); err != nil {
				panic(err)
			}
			if i >= 2 {
				ts = append(ts, time.Since(t0).Seconds()*1e3)
			}
		}
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		fmt.Printf("unet-%s infer 1x%dx%d threads=%d %s alone: %.1f ms median of %d; peak RSS %.0f MiB (process; float32 weights were loaded at start)\n",
			*arch, *size, *size, *threads, *only, median(ts), *runs, float64(ru.Maxrss)/1024)
		return
	}
	var tf, tb, cf, cb []float64
	for i := 0; i < *runs+2; i++ {
		c0, t0 := cpu(), time.Now()
		if _, err := m.Predict(x); err != nil {
			panic(err)
		}
		c1, t1 := cpu(), time.Now()
		if _, err := b.Predict(x); err != nil {
			panic(err)
		}
		c2, t2 := cpu(), time.Now()
		if i >= 2 { // two warm-up rounds
			tf = append(tf, t1.Sub(t0).Seconds()*1e3)
			tb = append(tb, t2.Sub(t1).Seconds()*1e3)
			cf, cb = append(cf, c1-c0), append(cb, c2-c1)
		}
	}
	mf, mb := median(tf), median(tb)
	fmt.Printf("unet-%s infer 1x%dx%d threads=%d bf16impl=%s: wall fp32 %.1f ms, bf16 %.1f ms, bf16/fp32 = %.2f; process CPU fp32 %.1f ms, bf16 %.1f ms, ratio %.2f (medians of %d, interleaved)\n",
		*arch, *size, *size, *threads, kernels.BF16Impls()[0], mf, mb, mb/mf, median(cf), median(cb), median(cb)/median(cf), *runs)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// cpu returns the process's user+system CPU time in ms.
func cpu() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}
