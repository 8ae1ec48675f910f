package bench

import (
	"runtime"
	"sync/atomic"
	"time"
)

// CoreRoundTrip returns the median time in nanoseconds for a cache line to
// go from one thread to another and back (two goroutines, each locked to
// its own OS thread, take turns storing to one atomic), over a few thousand
// turns, or 0 when GOMAXPROCS is 1 (the turns would wait for the
// scheduler, not the caches).
//
// It tells where the operating system, or on a VM the host, has placed two
// threads. On this project's 2-vCPU Zen 4 VM it reads about 65 ns when the
// two vCPUs share an L3 and about 330 ns when they do not; the host moves
// them between the two for seconds at a time, and in the second placement
// two-thread kernels that share written data run up to 2.3x slower (3x3
// 256->256 @16x16: 1.1 -> 2.5 ms). "lungo bench" reports it with every
// two-thread result (core_rtt_ns) so that runs can be told apart.
func CoreRoundTrip() float64 {
	if runtime.GOMAXPROCS(0) < 2 {
		return 0
	}
	const turns, rounds = 2000, 5
	var flag atomic.Int64
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i := int64(0); i < turns*rounds; i++ {
			for flag.Load() != 2*i+1 {
			}
			flag.Store(2*i + 2)
		}
		close(done)
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var ns []float64
	for r := int64(0); r < rounds; r++ {
		t0 := time.Now()
		for i := r * turns; i < (r+1)*turns; i++ {
			flag.Store(2*i + 1)
			for flag.Load() != 2*i+2 {
			}
		}
		ns = append(ns, float64(time.Since(t0).Nanoseconds())/turns)
	}
	<-done
	return median(ns)
}
