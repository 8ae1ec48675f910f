package kernels

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestParallelCoversRangeOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 7, 64, 1000, 12345} {
		for _, grain := range []int{0, 1, 5, 100, 100000} {
			hits := make([]int32, n)
			Parallel(n, grain, func(lo, hi int) {
				if lo >= hi {
					t.Errorf("empty range [%d,%d)", lo, hi)
				}
				for i := lo; i < hi; i++ {
					atomic.AddInt32(&hits[i], 1)
				}
			})
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("n=%d grain=%d: index %d hit %d times", n, grain, i, h)
				}
			}
		}
	}
}

func TestParallelNestedAndConcurrent(t *testing.T) {
	// Nested calls and several concurrent callers must neither deadlock nor
	// lose work: the caller always runs unclaimed chunks itself.
	var total atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			Parallel(8, 1, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					Parallel(100, 1, func(lo, hi int) { total.Add(int64(hi - lo)) })
				}
			})
		}()
	}
	wg.Wait()
	if got := total.Load(); got != 4*8*100 {
		t.Fatalf("total %d, want %d", got, 4*8*100)
	}
}

func TestSetThreads(t *testing.T) {
	prev := Threads()
	defer SetThreads(prev)
	SetThreads(1)
	if Threads() != 1 {
		t.Fatalf("Threads() = %d after SetThreads(1)", Threads())
	}
	calls := 0
	Parallel(100, 1, func(lo, hi int) { calls++ }) // one thread: a single call, no race
	if calls != 1 {
		t.Fatalf("one thread made %d calls, want 1", calls)
	}
	SetThreads(3)
	if Threads() != 3 {
		t.Fatalf("Threads() = %d after SetThreads(3)", Threads())
	}
}

// TestParallelNoAllocs: jobs are recycled, so with a func value made once
// a Parallel call allocates nothing, on any thread count.
func TestParallelNoAllocs(t *testing.T) {
	var sum atomic.Int64
	fn := func(lo, hi int) { sum.Add(int64(hi - lo)) }
	for _, th := range []int{1, 2, 4} {
		withThreads(th, func() {
			Parallel(1000, 1, fn) // warm the free list
			allocs := testing.AllocsPerRun(200, func() { Parallel(1000, 1, fn) })
			if allocs != 0 && !raceEnabled { // the race detector allocates
				t.Errorf("%d threads: %.1f allocations per Parallel call, want 0", th, allocs)
			}
		})
	}
	// Per thread count: the warm-up call, AllocsPerRun's own and 200 runs.
	if got, want := sum.Load(), int64(1000*3*(1+1+200)); got != want {
		t.Fatalf("covered %d items, want %d", got, want)
	}
}

// TestParallelRecyclesJobsSafely hammers the job free list: many callers,
// nested calls and more threads than CPUs, so that jobs are often still
// queued, or held by a helper, when their call returns and the next call
// reuses them. Each call must see exactly its own items (run under -race
// to check the hand-over).
func TestParallelRecyclesJobsSafely(t *testing.T) {
	withThreads(4, func() {
		var wg sync.WaitGroup
		for g := 0; g < 6; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for it := 0; it < 300; it++ {
					n := 1 + (it*7+g)%50
					hits := make([]int32, n)
					Parallel(n, 1, func(lo, hi int) {
						for i := lo; i < hi; i++ {
							atomic.AddInt32(&hits[i], 1)
							if i%9 == 0 {
								var inner atomic.Int32
								Parallel(5, 1, func(lo, hi int) { inner.Add(int32(hi - lo)) })
								if inner.Load() != 5 {
									t.Errorf("nested call covered %d of 5", inner.Load())
								}
							}
						}
					})
					for i, h := range hits {
						if h != 1 {
							t.Errorf("n=%d: index %d hit %d times", n, i, h)
							return
						}
					}
				}
			}()
		}
		wg.Wait()
	})
}

// TestSetSpin checks SetSpin's returns and that Parallel covers its range
// once with helpers that sleep at once (0) and ones that poll long.
func TestSetSpin(t *testing.T) {
	old := SetSpin(5 * time.Millisecond)
	defer SetSpin(old)
	if old < 0 {
		t.Errorf("spin time %v < 0", old)
	}
	if got := SetSpin(-time.Second); got != 5*time.Millisecond {
		t.Errorf("SetSpin returned %v, want the 5ms set before", got)
	}
	if got := SetSpin(0); got != 0 {
		t.Errorf("SetSpin after a negative time returned %v, want 0", got)
	}
	for _, spin := range []time.Duration{0, 20 * time.Millisecond} {
		SetSpin(spin)
		withThreads(3, func() {
			for range 50 {
				hits := make([]int32, 97)
				Parallel(len(hits), 1, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						atomic.AddInt32(&hits[i], 1)
					}
				})
				for i, h := range hits {
					if h != 1 {
						t.Fatalf("spin %v: index %d hit %d times", spin, i, h)
					}
				}
			}
		})
	}
}

