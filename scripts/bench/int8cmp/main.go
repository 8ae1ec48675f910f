// Command int8cmp times U-Net-ResNet34 inference in float32, bf16 and int8
// interleaved in one process on a random image (int8 calibrated on it):
// wall and CPU medians per precision. Run it through /work/bin/quiet:
//
//	go run ./scripts/bench/int8cmp -size 512 -t 1 -n 5
//	go run ./scripts/bench/int8cmp -size 512 -t 1 -n 20 -prof int8.prof  # int8 only, CPU profile
//	go run ./scripts/bench/int8cmp -size 512 -t 2 -n 3 -prec fp32,int8
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/lungo-ml/lungo/bench"
	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/tensor"
)

func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	size := flag.Int("size", 512, "image side")
	th := flag.Int("t", 1, "threads")
	n := flag.Int("n", 6, "timed runs per precision")
	prof := flag.String("prof", "", "write a CPU profile of n int8 runs here instead of timing")
	precs := flag.String("prec", "fp32,bf16,int8", "precisions to time (comma list)")
	flag.Parse()
	kernels.SetThreads(*th)
	cfg, _ := unet.ParseArch("resnet34", 1)
	m := unet.MustNew(cfg, tensor.NewRNG(1))
	m.SetTraining(false)
	x := tensor.NewRNG(2).Randn(1, 1, *size, *size)
	cal, err := unet.Calibrate(context.Background(), m, []*tensor.Tensor{x}, unet.MinMax)
	check(err)
	q, err := unet.NewInt8(m, cal)
	check(err)
	b, err := unet.NewBF16(m)
	check(err)
	fmt.Printf("FMA peak %.0f GFLOP/s (one thread); int8 kernels %v\n", bench.Peak(), kernels.Int8Impls())
	var ps []unet.Predictor
	var names []string
	for _, p := range strings.Split(*precs, ",") {
		switch p {
		case "fp32":
			ps = append(ps, m)
		case "bf16":
			ps = append(ps, b)
		case "int8":
			ps = append(ps, q)
		default:
			check(fmt.Errorf("int8cmp: unknown precision %q", p))
		}
		names = append(names, p)
	}
	wall := make([][]float64, len(ps))
	cp := make([][]float64, len(ps))
	for i := range ps {
		_, err := ps[i].Predict(x)
		check(err)
	}
	if *prof != "" {
		f, err := os.Create(*prof)
		check(err)
		check(pprof.StartCPUProfile(f))
		for i := 0; i < *n; i++ {
			q.Predict(x)
		}
		pprof.StopCPUProfile()
		return
	}
	for it := 0; it < *n; it++ {
		for i, p := range ps {
			c0, t0 := cpu(), time.Now()
			p.Predict(x)
			wall[i] = append(wall[i], float64(time.Since(t0).Microseconds())/1000)
			cp[i] = append(cp[i], float64((cpu()-c0).Microseconds())/1000)
		}
	}
	med := func(v []float64) float64 { sort.Float64s(v); return v[len(v)/2] }
	for i := range ps {
		fmt.Printf("%d %d threads %s: wall median %.1f ms min %.1f, cpu median %.1f ms\n", *size, *th, names[i], med(wall[i]), wall[i][0], med(cp[i]))
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
