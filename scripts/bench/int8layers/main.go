// Command int8layers times each int8 convolution of U-Net-ResNet34 at one
// image size on its own (random weights and inputs, the model's shapes) and
// the memory-bound ops between them: ms (one thread: the best of -n by the
// thread's CPU time; more: the median wall time), GOP/s of the layer's real
// products, and the share of the sum. Run it through /work/bin/quiet:
//
//	go run ./scripts/bench/int8layers -size 1024 -t 1 -n 7
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/lungo-ml/lungo/kernels"
)

type layer struct {
	name             string
	h, c, k, r, s, p int // input side, channels in/out, kernel, stride, pad
	res              bool
	count            int // times it occurs
}

// threadCPU returns the CPU time of the calling thread in nanoseconds.
func threadCPU() int64 {
	var ts syscall.Timespec
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 3 /* CLOCK_THREAD_CPUTIME_ID */, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

func main() {
	size := flag.Int("size", 1024, "image side")
	th := flag.Int("t", 1, "threads")
	n := flag.Int("n", 7, "timed runs per layer")
	only := flag.String("only", "", "time only the layers whose name holds this")
	flag.Parse()
	kernels.SetThreads(*th)
	S := *size
	ls := []layer{
		{"stem 7x7/2 1->64", S, 1, 64, 7, 2, 3, false, 1},
		{"layer1 3x3 64", S / 4, 64, 64, 3, 1, 1, false, 3},
		{"layer1 3x3 64 +res", S / 4, 64, 64, 3, 1, 1, true, 3},
		{"layer2 3x3/2 64->128", S / 4, 64, 128, 3, 2, 1, false, 1},
		{"layer2 1x1/2 down", S / 4, 64, 128, 1, 2, 0, false, 1},
		{"layer2 3x3 128", S / 8, 128, 128, 3, 1, 1, false, 3},
		{"layer2 3x3 128 +res", S / 8, 128, 128, 3, 1, 1, true, 4},
		{"layer3 3x3/2 128->256", S / 8, 128, 256, 3, 2, 1, false, 1},
		{"layer3 1x1/2 down", S / 8, 128, 256, 1, 2, 0, false, 1},
		{"layer3 3x3 256", S / 16, 256, 256, 3, 1, 1, false, 5},
		{"layer3 3x3 256 +res", S / 16, 256, 256, 3, 1, 1, true, 6},
		{"layer4 3x3/2 256->512", S / 16, 256, 512, 3, 2, 1, false, 1},
		{"layer4 1x1/2 down", S / 16, 256, 512, 1, 2, 0, false, 1},
		{"layer4 3x3 512", S / 32, 512, 512, 3, 1, 1, false, 2},
		{"layer4 3x3 512 +res", S / 32, 512, 512, 3, 1, 1, true, 3},
		{"dec0 conv1 768->256", S / 16, 768, 256, 3, 1, 1, false, 1},
		{"dec0 conv2 256", S / 16, 256, 256, 3, 1, 1, false, 1},
		{"dec1 conv1 384->128", S / 8, 384, 128, 3, 1, 1, false, 1},
		{"dec1 conv2 128", S / 8, 128, 128, 3, 1, 1, false, 1},
		{"dec2 conv1 192->64", S / 4, 192, 64, 3, 1, 1, false, 1},
		{"dec2 conv2 64", S / 4, 64, 64, 3, 1, 1, false, 1},
		{"dec3 conv1 128->32", S / 2, 128, 32, 3, 1, 1, false, 1},
		{"dec3 conv2 32", S / 2, 32, 32, 3, 1, 1, false, 1},
		{"dec4 conv1 32->16", S, 32, 16, 3, 1, 1, false, 1},
		{"dec4 conv2 16", S, 16, 16, 3, 1, 1, false, 1},
		{"head 3x3 16->1", S, 16, 1, 3, 1, 1, false, 1},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	// One thread: the best of n by the thread's CPU time (the machine is
	// shared: wall time counts the time others hold the core); more: the
	// median wall time.
	if *th == 1 {
		runtime.LockOSThread()
	}
	med := func(f func()) float64 {
		f()
		var v []float64
		for i := 0; i < *n; i++ {
			t0, c0 := time.Now(), threadCPU()
			f()
			if *th == 1 {
				v = append(v, float64(threadCPU()-c0)/1e6)
			} else {
				v = append(v, float64(time.Since(t0).Nanoseconds())/1e6)
			}
		}
		sort.Float64s(v)
		if *th == 1 {
			return v[0]
		}
		return v[len(v)/2]
	}
	type row struct {
		name string
		ms   float64
		gops float64
	}
	var rows []row
	total := 0.0
	for _, l := range ls {
		if !strings.Contains(l.name, *only) {
			continue
		}
		w := make([]float32, l.k*l.c*l.r*l.r)
		for i := range w {
			w[i] = rng.Float32()*2 - 1
		}
		cv := kernels.PackInt8Conv(w, nil, l.k, l.c, l.r, l.r, l.s, l.p, 0.02, 0, 0.05, 0)
		x := kernels.NewU8Image(1, l.h, l.h, cv.Cp, l.p, 0.02, 0)
		for i := range x.Data {
			x.Data[i] = uint8(rng.IntN(256))
		}
		x.ClearHalo()
		oh := cv.OutH(l.h)
		y := kernels.NewU8Image(1, oh, oh, l.k, 1, 0.05, 0)
		var res *kernels.U8Image
		if l.res {
			r := kernels.NewU8Image(1, oh, oh, l.k, 1, 0.05, 0)
			res = &r
		}
		ms := med(func() { kernels.Int8Conv2D(y, x, cv, res, true) })
		ops := 2 * float64(oh*oh) * float64(l.k*l.c*l.r*l.r)
		rows = append(rows, row{fmt.Sprintf("%-24s x%d", l.name, l.count), ms * float64(l.count), ops / ms / 1e6})
		total += ms * float64(l.count)
	}
	// Memory-bound ops.
	if *only == "" || strings.Contains("maxpool", *only) {
		x := kernels.NewU8Image(1, S/2, S/2, 64, 1, 0.02, 0)
		y := kernels.NewU8Image(1, S/4, S/4, 64, 1, 0.02, 0)
		ms := med(func() { kernels.U8MaxPool3x3s2(y, x) })
		rows = append(rows, row{"maxpool 3x3/2 64", ms, 0})
		total += ms
	}
	ups := []struct{ h, c, k int }{{S / 32, 512, 256}, {S / 16, 256, 128}, {S / 8, 128, 64}, {S / 4, 64, 64}, {S / 2, 32, 0}}
	for _, u := range ups {
		if *only != "" && !strings.Contains("upcat", *only) {
			break
		}
		x := kernels.NewU8Image(1, u.h, u.h, u.c, 1, 0.02, 0)
		var skip *kernels.U8Image
		if u.k > 0 {
			s := kernels.NewU8Image(1, 2*u.h, 2*u.h, u.k, 1, 0.03, 3)
			skip = &s
		}
		// As in the model: the union of the parts' ranges is one of them
		// (post-ReLU ranges [0, hi]): the other part is requantized.
		y := kernels.NewU8Image(1, 2*u.h, 2*u.h, u.c+u.k, 1, 0.03, 3)
		if u.k == 0 {
			y.Scale, y.Zero = x.Scale, x.Zero
		}
		ms := med(func() { kernels.U8UpsampleConcat(y, x, skip) })
		rows = append(rows, row{fmt.Sprintf("upcat %d+%d @%d", u.c, u.k, 2*u.h), ms, 0})
		total += ms
	}
	for _, r := range rows {
		g := ""
		if r.gops > 0 {
			g = fmt.Sprintf("%6.0f GOP/s", r.gops)
		}
		fmt.Printf("%-34s %8.2f ms %5.1f%% %s\n", r.name, r.ms, 100*r.ms/total, g)
	}
	fmt.Printf("%-34s %8.2f ms (size %d, %d threads, int8 %v)\n", "sum", total, S, *th, kernels.Int8Impls())
}
