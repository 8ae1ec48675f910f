package kernels

import (
	"sync"
	"sync/atomic"
	"testing"
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
