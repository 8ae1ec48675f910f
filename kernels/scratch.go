package kernels

import (
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
)

// Scratch memory: the buffers kernels need for the length of a call (patch
// tiles, packed panels, padded input copies, partial sums). They are kept
// between calls so that a training step that needs the same scratch every
// time allocates none after the first, however often the collector runs.
//
// Small buffers (below bigScratch floats: per-thread packing panels and
// tiles, asked for many times a step) come from free lists by power-of-two
// size class, so that a call finds a buffer of its size at once. Big ones
// (padded inputs, im2col matrices, weight-gradient partials: megabytes, a
// few per kernel call) are ranges carved, best fit, out of a few large
// slabs, and merge with their free neighbours when put back. A step's big
// buffers are mostly used one after another, so the slabs then hold about
// the largest that is in use at once, not one buffer per size class:
// U-Net-ResNet34 training at 2x512x512 held 295 MiB of scratch with
// power-of-two classes for every size, of which at most 131 MiB was in use
// at any time.

// freeList is a pool of buffers that, unlike sync.Pool, survives garbage
// collections. It keeps at most freeListMax buffers; more are left to the
// collector.
type freeList[T any] struct {
	mu   sync.Mutex
	free []*T
}

// freeListMax bounds the buffers a list keeps: enough for every worker of a
// few concurrent kernels.
const freeListMax = 64

func (l *freeList[T]) get() *T {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.free); n > 0 {
		b := l.free[n-1]
		l.free = l.free[:n-1]
		return b
	}
	return nil
}

// put adds b to the list and reports whether it was kept.
func (l *freeList[T]) put(b *T) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.free) < freeListMax {
		l.free = append(l.free, b)
		return true
	}
	return false
}

const (
	// bigScratch is the size (in floats, 1 MiB) from which a buffer is a
	// range of the slabs rather than a size-class buffer of its own.
	bigScratch = 1 << 18
	// scratchAlign is the granularity of ranges, in floats: 4 KiB keeps
	// every range page- and cache-line-aligned (slabs are page-aligned)
	// and leaves no slivers between ranges.
	scratchAlign = 1 << 10
)

var (
	scratch   [48]freeList[[]float32] // class i holds capacity 1<<i
	scratch64 [48]freeList[[]float64]
	big       slabPool
)

// sizeClass returns the class of a buffer of n elements.
func sizeClass(n int) int { return bits.Len(uint(max(n, 1) - 1)) }

// ScratchArena is memory that big scratch buffers can come from instead of
// the kernels' own slabs: a convolution whose ConvParams.Scratch is set
// takes them from it when it has room. nn passes its arena (per pass, never
// process-wide): a training step's kernel scratch then lives in the
// activation ranges that are free at the time (consumed gradients, and the
// whole arena before the forward pass), and little scratch memory is kept
// beside it.
type ScratchArena interface {
	// FreeFloats returns a buffer of n floats with unspecified contents
	// from memory the arena holds and nothing uses, or nil if it has no
	// free range that large: scratch never grows the arena, where a
	// short-lived buffer would split the room later activations need
	// (packed 512-channel weights, 9 MiB, beside 64x64 activations).
	FreeFloats(n int) []float32
	// Recycle takes back a buffer from Floats.
	Recycle(b []float32)
}

// getScratchIn is getScratch for a call whose big buffers may come from
// sa (nil: the kernels' own slabs). Every buffer a kernel takes from sa goes
// back to it before the kernel returns.
func getScratchIn(sa ScratchArena, n int) *[]float32 {
	if n >= bigScratch && sa != nil {
		if b := big.fromArena(sa, n); b != nil {
			return b
		}
	}
	return getScratch(n)
}

// getScratch returns a buffer of n floats (contents undefined). Give it
// back with putScratch once no goroutine uses it any more.
func getScratch(n int) *[]float32 {
	if n >= bigScratch {
		return big.get(n)
	}
	cl := sizeClass(n)
	if b := scratch[cl].get(); b != nil {
		*b = (*b)[:n]
		return b
	}
	b := make([]float32, n, 1<<cl)
	return &b
}

// putScratch returns a buffer from getScratch to its pool.
func putScratch(b *[]float32) {
	if big.put(b) {
		return
	}
	scratch[sizeClass(cap(*b))].put(b)
}

