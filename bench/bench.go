package bench

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/lungo-ml/lungo/internal/asm"
	"github.com/lungo-ml/lungo/kernels"
)

// Result is one measured case. JSON field names are those of "lungo bench
// -json" (op, shape, impl, threads, ms, gflops, peak_pct).
type Result struct {
	Op      string  `json:"op"`
	Shape   string  `json:"shape"`
	Impl    string  `json:"impl"`
	Threads int     `json:"threads"`
	MS      float64 `json:"ms"`       // median wall time of one run
	GFLOPS  float64 `json:"gflops"`   // Flops / median time; 0 for ops without a flop count
	PeakPct float64 `json:"peak_pct"` // GFLOPS as a percentage of Threads x the 1-core FMA peak
	// CPUMS is the median process CPU time of one run divided by Threads:
	// what MS would be if every thread had a core to itself. On a shared,
	// oversubscribed machine MS inflates with the other load while CPUMS
	// does not (it still counts cache pollution). Threads waiting for
	// each other count too: the kernels' worker pool polls for up to
	// 2 ms before it sleeps (kernels.SetSpin), so for multi-threaded
	// cases CPUMS is close to MS. 0 where unavailable.
	CPUMS float64 `json:"cpu_ms"`
	// PeakRSSMiB is the process's peak resident memory while the case ran
	// (set-up included), after returning freed memory to the OS first;
	// Linux only, 0 elsewhere.
	PeakRSSMiB float64 `json:"peak_rss_mib,omitempty"`
	// CoreRTTNS is CoreRoundTrip measured right after a multi-threaded
	// case: where the threads ran (0 for one thread).
	CoreRTTNS float64 `json:"core_rtt_ns,omitempty"`
}

// Case is one operation on one shape.
type Case struct {
	Op    string  // "sgemm", "conv2d", "conv2d fwd+bwd", "conv_transpose2d", "maxpool2d", ...
	Shape string  // e.g. "3x3 s1 p1 64->64 @128x128 n1"
	Flops float64 // floating-point operations of one run (0: not a flop-bound op)
	// Setup allocates the inputs and returns the function to time. It runs
	// once per Run, outside the timing, with the implementation and thread
	// count already selected.
	Setup func() func()
}

// Options controls Run.
type Options struct {
	Warmup  int           // untimed runs first (default 3)
	Runs    int           // at least this many timed runs (default 10)
	MinTime time.Duration // and at least this much time of them (default 0.5 s)
	MaxRuns int           // but at most this many (default 300)
}

func (o Options) withDefaults() Options {
	if o.Warmup <= 0 {
		o.Warmup = 3
	}
	if o.Runs <= 0 {
		o.Runs = 10
	}
	if o.MinTime <= 0 {
		o.MinTime = 500 * time.Millisecond
	}
	if o.MaxRuns < o.Runs {
		o.MaxRuns = max(300, o.Runs)
	}
	return o
}

// Run measures c with the named implementation and thread count (threads
// < 1: GOMAXPROCS) and returns the median. The previous implementation and
// thread count are restored afterwards.
func Run(c Case, impl string, threads int, opt Options) (Result, error) {
	rs, err := RunThreads(c, impl, []int{threads}, opt)
	if err != nil {
		return Result{}, err
	}
	return rs[0], nil
}

