package kernels

import (
	"context"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The worker pool: a fixed set of long-lived goroutines that help any caller
// of Parallel. Work is split into chunks claimed through an atomic counter,
// so the caller always works too and never waits on a chunk nobody started;
// nested Parallel calls therefore cannot deadlock.
//
// Jobs are recycled through a free list, so a Parallel call allocates
// nothing itself (fn, a closure, is the caller's). A job may still sit in
// the queue, or in a helper that has yet to find its chunks all claimed,
// after its Parallel call returned: it counts those references and goes
// back to the free list when the last is dropped.
//
// A helper asleep in a channel receive starts its chunk only after the
// runtime has woken an OS thread and handed it the goroutine, which on a
// 2-core VM left two threads idle for a fifth of a short kernel (a 1x1
// convolution on two threads). So a
// helper that finished a job keeps polling the queue for a while (the
// spin time, SetSpin) before it blocks, and a caller polls its job's count
// of finished chunks as long before it sleeps on the WaitGroup, like
// OpenMP's spin-then-sleep wait policy. Both yield the processor
// (runtime.Gosched) while they poll, so other goroutines still run.
// Spinning made the short two-thread convolutions of lungo bench -impl
// avx512 -threads 2 (1x1, and 3x3 at 32x32 and 8x8) 13-22% faster.
//
// The spin is 2 ms, not 100 us: on a VM, waking a vCPU that went idle
// takes the host tens of microseconds and, on a busy host, milliseconds,
// and the gaps between one kernel's parallel part and the next (the
// caller's own serial work: a weight transform, an elementwise op) often
// exceed 100 us: with 100 us a helper often started its chunk a median of
// tens of microseconds (at worst milliseconds) after the caller posted it,
// or after the caller had done both chunks itself; with a few milliseconds
// none came late. Decided by the two-thread speed-up of lungo bench -op
// conv2d -shape "3x3 s1 p1" -threads 1,2 (alternating runs, medians): 2 ms
// raised the shapes with the shortest calls and changed no other.

var (
	poolMu      sync.Mutex
	poolThreads atomic.Int32 // threads used by Parallel, caller included
	poolStarted int          // helper goroutines running
	poolJobs    = make(chan *job, 64)
)

type job struct {
	fn     func(lo, hi int)
	fnW    func(w, lo, hi int) // instead of fn: parallelW
	n      int                 // total items
	chunk  int                 // items per chunk
	chunks int32
	next   atomic.Int32
	done   atomic.Int32 // chunks finished
	refs   atomic.Int32 // the caller and each queued send
	wg     sync.WaitGroup
}

var jobs freeList[job]

// release drops one reference to j, recycling it after the last.
func (j *job) release() {
	if j.refs.Add(-1) == 0 {
		j.fn, j.fnW = nil, nil
		jobs.put(j)
	}
}

// run claims and runs chunks of j on worker w until none are left.
func (j *job) run(w int) {
	for {
		i := int(j.next.Add(1) - 1)
		if i >= int(j.chunks) {
			return
		}
		lo := i * j.chunk
		hi := min(lo+j.chunk, j.n)
		if j.fnW != nil {
			j.fnW(w, lo, hi)
		} else {
			j.fn(lo, hi)
		}
		j.done.Add(1)
		j.wg.Done()
	}
}

// spinNanos is how long a helper polls for its next job, and a caller for
// its job's last chunk, before blocking (SetSpin).
var spinNanos atomic.Int64

func init() {
	spinNanos.Store(int64(defaultSpin))
	if v, err := time.ParseDuration(os.Getenv("LUNGO_SPIN")); err == nil && v >= 0 {
		spinNanos.Store(int64(v))
	}
}

// defaultSpin is the spin time unless set.
const defaultSpin = 2 * time.Millisecond

// SetSpin sets how long the worker pool's threads keep polling for work
// after their last, burning a core, before they sleep, and returns the
// previous setting. It is 2 ms by default or what the environment
// variable LUNGO_SPIN (a Go duration: "500us", "0") says at start-up.
// Shorter saves CPU time (and power on a small board) between sparse
// kernel calls; longer keeps the threads awake across longer serial gaps
// between parallel kernels, as OpenMP's spin-wait does. d < 0 means 0.
func SetSpin(d time.Duration) time.Duration {
	return time.Duration(spinNanos.Swap(int64(max(d, 0))))
}

// worker is the loop of helper w (1, 2, ...; the caller of Parallel is
// worker 0).
func worker(w int) {
	for {
		j := pollJob()
		if j == nil {
			j = <-poolJobs
		}
		if tryAcquire() { // else every thread is busy: the caller does it
			j.run(w)
			Release()
		}
		j.release()
	}
}

// pollJob returns the next queued job, or nil when none came within the
// spin time.
func pollJob() *job {
	var j *job
	spinWhile(func() bool {
		select {
		case j = <-poolJobs:
			return false
		default:
			return true
		}
	})
	return j
}

// waitDone waits until every chunk of j has finished.
func (j *job) waitDone() {
	spinWhile(func() bool { return j.done.Load() < j.chunks })
	j.wg.Wait()
}

// spinWhile calls busy, yielding the processor between calls, until it
// returns false or the spin time has passed.
func spinWhile(busy func() bool) {
	var start time.Time
	spin := time.Duration(spinNanos.Load())
	for i := 0; busy(); i++ {
		if i%64 == 0 {
			if i == 0 {
				start = time.Now()
			} else if time.Since(start) > spin {
				return
			}
		}
		runtime.Gosched()
	}
}

// Threads returns the number of threads kernels use (the caller included).
func Threads() int {
	t := int(poolThreads.Load())
	if t == 0 {
		t = runtime.GOMAXPROCS(0)
		SetThreads(t)
	}
	return t
}

// SetThreads sets the number of threads kernels use; n < 1 means GOMAXPROCS.
// Helper goroutines are started once and kept for the life of the process.
func SetThreads(n int) {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	poolMu.Lock()
	defer poolMu.Unlock()
	for poolStarted < n-1 {
		poolStarted++
		go worker(poolStarted)
	}
	poolThreads.Store(int32(n))
}

// Parallel calls fn over disjoint ranges [lo, hi) covering [0, n), using up
// to Threads() threads. grain is the smallest range worth a thread; ranges
// are at least grain long except the last. fn must be safe to call
// concurrently on disjoint ranges. Parallel returns when all calls are done.
func Parallel(n, grain int, fn func(lo, hi int)) { parallel(n, grain, fn, nil) }

// parallelW is Parallel whose fn also gets the worker that runs the
// range: 0 for the caller, 1, 2, ... for the pool's helpers, each a
// long-lived goroutine (see workerBuf). Concurrent or nested callers are
// all worker 0.
func parallelW(n, grain int, fn func(w, lo, hi int)) { parallel(n, grain, nil, fn) }

// parallel is Parallel with fn, or parallelW with fnW.
func parallel(n, grain int, fn func(lo, hi int), fnW func(w, lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	t := Threads()
	chunks := min(t, (n+grain-1)/grain)
	if chunks <= 1 {
		if fnW != nil {
			fnW(0, 0, n)
		} else {
			fn(0, n)
		}
		return
	}
	// A few chunks per thread balances uneven work without much overhead.
	if n/grain >= 4*t {
		chunks = 4 * t
	}
	j := jobs.get()
	if j == nil {
		j = new(job)
	}
	j.fn, j.fnW, j.n, j.chunk = fn, fnW, n, (n+chunks-1)/chunks
	j.chunks = int32((n + j.chunk - 1) / j.chunk)
	j.next.Store(0)
	j.done.Store(0)
	j.refs.Store(1)
	j.wg.Add(int(j.chunks))
	for i := 0; i < t-1 && i < int(j.chunks)-1 && i < freeSlots(); i++ {
		j.refs.Add(1)
		select {
		case poolJobs <- j:
		default: // all helpers busy: the caller does the rest
			j.refs.Add(-1)
		}
	}
	j.run(0)
	j.waitDone()
	j.release()
}

// claims hands out the blocks [0, n) of a parallelW job to its workers,
// each worker first the blocks of its own share (shares contiguous ranges,
// worker w owning share w % shares), in order, then what is left of the
// others' shares. Where a dynamic claim from one counter gave each
// block to whichever thread came first, so that a block's output went to
// a different core's cache from one call to the next, a thread now writes
// the same part of the output on every call unless another thread ran
// out of work first.
type claims struct {
	n, shares int
	next      [maxWorkers]struct {
		v atomic.Int32
		_ [60]byte // a counter per cache line
	}
}

var claimLists freeList[claims]

// newClaims returns claims of n blocks in shares shares (at most
// maxWorkers). Give it back with release after the job.
func newClaims(n, shares int) *claims {
	c := claimLists.get()
	if c == nil {
		c = new(claims)
	}
	c.n, c.shares = n, max(1, min(shares, maxWorkers))
	for i := range c.shares {
		c.next[i].v.Store(0)
	}
	return c
}

func (c *claims) release() { claimLists.put(c) }

// claim returns the next block for worker w, or -1 when none is left.
func (c *claims) claim(w int) int {
	own := w % c.shares
	for d := range c.shares {
		s := (own + d) % c.shares
		lo, hi := s*c.n/c.shares, (s+1)*c.n/c.shares
		if b := lo + int(c.next[s].v.Add(1)) - 1; b < hi {
			return b
		}
	}
	return -1
}

// Compute slots bound the threads that run kernels at once, whoever calls
// them: there are Threads() slots; a pool helper runs a chunk only while it
// holds one (else it leaves the chunk to the job's caller), and a caller
// that runs a whole computation (a model's Predict, a training step) holds
// one for its own thread for the length of it (Acquire, Release). With as
// many such callers as slots, each runs its kernels on its own thread and
// the helpers stay out; with fewer, the helpers take the free slots. A
// call's result does not depend on how many threads join it: work is split
// by Threads(), not by the threads that turn up.
var (
	slotMu   sync.Mutex
	slotUsed int
	slotWait int                   // goroutines waiting in Acquire
	slotFree = make(chan struct{}) // closed and replaced when a slot frees and someone waits
	slotPeak atomic.Int32          // most slots ever held at once (tests)
)

// Acquire waits for a compute slot for the calling goroutine (see the
// package doc's Threads section) and returns nil once it holds one, or
// ctx's error if ctx is done first. Release gives the slot back. A
// goroutine holds at most one slot: it must not call Acquire again before
// its Release (it could wait for itself).
func Acquire(ctx context.Context) error {
	for {
		slotMu.Lock()
		if slotUsed < Threads() {
			slotUsed++
			slotPeak.Store(max(slotPeak.Load(), int32(slotUsed)))
			slotMu.Unlock()
			return nil
		}
		wait := slotFree
		slotWait++
		slotMu.Unlock()
		var err error
		if ctx == nil {
			<-wait
		} else {
			select {
			case <-wait:
			case <-ctx.Done():
				err = ctx.Err()
			}
		}
		slotMu.Lock()
		slotWait--
		slotMu.Unlock()
		if err != nil {
			return err
		}
	}
}

// tryAcquire takes a compute slot if one is free.
func tryAcquire() bool {
	slotMu.Lock()
	defer slotMu.Unlock()
	if slotUsed >= Threads() {
		return false
	}
	slotUsed++
	slotPeak.Store(max(slotPeak.Load(), int32(slotUsed)))
	return true
}

// Release gives back a slot taken with Acquire.
func Release() {
	slotMu.Lock()
	defer slotMu.Unlock()
	if slotUsed == 0 {
		panic("kernels: Release without Acquire")
	}
	slotUsed--
	if slotWait > 0 {
		close(slotFree)
		slotFree = make(chan struct{})
	}
}

// freeSlots returns the number of compute slots nobody holds.
func freeSlots() int {
	slotMu.Lock()
	defer slotMu.Unlock()
	return Threads() - slotUsed
}