// getScratch64 returns a zeroed buffer of n float64s.
func getScratch64(n int) *[]float64 {
	cl := sizeClass(n)
	if b := scratch64[cl].get(); b != nil {
		*b = (*b)[:n]
		clear(*b)
		return b
	}
	b := make([]float64, n, 1<<cl)
	return &b
}

// putScratch64 returns a buffer from getScratch64 to its pool.
func putScratch64(b *[]float64) { scratch64[sizeClass(cap(*b))].put(b) }

// slabPool hands out ranges of large slabs, best fit.
//
// When no free range holds a request, the slabs that are entirely free are
// dropped (left to the collector) and replaced by one new slab of their
// total size, or of the request's if larger: the pool then never holds
// much more than the most scratch in use at once, whatever order the sizes
// come in (a backward pass asks for ever larger buffers as it walks back
// to the input), and a slab that fragmentation left too small is merged
// away the next time nothing uses it.
type slabPool struct {
	mu    sync.Mutex
	slabs [][]float32                 // nil: a dropped slab's slot
	free  []slabRange                 // free ranges, sorted by slab then offset
	out   map[*[]float32]slabRange    // buffers handed out
	arena map[*[]float32]ScratchArena // buffers handed out from arenas
	spare []*[]float32                // buffer headers to reuse
	bytes int64                       // sum of the slabs' sizes
	peak  int64                       // largest bytes ever held
}

// fromArena returns a buffer of n floats from a, with a recycled header
// that put recognises, or nil if a has no free range that large.
func (p *slabPool) fromArena(a ScratchArena, n int) *[]float32 {
	buf := a.FreeFloats(n)
	if buf == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.header()
	*b = buf
	if p.arena == nil {
		p.arena = map[*[]float32]ScratchArena{}
	}
	p.arena[b] = a
	return b
}

// header returns a buffer header for a new range.
func (p *slabPool) header() *[]float32 {
	if k := len(p.spare); k > 0 {
		b := p.spare[k-1]
		p.spare = p.spare[:k-1]
		return b
	}
	return new([]float32)
}

// slabRange is the range [off, off+n) of slab number slab.
type slabRange struct{ slab, off, n int }

func (p *slabPool) get(n int) *[]float32 {
	size := (n + scratchAlign - 1) &^ (scratchAlign - 1)
	p.mu.Lock()
	defer p.mu.Unlock()
	best := -1
	for i, f := range p.free {
		if f.n >= size && (best < 0 || f.n < p.free[best].n) {
			best = i
		}
	}
	if best < 0 {
		best = p.grow(size)
	}
	f := &p.free[best]
	r := slabRange{f.slab, f.off, size}
	f.off += size
	f.n -= size
	if f.n == 0 {
		p.free = slices.Delete(p.free, best, best+1)
	}
	b := p.header()
	*b = p.slabs[r.slab][r.off : r.off+n : r.off+size]
	if p.out == nil {
		p.out = map[*[]float32]slabRange{}
	}
	p.out[b] = r
	return b
}

// grow drops the entirely free slabs, adds one of at least size floats and
// returns the index in p.free of its free range.
func (p *slabPool) grow(size int) int {
	dropped := 0
	p.free = slices.DeleteFunc(p.free, func(f slabRange) bool {
		if f.off == 0 && f.n == len(p.slabs[f.slab]) {
			dropped += f.n
			p.slabs[f.slab] = nil
			return true
		}
		return false
	})
	size = max(size, dropped)
	i := slices.IndexFunc(p.slabs, func(s []float32) bool { return s == nil })
	if i < 0 {
		i = len(p.slabs)
		p.slabs = append(p.slabs, nil)
	}
	p.slabs[i] = make([]float32, size)
	p.bytes += 4 * int64(size-dropped)
	p.peak = max(p.peak, p.bytes)
	r := slabRange{i, 0, size}
	k, _ := slices.BinarySearchFunc(p.free, r, cmpRange)
	p.free = slices.Insert(p.free, k, r)
	return k
}

func cmpRange(a, b slabRange) int {
	if a.slab != b.slab {
		return a.slab - b.slab
	}
	return a.off - b.off
}

