package nn

import (
	"slices"
	"sort"
	"sync"

	"github.com/lungo-ml/lungo/tensor"
)

// Arena recycles the memory of a training step. While an arena is installed
// with SetArena, every op draws its output, the tensors it saves for
// backward (masks, argmax indices, batch statistics) and the gradients of
// intermediate values from the arena instead of the Go heap. Release hands
// all of them back at once; the next step then reuses the same buffers, so a
// training loop in steady state allocates no activation memory.
//
// Typical use:
//
//	arena := nn.NewArena()
//	prev := nn.SetArena(arena)
//	defer nn.SetArena(prev)
//	for step := range steps {
//		out := model.Forward(nn.Const(x)) // activations from the arena
//		loss := nn.Mean(out)
//		loss.Backward()                   // intermediate grads from the arena
//		l := loss.Item()                  // read what you need first ...
//		opt.Step(); nn.ZeroGrad(model)
//		arena.Release()                   // ... then recycle the whole graph
//	}
//
// With an arena installed, Backward also recycles each intermediate
// value's gradient as soon as it has been propagated (as PyTorch keeps
// gradients of leaves only): the gradients of a step then need little more
// memory than the largest few of them, not all of them at once.
//
// After Release every tensor and Value produced since the previous Release
// is invalid: its memory belongs to the next step. Copy out (tensor.Clone)
// anything that must outlive the step. Parameters, their gradients (leaves
// allocate on the heap) and batch-norm running statistics are never arena
// memory. A request takes the smallest free buffer that holds it, up to
// twice its size (else a fresh one): training asks for the same sizes every
// step, and gradients of one size reuse the dead ones of a slightly larger
// size.
//
// An Arena is safe for concurrent use, but the arena installed with SetArena
// is global to the process, like NoGrad.
type Arena struct {
	mu      sync.Mutex
	free    map[int][][]float32 // by capacity
	caps    []int               // capacities with free buffers, ascending
	freeI   map[int][][]int32
	used    [][]float32 // handed out since Release; nil where recycled early
	usedIdx map[*float32]int
	usedI   [][]int32
	headers []*tensor.Tensor // every header handed out; [:next] are live
	next    int
	pooled  int64 // bytes held by the arena (live or free)
}

// NewArena returns an empty arena.
func NewArena() *Arena {
	return &Arena{free: map[int][][]float32{}, freeI: map[int][][]int32{}, usedIdx: map[*float32]int{}}
}

// current is the arena ops allocate from; nil means the Go heap.
var current *Arena

// SetArena installs a (nil: allocate from the heap) as the arena ops draw
// from and returns the previously installed one.
func SetArena(a *Arena) (prev *Arena) {
	prev, current = current, a
	return prev
}

// CurrentArena returns the installed arena, or nil.
func CurrentArena() *Arena { return current }

// maxFit bounds the waste of a reused buffer: a request of n floats takes
// a free buffer of at most maxFit*n.
const maxFit = 2

// Floats returns a buffer of n float32s. Its contents are unspecified (they
// may hold a previous step's values); zero it if needed.
func (a *Arena) Floats(n int) []float32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var b []float32
	if c, ok := a.fit(n); ok {
		l := a.free[c]
		b = l[len(l)-1][:n]
		a.free[c] = l[:len(l)-1]
		if len(l) == 1 {
			a.dropCap(c)
		}
	} else {
		b = make([]float32, n)
		a.pooled += 4 * int64(n)
	}
	if n > 0 {
		a.usedIdx[&b[0]] = len(a.used)
	}
	a.used = append(a.used, b)
	return b
}

// fit returns the smallest capacity of a free buffer that holds n floats,
// if one of at most maxFit*n is free.
func (a *Arena) fit(n int) (int, bool) {
	i := sort.SearchInts(a.caps, n)
	if i == len(a.caps) || a.caps[i] > maxFit*max(n, 1) {
		return 0, false
	}
	return a.caps[i], true
}

