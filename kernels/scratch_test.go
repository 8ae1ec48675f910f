package kernels

import (
	"sync"
	"testing"
	"unsafe"
)

const mib = 1 << 18 // floats in a MiB

// checkDisjoint fills each buffer with its own value and checks that no
// other buffer overwrote it, that lengths are as asked and that each starts
// on a 64-byte boundary.
func checkDisjoint(t *testing.T, bufs []*[]float32, lens []int) {
	t.Helper()
	for i, b := range bufs {
		if len(*b) != lens[i] || cap(*b) < lens[i] {
			t.Fatalf("buffer %d: len %d cap %d, want len %d", i, len(*b), cap(*b), lens[i])
		}
		if a := uintptr(unsafe.Pointer(&(*b)[0])); a%64 != 0 {
			t.Errorf("buffer %d at %#x: not 64-byte aligned", i, a)
		}
		for j := range *b {
			(*b)[j] = float32(i + 1)
		}
	}
	for i, b := range bufs {
		for j, v := range *b {
			if v != float32(i+1) {
				t.Fatalf("buffer %d element %d = %v: overlaps buffer %v", i, j, v, v-1)
			}
		}
	}
}

func TestSlabPoolBestFitAndMerge(t *testing.T) {
	var p slabPool
	whole := p.get(4 * mib)
	p.put(whole)
	if p.bytes != 16*mib {
		t.Fatalf("holds %d bytes, want %d", p.bytes, 16*mib)
	}
	// Three ranges of the one slab, odd sizes rounded to the alignment.
	lens := []int{mib + 1, mib + scratchAlign + 5, mib + 3}
	var bufs []*[]float32
	for _, n := range lens {
		bufs = append(bufs, p.get(n))
	}
	checkDisjoint(t, bufs, lens)
	if p.bytes != 16*mib || len(p.slabs) != 1 {
		t.Fatalf("three ranges that fit one slab grew the pool to %d bytes, %d slabs", p.bytes, len(p.slabs))
	}
	// Freed in the order first, last, middle: the middle one merges with
	// both neighbours, and the slab is one free range again.
	for _, i := range []int{0, 2, 1} {
		if !p.put(bufs[i]) {
			t.Fatalf("put of buffer %d refused", i)
		}
	}
	if len(p.free) != 1 || p.free[0] != (slabRange{0, 0, 4 * mib}) {
		t.Fatalf("free ranges %v, want the whole slab", p.free)
	}
	if len(p.out) != 0 {
		t.Fatalf("%d buffers still counted out", len(p.out))
	}
	// Best fit: with free ranges of 2 and 1 MiB, a 1 MiB request takes the
	// 1 MiB one and leaves the 2 MiB range whole for a 2 MiB request.
	a, b := p.get(2*mib), p.get(mib)
	p.put(a)
	c := p.get(mib)
	d := p.get(2 * mib)
	if p.bytes != 16*mib {
		t.Fatalf("holds %d bytes, want %d: best fit failed (free ranges %v)", p.bytes, 16*mib, p.free)
	}
	checkDisjoint(t, []*[]float32{b, c, d}, []int{mib, mib, 2 * mib})
	if p.put(&[]float32{}) || p.put(new([]float32)) {
		t.Error("put accepted a buffer the pool did not hand out")
	}
	foreign := make([]float32, 2*mib)
	if p.put(&foreign) {
		t.Error("put accepted a big buffer the pool did not hand out")
	}
}