// TestParallelWWorkers checks that parallelW covers its range once and
// that no worker index runs two ranges at the same time (a worker's buffer
// is its own). (Helpers started for more threads earlier may take part:
// indices are those of started helpers, not below Threads.)
func TestParallelWWorkers(t *testing.T) {
	withThreads(3, func() {
		for range 100 {
			var busy [maxWorkers]atomic.Int32
			hits := make([]int32, 64)
			parallelW(len(hits), 1, func(w, lo, hi int) {
				if w < 0 || w >= maxWorkers {
					t.Errorf("worker %d", w)
					return
				}
				if busy[w].Add(1) != 1 {
					t.Errorf("worker %d runs two ranges at once", w)
				}
				for i := lo; i < hi; i++ {
					atomic.AddInt32(&hits[i], 1)
				}
				busy[w].Add(-1)
			})
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("index %d hit %d times", i, h)
				}
			}
		}
	})
}

// TestClaims checks that claims hand out every block once, whatever the
// workers' indices (past the shares too), that a worker's first blocks are
// its own share in order, and that the others' shares follow.
func TestClaims(t *testing.T) {
	for _, n := range []int{0, 1, 2, 5, 16, 17} {
		for _, shares := range []int{1, 2, 3, maxWorkers + 5} {
			c := newClaims(n, shares)
			s := c.shares
			// Worker 1 alone takes its share in order, then the rest.
			var got []int
			for b := c.claim(1); b >= 0; b = c.claim(1) {
				got = append(got, b)
			}
			own := 1 % s
			lo, hi := own*n/s, (own+1)*n/s
			if len(got) != n {
				t.Fatalf("n=%d shares=%d: one worker claimed %d blocks", n, shares, len(got))
			}
			seen := make([]bool, n)
			for i, b := range got {
				if seen[b] {
					t.Fatalf("n=%d shares=%d: block %d twice", n, shares, b)
				}
				seen[b] = true
				if i < hi-lo && b != lo+i {
					t.Fatalf("n=%d shares=%d: claim %d = %d, want %d (own share first)", n, shares, i, b, lo+i)
				}
			}
			c.release()
			// Many workers at once: every block once.
			c = newClaims(n, shares)
			hits := make([]int32, n)
			var wg sync.WaitGroup
			for w := range 7 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for b := c.claim(w); b >= 0; b = c.claim(w) {
						atomic.AddInt32(&hits[b], 1)
					}
				}()
			}
			wg.Wait()
			for b, h := range hits {
				if h != 1 {
					t.Fatalf("n=%d shares=%d: block %d claimed %d times", n, shares, b, h)
				}
			}
			c.release()
		}
	}
}

// TestAcquireBoundsThreads: however many goroutines run kernels at once,
// holding compute slots, no more chunks run at the same time than the pool
// has threads, every call's result is right, and a slot wait ends with
// the context.
func TestAcquireBoundsThreads(t *testing.T) {
	threads := Threads()
	var running, peak atomic.Int32
	const goroutines, calls, n = 8, 20, 64
	var wg sync.WaitGroup
	var bad atomic.Int32
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]int, n)
			for range calls {
				if err := Acquire(context.Background()); err != nil {
					t.Error(err)
					return
				}
				Parallel(n, 1, func(lo, hi int) {
					r := running.Add(1)
					for p := peak.Load(); r > p && !peak.CompareAndSwap(p, r); p = peak.Load() {
					}
					for i := lo; i < hi; i++ {
						out[i] = i * i
					}
					time.Sleep(50 * time.Microsecond) // let others overlap if they could
					running.Add(-1)
				})
				Release()
				for i, v := range out {
					if v != i*i {
						bad.Add(1)
					}
					out[i] = 0
				}
			}
		}()
	}
	wg.Wait()
	if bad.Load() > 0 {
		t.Errorf("%d wrong results", bad.Load())
	}
	if p := peak.Load(); p > int32(threads) {
		t.Errorf("%d chunks ran at once with %d threads", p, threads)
	}
	t.Logf("peak %d chunks at once, %d threads", peak.Load(), threads)

	for range threads {
		if err := Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := Acquire(ctx)
	for range threads {
		Release()
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Acquire with every slot held: err = %v, want the deadline", err)
	}
	if err := Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	Release()
}
