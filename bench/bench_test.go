package bench

import (
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lungo-ml/lungo/kernels"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{5}, 5}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median(nil) is not NaN")
	}
}

func TestRunCountsRuns(t *testing.T) {
	calls := 0
	c := Case{Op: "test", Shape: "s", Flops: 1e6, Setup: func() func() { return func() { calls++; time.Sleep(100 * time.Microsecond) } }}
	r, err := Run(c, "generic", 1, Options{Warmup: 2, Runs: 10, MinTime: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 12 {
		t.Errorf("%d calls, want >= 2 warm-up + 10 timed", calls)
	}
	if r.Op != "test" || r.Impl != "generic" || r.Threads != 1 || r.MS < 0.1 {
		t.Errorf("result %+v", r)
	}
	if r.GFLOPS <= 0 || r.GFLOPS > 1e6/0.1e-3/1e9 {
		t.Errorf("GFLOPS %v out of range for 1e6 flops in >= 0.1 ms", r.GFLOPS)
	}
	if _, ok := processCPU(); ok && !(r.CPUMS < r.MS/2) {
		t.Errorf("sleeping case: cpu_ms %v not well below ms %v", r.CPUMS, r.MS)
	}
	busy := Case{Op: "busy", Setup: func() func() {
		return func() {
			for t0 := time.Now(); time.Since(t0) < 2*time.Millisecond; {
			}
		}
	}}
	rb, err := Run(busy, "generic", 1, Options{Warmup: 1, Runs: 5, MinTime: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := processCPU(); ok && !(rb.CPUMS > 0.5 && rb.CPUMS < 10*rb.MS) {
		t.Errorf("busy case: cpu_ms %v for ms %v", rb.CPUMS, rb.MS)
	}
	if _, err := Run(c, "no-such-impl", 1, Options{}); err == nil {
		t.Error("unknown impl: no error")
	}
}

// TestRunThreads checks that the thread counts take turns, each getting
// its warm-up and at least Runs timed runs, with one result per count in
// order, and that the pool's thread count is restored.
func TestRunThreads(t *testing.T) {
	old := kernels.Threads()
	var seen []int
	c := Case{Op: "test", Shape: "s", Flops: 1e6, Setup: func() func() {
		return func() { seen = append(seen, kernels.Threads()) }
	}}
	rs, err := RunThreads(c, "generic", []int{1, 3, 2}, Options{Warmup: 2, Runs: 4, MinTime: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	want := []int{1, 1, 3, 3, 2, 2} // warm-up at each count
	for range 2 {                   // turns of 1 untimed + 3 timed runs
		want = append(want, 1, 1, 1, 1, 3, 3, 3, 3, 2, 2, 2, 2)
	}
	if !slices.Equal(seen, want) {
		t.Errorf("thread count of each run %v, want %v", seen, want)
	}
	if len(rs) != 3 || rs[0].Threads != 1 || rs[1].Threads != 3 || rs[2].Threads != 2 {
		t.Fatalf("results %+v, want threads 1, 3, 2", rs)
	}
	for _, r := range rs {
		if r.Op != "test" || r.Impl != "generic" || !(r.MS > 0) {
			t.Errorf("result %+v", r)
		}
	}
	if got := kernels.Threads(); got != old {
		t.Errorf("threads after RunThreads %d, want %d", got, old)
	}
}

func TestSuites(t *testing.T) {
	cs, err := Suite("kernels")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"sgemm 1024^3", "conv2d 3x3 s1 p1 64->64 @128x128 n1", "conv2d 7x7 s2 p3 3->64 @512x512 n1",
		"conv2d 1x1 s1 p0 64->128 @64x64 n1", "conv2d fwd+bwd 3x3 s1 p1 64->64 @128x128 n1",
		"conv_transpose2d 2x2 s2 p0 256->128 @16x16 n1", "maxpool2d 3x3 s2 p1 64ch @256x256 n1"}
	var have []string
	for _, c := range cs {
		have = append(have, c.Op+" "+c.Shape)
	}
	for _, w := range want {
		if !strings.Contains(strings.Join(have, "\n"), w) {
			t.Errorf("kernels suite lacks %q", w)
		}
	}
	if _, err := Suite("nope"); err == nil {
		t.Error("unknown suite: no error")
	}
	RegisterSuite("test-suite", func() []Case { return nil })
	defer func() {
		if recover() == nil {
			t.Error("duplicate suite: no panic")
		}
	}()
	RegisterSuite("test-suite", func() []Case { return nil })
}

// TestCasesRun runs each kernels case once on a reduced shape budget: the
// setup and the timed function must work (no panics) for every impl.
func TestCasesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every kernels case once")
	}
	cs, _ := Suite("kernels")
	for _, c := range cs {
		if c.Op == "sgemm" || strings.Contains(c.Shape, "@512") || c.Op == "conv2d fwd+bwd" {
			continue // the big ones: covered by the kernels tests
		}
		c.Setup()()
	}
}

func TestPeak(t *testing.T) {
	p := Peak()
	simd := false
	for _, n := range kernels.Available() {
		simd = simd || n != "generic"
	}
	if simd && !(p > 1 && p < 1e4) {
		t.Errorf("Peak() = %v GFLOP/s with SIMD available", p)
	}
}

// TestCoreRoundTrip: with two processors the round trip is a positive,
// finite time well under a millisecond; with one there is none.
func TestCoreRoundTrip(t *testing.T) {
	old := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(old)
	if runtime.NumCPU() >= 2 {
		if ns := CoreRoundTrip(); !(ns > 0 && ns < 1e6) {
			t.Errorf("CoreRoundTrip() = %v ns with 2 processors", ns)
		}
	}
	runtime.GOMAXPROCS(1)
	if ns := CoreRoundTrip(); ns != 0 {
		t.Errorf("CoreRoundTrip() = %v ns with 1 processor, want 0", ns)
	}
}