// putFree adds b to the free buffers of its capacity.
func (a *Arena) putFree(b []float32) {
	c := cap(b)
	l := a.free[c]
	if len(l) == 0 {
		i := sort.SearchInts(a.caps, c)
		a.caps = slices.Insert(a.caps, i, c)
	}
	a.free[c] = append(l, b[:c])
}

// dropCap removes c, whose free list has become empty, from a.caps.
func (a *Arena) dropCap(c int) {
	if i := sort.SearchInts(a.caps, c); i < len(a.caps) && a.caps[i] == c {
		a.caps = slices.Delete(a.caps, i, i+1)
	}
}

// recycle hands b, a buffer from Floats, back before Release because nothing
// will read it again (a consumed gradient, a summed scratch buffer), so that
// later allocations of the same step reuse it. Buffers the arena did not
// hand out are ignored.
// It reports whether b was taken back.
func (a *Arena) recycle(b []float32) bool {
	if len(b) == 0 {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	i, ok := a.usedIdx[&b[0]]
	if !ok || len(a.used[i]) != len(b) {
		return false
	}
	delete(a.usedIdx, &b[0])
	a.used[i] = nil
	a.putFree(b)
	return true
}

// Free hands v's data back to the installed arena when no graph is being
// recorded (inside NoGrad), so that the next operations of the same pass
// reuse it: inference then needs memory for the values alive at once, not
// for all of them. The caller promises that nothing reads v (or a view of
// its data) again; v's Data becomes nil. Outside NoGrad, without an arena,
// or for data the arena did not hand out it does nothing, so models can
// call it unconditionally on values their forward has consumed.
func Free(v *Value) {
	if gradEnabled || current == nil || v == nil || v.Data == nil || v.backward != nil {
		return
	}
	if current.recycle(v.Data.Data) {
		v.Data = nil
	}
}

// recycle returns b to the installed arena, if any (see Arena.recycle).
func recycle(b []float32) {
	if current != nil {
		current.recycle(b)
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
	for i, b := range a.used {
		if b != nil {
			a.putFree(b)
		}
		a.used[i] = nil
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
	clear(a.free)
	a.caps = a.caps[:0]
	clear(a.freeI)
	a.used, a.usedI = a.used[:0], a.usedI[:0]
	clear(a.usedIdx)
	a.headers, a.next, a.pooled = nil, 0, 0
}

// Alloc returns a tensor of the given shape with unspecified contents, from
// the installed arena if there is one, else from the heap (then zeroed).
// Operations written outside nn with NewResult use it for outputs and saved
// tensors they overwrite entirely, so that an arena recycles them too.
func Alloc(shape ...int) *tensor.Tensor { return emptyTensor(shape...) }

// AllocZero is Alloc with the contents set to zero.
func AllocZero(shape ...int) *tensor.Tensor { return newTensor(shape...) }

// newTensor returns a zeroed tensor from the current arena or the heap.
func newTensor(shape ...int) *tensor.Tensor {
	t := emptyTensor(shape...)
	if current != nil {
		clear(t.Data)
	}
	return t
}

// emptyTensor returns a tensor whose contents are unspecified (the caller
// overwrites all of it), from the current arena or the heap.
func emptyTensor(shape ...int) *tensor.Tensor {
	if current == nil {
		return tensor.New(shape...)
	}
	return current.header(current.Floats(tensor.Numel(shape)), shape)
}

// view returns a tensor header over data with a new shape.
func view(data []float32, shape ...int) *tensor.Tensor {
	if current == nil {
		return tensor.FromData(data, shape...)
	}
	return current.header(data, shape)
}

// floats returns a scratch buffer of n float32s with unspecified contents.
func floats(n int) []float32 {
	if current == nil {
		return make([]float32, n)
	}
	return current.Floats(n)
}

// int32s returns a scratch buffer of n int32s with unspecified contents.
func int32s(n int) []int32 {
	if current == nil {
		return make([]int32, n)
	}
	return current.Int32s(n)
}
