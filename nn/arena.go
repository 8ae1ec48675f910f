package nn

import (
	"slices"
	"sync"

	"github.com/lungo-ml/lungo/tensor"
)

// Arena recycles the memory of a training step. Every op of a pass whose
// Exec has an arena draws its output, the tensors it saves for backward
// (masks, argmax indices, batch statistics) and the gradients of
// intermediate values from the arena instead of the Go heap. Release hands
// all of them back at once; the next step then reuses the same buffers, so a
// training loop in steady state allocates no activation memory.
//
// Typical use:
//
//	arena := nn.NewArena()
//	ex := nn.NewExec(ctx, arena, true)
//	for step := range steps {
//		out := model.Forward(ex.Input(x)) // activations from the arena
//		loss := nn.Mean(out)
//		loss.Backward()                   // intermediate grads from the arena
//		l := loss.Item()                  // read what you need first ...
//		opt.Step(); nn.ZeroGrad(model)
//		arena.Release()                   // ... then recycle the whole graph
//	}
//
// With an arena, Backward also recycles each intermediate value's gradient
// as soon as it has been propagated (as PyTorch keeps gradients of leaves
// only): the gradients of a step then need little more memory than the
// largest few of them, not all of them at once.
//
// After Release every tensor and Value produced since the previous Release
// is invalid: its memory belongs to the next step. Copy out (tensor.Clone)
// anything that must outlive the step. Parameters, their gradients (leaves
// allocate on the heap) and batch-norm running statistics are never arena
// memory. Buffers are ranges of larger slabs (see Floats): a step asks for
// the same sizes in the same order as the previous one, so after the first
// step it finds them all free.
//
// An Arena's methods are safe for concurrent use, but an arena serves one
// pass at a time: two goroutines whose passes share an arena would hand
// each other's buffers out after a Release. Give each goroutine its own.
type Arena struct {
	mu      sync.Mutex
	slabs   [][]float32      // every float buffer the arena owns
	free    []span           // free ranges of the slabs, by slab and offset
	used    []span           // handed out since Release; n < 0 once recycled
	usedIdx map[*float32]int // first element -> index into used
	freeI   map[int][][]int32
	usedI   [][]int32
	headers []*tensor.Tensor // every header handed out; [:next] are live
	next    int
	pooled  int64 // bytes held by the arena (live or free)
}

// span is the range [off, off+n) of slab number slab.
type span struct{ slab, off, n int }

// NewArena returns an empty arena.
func NewArena() *Arena {
	return &Arena{freeI: map[int][][]int32{}, usedIdx: map[*float32]int{}}
}

// arenaScratch is an Arena as the kernels' scratch source (see
// kernels.ConvParams.Scratch).
type arenaScratch Arena

func (s *arenaScratch) FreeFloats(n int) []float32 { return (*Arena)(s).freeFloats(n) }
func (s *arenaScratch) Recycle(b []float32)        { (*Arena)(s).recycle(b) }

// smallFloats is the size below which a request takes only a free range of
// at most twice its size: batch statistics and the like would otherwise
// split the ranges that later activations of the same size need whole.
const smallFloats = 1 << 16

// Floats returns a buffer of n float32s. Its contents are unspecified (they
// may hold a previous step's values); zero it if needed.
//
// The buffer is carved from the smallest free range of the arena's slabs
// that holds it (best fit; small requests see ranges up to twice their
// size only); when none does, it gets a slab of its own.
// Buffers recycled early or released merge with their free neighbours, so
// a dead activation serves later requests of any smaller size.
func (a *Arena) Floats(n int) []float32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	best := a.bestFit(n)
	if best >= 0 && n < smallFloats && a.free[best].n > 2*n {
		best = -1 // small requests do not fragment large free ranges
	}
	return a.take(best, n)
}

// bestFit returns the index of the smallest free range holding n floats,
// or -1. The caller holds a.mu.
func (a *Arena) bestFit(n int) int {
	best := -1
	for i, f := range a.free {
		if f.n >= n && (best < 0 || f.n < a.free[best].n) {
			best = i
		}
	}
	return best
}

// freeFloats is Floats for kernel scratch: a best-fit free range, or nil if
// none holds n floats (the arena does not grow for scratch).
func (a *Arena) freeFloats(n int) []float32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	best := a.bestFit(n)
	if best < 0 {
		return nil
	}
	return a.take(best, n)
}

// take returns n floats carved from free range number best, or from a new
// slab if best < 0.
func (a *Arena) take(best, n int) []float32 {
	var sp span
	if best >= 0 {
		f := &a.free[best]
		sp = span{f.slab, f.off, n}
		f.off += n
		f.n -= n
		if f.n == 0 {
			a.free = slices.Delete(a.free, best, best+1)
		}
	} else {
		a.slabs = append(a.slabs, make([]float32, n))
		a.pooled += 4 * int64(n)
		sp = span{len(a.slabs) - 1, 0, n}
	}
	b := a.slabs[sp.slab][sp.off : sp.off+n : sp.off+n]
	if n > 0 {
		a.usedIdx[&b[0]] = len(a.used)
	}
	a.used = append(a.used, sp)
	return b
}

