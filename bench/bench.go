package bench

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/kernels/asm"
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
	// 100 us before it sleeps, so for short multi-threaded cases CPUMS is
	// close to MS. 0 where unavailable.
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
	opt = opt.withDefaults()
	old := kernels.Threads()
	kernels.SetThreads(threads)
	defer kernels.SetThreads(old)
	threads = kernels.Threads()
	var times, cpus []float64
	resetPeakRSS()
	err := kernels.Use(impl, func() {
		fn := c.Setup()
		for i := 0; i < opt.Warmup; i++ {
			fn()
		}
		start := time.Now()
		for len(times) < opt.Runs || (time.Since(start) < opt.MinTime && len(times) < opt.MaxRuns) {
			c0, cok := processCPU()
			t0 := time.Now()
			fn()
			times = append(times, time.Since(t0).Seconds())
			if c1, _ := processCPU(); cok {
				cpus = append(cpus, (c1 - c0).Seconds())
			}
		}
	})
	if err != nil {
		return Result{}, err
	}
	r := Result{Op: c.Op, Shape: c.Shape, Impl: impl, Threads: threads, MS: median(times) * 1e3, PeakRSSMiB: peakRSS()}
	if threads > 1 {
		r.CoreRTTNS = CoreRoundTrip()
	}
	if len(cpus) > 0 {
		r.CPUMS = median(cpus) * 1e3 / float64(threads)
	}
	if c.Flops > 0 {
		r.GFLOPS = c.Flops / (r.MS / 1e3) / 1e9
		if p := Peak(); p > 0 {
			r.PeakPct = 100 * r.GFLOPS / (p * float64(threads))
		}
	}
	return r, nil
}

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
// zmm, ymm or NEON loop of package kernels/asm), or 0 without one. Each run
// is timed by the process CPU clock where there is one (other load on a
// shared machine then does not lower the figure), else by the wall clock.
// It is measured once per process.
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
		for i := 0; i < 20; i++ {
			c0, cok := processCPU()
			t0 := time.Now()
			flops := asm.FMALoop(isa, n)
			d := time.Since(t0)
			if c1, _ := processCPU(); cok && c1 > c0 {
				d = c1 - c0
			}
			if g := float64(flops) / d.Seconds() / 1e9; g > peakVal {
				peakVal = g
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
