// Command bf16layers times each 3x3 stride-1 convolution shape of
// U-Net-ResNet34 at one input size in bf16, direct and Winograd F(2x2,3x3)
// interleaved in one process, and prints the medians, their ratio and the
// share of the total: go run ./scripts/bench/bf16layers -size 512 -t 1.
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
	"github.com/lungo-ml/lungo/tensor"
)

func main() {
	size := flag.Int("size", 512, "input height and width")
	threads := flag.Int("t", 1, "kernel threads")
	runs := flag.Int("n", 7, "timed runs of each")
	only := flag.String("only", "", "time only this layer, C,K,HW")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the Winograd calls to this file")
	flag.Parse()
	runtime.GOMAXPROCS(max(*threads, 1))
	kernels.SetThreads(*threads)
	s := *size
	// c, k, output side, count in the network.
	layers := [][4]int{
		{64, 64, s / 4, 6}, {128, 128, s / 8, 7}, {256, 256, s / 16, 11}, {512, 512, s / 32, 5},
		{768, 256, s / 16, 1}, {256, 256, s / 16, 1}, {384, 128, s / 8, 1}, {128, 128, s / 8, 1},
		{192, 64, s / 4, 1}, {64, 64, s / 4, 1}, {128, 32, s / 2, 1}, {32, 32, s / 2, 1},
		{32, 16, s, 1}, {16, 16, s, 1}, {16, 1, s, 1},
	}
	if *only != "" {
		var c, k, hw int
		if _, err := fmt.Sscanf(*only, "%d,%d,%d", &c, &k, &hw); err != nil {
			fmt.Fprintln(os.Stderr, "bf16layers: -only:", err)
			os.Exit(2)
		}
		layers = [][4]int{{c, k, hw, 1}}
	}
	var totD, totW float64
	fmt.Printf("%-16s %5s %10s %10s %6s\n", "C->K @HxW", "count", "direct ms", "wino ms", "ratio")
	for _, l := range layers {
		c, k, hw, cnt := l[0], l[1], l[2], l[3]
		rng := tensor.NewRNG(1)
		w := rng.Randn(k, c, 3, 3).Data
		for i := range w {
			w[i] *= 0.05
		}
		cd := kernels.PackBF16Conv(w, nil, k, c, 3, 3, 1, 1)
		cw := kernels.PackBF16Winograd(w, nil, k, c, 1)
		x := kernels.NewBF16Image(1, hw, hw, cd.Cp, 1)
		for i := range x.Data {
			x.Data[i] = kernels.F32ToBF16(rng.Float32())
		}
		x.ClearHalo()
		y := kernels.NewBF16Image(1, hw, hw, k, 1)
		if *prof != "" {
			f, err := os.Create(*prof)
			if err != nil {
				panic(err)
			}
			pprof.StartCPUProfile(f)
			for r := 0; r < 20**runs; r++ {
				kernels.BF16Conv2D(y, x, cw, nil, true)
			}
			pprof.StopCPUProfile()
			f.Close()
			return
		}
		var td, tw []float64
		for r := 0; r < *runs+1; r++ {
			t0 := time.Now()
			kernels.BF16Conv2D(y, x, cd, nil, true)
			t1 := time.Now()
			kernels.BF16Conv2D(y, x, cw, nil, true)
			t2 := time.Now()
			if r > 0 {
				td = append(td, t1.Sub(t0).Seconds()*1e3)
				tw = append(tw, t2.Sub(t1).Seconds()*1e3)
			}
		}
		slices.Sort(td)
		slices.Sort(tw)
		md, mw := td[len(td)/2], tw[len(tw)/2]
		totD += md * float64(cnt)
		totW += min(md, mw) * float64(cnt)
		fmt.Printf("%-16s %5d %10.3f %10.3f %6.2f\n", fmt.Sprintf("%d->%d @%d", c, k, hw), cnt, md, mw, mw/md)
	}
	fmt.Printf("3x3 stride-1 total: direct %.1f ms, best of each %.1f ms\n", totD, totW)
}