// putFree returns sp to the free ranges, merged with adjacent free ones.
func (a *Arena) putFree(sp span) {
	i, _ := slices.BinarySearchFunc(a.free, sp, func(f, t span) int {
		if f.slab != t.slab {
			return f.slab - t.slab
		}
		return f.off - t.off
	})
	if i > 0 {
		if p := &a.free[i-1]; p.slab == sp.slab && p.off+p.n == sp.off {
			p.n += sp.n
			if i < len(a.free) {
				if q := a.free[i]; q.slab == sp.slab && p.off+p.n == q.off {
					p.n += q.n
					a.free = slices.Delete(a.free, i, i+1)
				}
			}
			return
		}
	}
	if i < len(a.free) {
		if q := &a.free[i]; q.slab == sp.slab && sp.off+sp.n == q.off {
			q.off, q.n = sp.off, q.n+sp.n
			return
		}
	}
	a.free = slices.Insert(a.free, i, sp)
}

// recycle hands b, a buffer from Floats, back before Release because nothing
// will read it again (a consumed gradient, a summed scratch buffer, an
// activation freed by Free), so that later allocations of the same step
// reuse it. Buffers the arena did not hand out are ignored. It reports
// whether b was taken back.
func (a *Arena) recycle(b []float32) bool {
	if len(b) == 0 {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	i, ok := a.usedIdx[&b[0]]
	if !ok || a.used[i].n != len(b) {
		return false
	}
	delete(a.usedIdx, &b[0])
	a.putFree(a.used[i])
	a.used[i].n = -1
	return true
}

// Recycle hands b, a buffer from Floats, back before Release, for ops
// outside nn that use arena memory as scratch within a step (a tensor
// rebuilt in the backward pass instead of kept from the forward one): later
// requests of the same step reuse it. The caller promises that nothing
// reads b again. Buffers the arena did not hand out are ignored; it reports
// whether b was taken back.
func (a *Arena) Recycle(b []float32) bool { return a.recycle(b) }

// Free hands v's data back to its pass's arena when that pass records no
// graph (see Exec), so that the next operations of the same pass reuse it:
// inference then needs memory for the values alive at once, not for all
// of them. The caller promises that nothing reads v (or a view of its data)
// again; v's Data becomes nil. When the pass records a graph, has no arena,
// or for data the arena did not hand out it does nothing, so models can
// call it unconditionally on values their forward has consumed.
func Free(v *Value) {
	if v == nil || v.Data == nil || v.backward != nil {
		return
	}
	e := v.exec
	if e == nil || e.arena == nil || !e.noGrad {
		return
	}
	if e.arena.recycle(v.Data.Data) {
		v.Data = nil
	}
}

// Int32s returns a buffer of n int32s with unspecified contents.
func (a *Arena) Int32s(n int) []int32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var b []int32
	if l := a.freeI[n]; len(l) > 0 {
		b = l[len(l)-1]
		a.freeI[n] = l[:len(l)-1]
	} else {
		b = make([]int32, n)
		a.pooled += 4 * int64(n)
	}
	a.usedI = append(a.usedI, b)
	return b
}

// header returns a tensor header with the given shape and data, reusing the
// headers of earlier steps.
func (a *Arena) header(data []float32, shape []int) *tensor.Tensor {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.next == len(a.headers) {
		a.headers = append(a.headers, &tensor.Tensor{})
	}
	t := a.headers[a.next]
	a.next++
	t.Shape = append(t.Shape[:0], shape...)
	t.Data = data
	return t
}

// Release returns every buffer handed out since the last Release to the
// pool. Tensors drawn from the arena must not be used afterwards.
func (a *Arena) Release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	// Nothing is in use any more: every slab is one free range.
	a.free = a.free[:0]
	for i, sl := range a.slabs {
		if len(sl) > 0 {
			a.free = append(a.free, span{i, 0, len(sl)})
		}
	}
	a.used = a.used[:0]
	clear(a.usedIdx)
	for i, b := range a.usedI {
		a.freeI[len(b)] = append(a.freeI[len(b)], b)
		a.usedI[i] = nil
	}
	a.usedI = a.usedI[:0]
	for _, t := range a.headers[:a.next] {
		t.Data = nil
	}
	a.next = 0
}

// Bytes returns the number of bytes of buffer memory the arena holds, in use
// or free.
func (a *Arena) Bytes() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pooled
}

// Reset drops every pooled buffer (for the garbage collector to reclaim),
// for instance after a change of batch size.
func (a *Arena) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.slabs, a.free = nil, nil
	clear(a.freeI)
	a.used, a.usedI = a.used[:0], a.usedI[:0]
	clear(a.usedIdx)
	a.headers, a.next, a.pooled = nil, 0, 0
}