// put takes b back if it came from p and reports whether it did.
func (p *slabPool) put(b *[]float32) bool {
	if cap(*b) < bigScratch {
		return false
	}
	p.mu.Lock()
	if a, ok := p.arena[b]; ok {
		delete(p.arena, b)
		buf := *b
		*b = nil
		p.spare = append(p.spare, b)
		p.mu.Unlock()
		a.Recycle(buf)
		return true
	}
	defer p.mu.Unlock()
	r, ok := p.out[b]
	if !ok {
		return false
	}
	delete(p.out, b)
	*b = nil
	p.spare = append(p.spare, b)
	i, _ := slices.BinarySearchFunc(p.free, r, cmpRange)
	if i > 0 {
		if q := &p.free[i-1]; q.slab == r.slab && q.off+q.n == r.off {
			q.n += r.n
			if i < len(p.free) {
				if s := p.free[i]; s.slab == r.slab && q.off+q.n == s.off {
					q.n += s.n
					p.free = slices.Delete(p.free, i, i+1)
				}
			}
			return true
		}
	}
	if i < len(p.free) {
		if s := &p.free[i]; s.slab == r.slab && r.off+r.n == s.off {
			s.off, s.n = r.off, s.n+r.n
			return true
		}
	}
	p.free = slices.Insert(p.free, i, r)
	return true
}

// Worker scratch: one buffer per worker of the pool (parallelW's w) that
// stays with that worker from call to call, for the data a thread writes
// and reads back itself on every call (its own transformed weights, its
// tile blocks). From the free lists, a buffer goes to whichever thread
// asks first: two threads swapped buffers on about every other call, and
// each then wrote into cache lines the other core held, which costs most
// when the two cores sit on different L3s. 3x3 64->64 @64x64 on two
// threads, ms, Winograd tile blocks with each thread's own weights in a
// shared / worker buffer: 0.97 / 0.91 on a shared L3, 1.23 / 0.91 on two.
// A buffer grows to the largest a worker asks for up to workerBufMax
// floats; larger requests, workers past maxWorkers and a second caller
// of worker 0 at once get free-list scratch instead.
const (
	maxWorkers   = 64
	workerBufMax = 1 << 20
)

type workerSlot struct {
	busy atomic.Bool
	buf  []float32
}

var workerSlots [maxWorkers]workerSlot

// workerBuf is scratch from getWorkerBuf: f, n floats (contents undefined).
type workerBuf struct {
	f    []float32
	slot *workerSlot // nil: f is *b, from getScratch
	b    *[]float32
}

// getWorkerBuf returns n floats of scratch for worker w. Give it back with
// put once no goroutine uses it any more.
func getWorkerBuf(w, n int) workerBuf {
	if w >= 0 && w < maxWorkers && n <= workerBufMax {
		s := &workerSlots[w]
		if s.busy.CompareAndSwap(false, true) {
			if cap(s.buf) < n {
				s.buf = make([]float32, n)
			}
			return workerBuf{f: s.buf[:n], slot: s}
		}
	}
	b := getScratch(n)
	return workerBuf{f: *b, b: b}
}

// put gives wb back.
func (wb workerBuf) put() {
	if wb.slot != nil {
		wb.slot.busy.Store(false)
		return
	}
	putScratch(wb.b)
}

// ScratchStats reports the scratch memory kernels keep between calls: slabs
// is the bytes of the slabs that hold large buffers (in use or free) and
// slabsPeak the most they ever held; small is the bytes of the small
// buffers idle in their free lists and of the workers' own buffers.
func ScratchStats() (slabs, slabsPeak, small int64) {
	big.mu.Lock()
	slabs, slabsPeak = big.bytes, big.peak
	big.mu.Unlock()
	for i := range scratch {
		l := &scratch[i]
		l.mu.Lock()
		for _, b := range l.free {
			small += 4 * int64(cap(*b))
		}
		l.mu.Unlock()
	}
	for i := range workerSlots {
		s := &workerSlots[i]
		if s.busy.CompareAndSwap(false, true) {
			small += 4 * int64(cap(s.buf))
			s.busy.Store(false)
		}
	}
	return slabs, slabsPeak, small
}