// RunThreads measures c with the named implementation at each of the
// thread counts (< 1: GOMAXPROCS) and returns one Result per count, in
// order. The counts take turns on one set of inputs (after opt.Warmup runs
// at each), turnRuns timed runs a turn after one untimed run (which finds
// the data in the caches where the other count's threads left it), so
// that a slow spell of a shared machine falls on all of them alike and
// the ratios between them hold: a thread-scaling figure from two separate
// Runs seconds apart compares two different machines when the host's load
// changes in between. Each count gets at least opt.Runs timed runs and
// opt.MinTime of them (about opt.MaxRuns at most). PeakRSSMiB is that of the whole interleaved measurement. The
// previous implementation and thread count are restored afterwards.
func RunThreads(c Case, impl string, threads []int, opt Options) ([]Result, error) {
	opt = opt.withDefaults()
	old := kernels.Threads()
	defer kernels.SetThreads(old)
	ths := make([]int, len(threads))
	for i, t := range threads {
		kernels.SetThreads(t)
		ths[i] = kernels.Threads()
	}
	times := make([][]float64, len(ths))
	cpus := make([][]float64, len(ths))
	spent := make([]time.Duration, len(ths))
	resetPeakRSS()
	err := kernels.Use(impl, func() {
		fn := c.Setup()
		for _, t := range ths {
			kernels.SetThreads(t)
			for i := 0; i < opt.Warmup; i++ {
				fn()
			}
		}
		for n := 0; n < opt.MaxRuns; n += turnRuns {
			if n >= opt.Runs && !slices.ContainsFunc(spent, func(d time.Duration) bool { return d < opt.MinTime }) {
				break
			}
			for i, t := range ths {
				kernels.SetThreads(t)
				if len(ths) > 1 {
					fn() // untimed: caches as the previous count left them
				}
				for range turnRuns {
					c0, cok := processCPU()
					t0 := time.Now()
					fn()
					d := time.Since(t0)
					spent[i] += d
					times[i] = append(times[i], d.Seconds())
					if c1, _ := processCPU(); cok {
						cpus[i] = append(cpus[i], (c1 - c0).Seconds())
					}
				}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	rss := peakRSS()
	var rtt float64
	if slices.ContainsFunc(ths, func(t int) bool { return t > 1 }) {
		rtt = CoreRoundTrip()
	}
	rs := make([]Result, len(ths))
	for i, t := range ths {
		r := Result{Op: c.Op, Shape: c.Shape, Impl: impl, Threads: t, MS: median(times[i]) * 1e3, PeakRSSMiB: rss}
		if t > 1 {
			r.CoreRTTNS = rtt
		}
		if len(cpus[i]) > 0 {
			r.CPUMS = median(cpus[i]) * 1e3 / float64(t)
		}
		if c.Flops > 0 {
			r.GFLOPS = c.Flops / (r.MS / 1e3) / 1e9
			if p := Peak(); p > 0 {
				r.PeakPct = 100 * r.GFLOPS / (p * float64(t))
			}
		}
		rs[i] = r
	}
	return rs, nil
}

// turnRuns is the timed runs of one thread count's turn in RunThreads.
const turnRuns = 3

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

var (
	peakOnce sync.Once
	peakVal  float64
)

// Peak returns the measured single-core float32 FMA peak in GFLOP/s: the
// best of several runs of the widest FMA loop this build and CPU have (the
// zmm, ymm or NEON loop of package internal/asm), or 0 without one. Each run
// is timed by the wall clock and by the process CPU clock where there is
// one (other load on a shared machine then does not lower the figure); a
// CPU-clock figure counts only up to 10% above the best wall-clock one, as
// on a VM the process CPU clock once read a tenth of the loop's time
// (a peak of ~1200 GFLOP/s on a 118 GFLOP/s core). It is measured once
// per process.
func Peak() float64 {
	peakOnce.Do(func() {
		isa := ""
		for _, name := range kernels.Available() {
			switch name {
			case "avx512", "avx2", "neon":
				if isa == "" || name == "avx512" {
					isa = name
				}
			}
		}
		if isa == "" {
			return
		}
		const n = 1 << 18
		var byCPU []float64
		for i := 0; i < 20; i++ {
			c0, cok := processCPU()
			t0 := time.Now()
			flops := asm.FMALoop(isa, n)
			d := time.Since(t0)
			c1, _ := processCPU()
			peakVal = max(peakVal, float64(flops)/d.Seconds()/1e9)
			if cok && c1 > c0 {
				byCPU = append(byCPU, float64(flops)/(c1-c0).Seconds()/1e9)
			}
		}
		wall := peakVal
		for _, g := range byCPU {
			if g <= 1.1*wall {
				peakVal = max(peakVal, g)
			}
		}
	})
	return peakVal
}

var (
	suitesMu sync.Mutex
	suites   = map[string]func() []Case{"kernels": KernelCases}
)

// RegisterSuite adds a named suite of cases ("model", ...). It panics if
// the name is taken.
func RegisterSuite(name string, cases func() []Case) {
	suitesMu.Lock()
	defer suitesMu.Unlock()
	if _, dup := suites[name]; dup {
		panic(fmt.Sprintf("bench: suite %q registered twice", name))
	}
	suites[name] = cases
}

// Suite returns the cases of the named suite.
func Suite(name string) ([]Case, error) {
	suitesMu.Lock()
	fn, ok := suites[name]
	suitesMu.Unlock()
	if !ok {
		return nil, fmt.Errorf("bench: unknown suite %q (have %v)", name, SuiteNames())
	}
	return fn(), nil
}

// SuiteNames returns the registered suite names, sorted.
func SuiteNames() []string {
	suitesMu.Lock()
	defer suitesMu.Unlock()
	names := make([]string, 0, len(suites))
	for n := range suites {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