// TestSlabPoolGrowthDropsFreeSlabs: requests that grow one after another
// (as a backward pass walks back to the input) leave one slab of the
// largest size, not one of each; slabs that fragmentation made too small
// are merged into one the next time they are all free.
func TestSlabPoolGrowthDropsFreeSlabs(t *testing.T) {
	var p slabPool
	for _, n := range []int{mib, 2 * mib, 3 * mib, 5 * mib, 4 * mib} {
		p.put(p.get(n))
	}
	if p.bytes != 4*5*mib || p.peak != p.bytes {
		t.Fatalf("holds %d bytes (peak %d), want one slab of %d", p.bytes, p.peak, 4*5*mib)
	}
	// Fragment the slab: two 1 MiB ranges out, then a 4 MiB request that
	// fits in total but not in one range gets a slab of its own.
	x, y := p.get(mib), p.get(mib)
	p.put(x)
	z := p.get(4 * mib)
	if p.bytes != 4*9*mib {
		t.Fatalf("holds %d bytes, want %d", p.bytes, 4*9*mib)
	}
	p.put(y)
	p.put(z)
	// All free again: a request larger than any slab replaces both with one
	// slab of their total size.
	p.put(p.get(6 * mib))
	if p.bytes != 4*9*mib || len(p.free) != 1 || p.free[0].n != 9*mib {
		t.Fatalf("holds %d bytes in free ranges %v, want one slab of %d floats", p.bytes, p.free, 9*mib)
	}
}

// TestSlabPoolSteadyStateAllocatesNothing: a repeated pattern of nested
// requests allocates nothing after its first run.
func TestSlabPoolSteadyStateAllocatesNothing(t *testing.T) {
	var p slabPool
	pattern := func() {
		a := p.get(2 * mib)
		b := p.get(mib + 7)
		p.put(a)
		c := p.get(3 * mib)
		d := p.get(mib / 2 * 3)
		p.put(c)
		p.put(b)
		p.put(d)
	}
	pattern()
	held := p.bytes
	if n := testing.AllocsPerRun(50, pattern); n != 0 {
		t.Errorf("steady state: %v allocations per run, want 0", n)
	}
	if p.bytes != held {
		t.Errorf("pool grew from %d to %d bytes on a repeated pattern", held, p.bytes)
	}
}

// TestScratchRouting: getScratch serves small sizes from the size-class
// lists and big ones from the slabs, and putScratch returns each where it
// came from.
func TestScratchRouting(t *testing.T) {
	for _, n := range []int{1, 17, bigScratch - 1, bigScratch, bigScratch + 1, 3*bigScratch + 5} {
		b := getScratch(n)
		if len(*b) != n {
			t.Fatalf("getScratch(%d): len %d", n, len(*b))
		}
		big.mu.Lock()
		_, fromSlab := big.out[b]
		big.mu.Unlock()
		if fromSlab != (n >= bigScratch) {
			t.Errorf("getScratch(%d): from slabs %v, want %v", n, fromSlab, n >= bigScratch)
		}
		putScratch(b)
		big.mu.Lock()
		_, still := big.out[b]
		big.mu.Unlock()
		if still {
			t.Errorf("putScratch of %d floats left it counted out", n)
		}
	}
}

// TestSlabPoolConcurrent: goroutines taking and returning big buffers of
// mixed sizes never share memory (run with -race too).
func TestSlabPoolConcurrent(t *testing.T) {
	var p slabPool
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range 30 {
				n := mib + (g*7+it*13)%5*mib/3
				b := p.get(n)
				v := float32(g*1000 + it)
				for i := range *b {
					(*b)[i] = v
				}
				for i, x := range *b {
					if x != v {
						t.Errorf("goroutine %d: element %d = %v, want %v", g, i, x, v)
						break
					}
				}
				p.put(b)
			}
		}()
	}
	wg.Wait()
	if len(p.out) != 0 || len(p.free) != len(nonNil(p.slabs)) {
		t.Errorf("after all puts: %d out, free ranges %v over %d slabs", len(p.out), p.free, len(nonNil(p.slabs)))
	}
}

func nonNil(s [][]float32) [][]float32 {
	var r [][]float32
	for _, x := range s {
		if x != nil {
			r = append(r, x)
		}
	}
	return r
}

// fakeArena hands out fresh buffers of up to room floats and records what
// comes back.
type fakeArena struct {
	mu     sync.Mutex
	given  map[*float32]int
	counts [2]int // FreeFloats, Recycle
	room   int
}

func (f *fakeArena) FreeFloats(n int) []float32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n > f.room {
		return nil
	}
	b := make([]float32, n)
	f.given[&b[0]] = n
	f.counts[0]++
	return b
}

func (f *fakeArena) Recycle(b []float32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n, ok := f.given[&b[0]]; !ok || n != len(b) {
		panic("kernels test: Recycle of a buffer the arena did not hand out")
	}
	delete(f.given, &b[0])
	f.counts[1]++
}

// TestScratchArena: a call's big scratch comes from the arena it names
// when that has room and goes back to it; larger requests, small scratch
// and calls without an arena do not touch it.
func TestScratchArena(t *testing.T) {
	f := &fakeArena{given: map[*float32]int{}, room: 3 * bigScratch}
	small, b1, b2 := getScratchIn(f, 100), getScratchIn(f, bigScratch), getScratchIn(f, 2*bigScratch+3)
	if f.counts[0] != 2 || len(*b1) != bigScratch || len(*b2) != 2*bigScratch+3 {
		t.Fatalf("%d big buffers from the arena (want 2), lengths %d %d", f.counts[0], len(*b1), len(*b2))
	}
	b3 := getScratchIn(f, 3*bigScratch+1) // no room: from the slabs
	big.mu.Lock()
	_, fromSlab := big.out[b3]
	big.mu.Unlock()
	if f.counts[0] != 2 || !fromSlab {
		t.Errorf("a request the arena has no room for: %d arena buffers, from slabs %v", f.counts[0], fromSlab)
	}
	putScratch(b2)
	putScratch(small)
	putScratch(b1)
	putScratch(b3)
	if f.counts[1] != 2 || len(f.given) != 0 {
		t.Fatalf("%d buffers recycled (want 2), %d still out", f.counts[1], len(f.given))
	}
	b := getScratchIn(nil, bigScratch)
	putScratch(b)
	if f.counts[0] != 2 {
		t.Error("a request without an arena went to the arena")
	}
}

// TestWorkerBuf checks that a worker gets its own buffer back call after
// call, that a second user of a busy worker's buffer, a worker past
// maxWorkers and a request over workerBufMax get free-list scratch, and
// that the buffer grows with the requests.
func TestWorkerBuf(t *testing.T) {
	const w = maxWorkers - 1 // no pool helper has this index in tests
	a := getWorkerBuf(w, 100)
	if len(a.f) != 100 || a.slot == nil {
		t.Fatalf("first buffer: len %d, slot %v", len(a.f), a.slot != nil)
	}
	a.f[0] = 42
	b := getWorkerBuf(w, 50) // worker busy: free-list scratch
	if b.slot != nil || len(b.f) != 50 {
		t.Fatalf("second buffer of a busy worker: slot %v, len %d", b.slot != nil, len(b.f))
	}
	b.put()
	a.put()
	c := getWorkerBuf(w, 80)
	if c.slot == nil || &c.f[0] != &a.f[0] || c.f[0] != 42 {
		t.Fatal("worker did not get its buffer back")
	}
	c.put()
	d := getWorkerBuf(w, 1000) // grows
	if d.slot == nil || len(d.f) != 1000 {
		t.Fatalf("grown buffer: slot %v, len %d", d.slot != nil, len(d.f))
	}
	d.put()
	for _, tc := range []struct{ w, n int }{{-1, 10}, {maxWorkers, 10}, {w, workerBufMax + 1}} {
		e := getWorkerBuf(tc.w, tc.n)
		if e.slot != nil || len(e.f) != tc.n {
			t.Errorf("worker %d, %d floats: slot %v, len %d, want free-list scratch", tc.w, tc.n, e.slot != nil, len(e.f))
		}
		e.put()
	}
}
