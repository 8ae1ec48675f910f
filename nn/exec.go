package nn

import (
	"context"
	"errors"
	"fmt"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/tensor"
)

// Exec is the execution state of a pass (a forward pass, and the backward
// pass of its graph): where its memory comes from (an Arena, or the Go
// heap), whether it records the graph, and the context that can cancel it.
//
// It travels with the values, not with the process: an input made with
// Input carries its Exec, and every operation gives its result the Exec of
// its inputs (the first input that has one; parameters and Const leaves have
// none). Two goroutines that run passes with Execs of their own therefore
// never see each other's arena or grad mode, which is what lets any number
// of models (and replicas of one model) predict at once while another
// trains. Values without an Exec (Const, Param, results computed only from
// them) record the graph and allocate from the heap, as plain PyTorch does.
//
// An Exec serves one pass at a time; make one per goroutine. A nil *Exec
// is valid and means the heap with graph recording on.
type Exec struct {
	ctx    context.Context
	arena  *Arena
	noGrad bool
	root   *Value // the value the running BackwardWith started from

	scratch kernels.ScratchArena // tests: instead of the arena as kernel scratch
}

// NewExec returns the execution state of passes drawing from arena (nil:
// the heap), recording the graph when grad is true (false is torch.no_grad:
// results keep no parents or backward functions, and Free recycles consumed
// activations). ctx (nil: never cancelled) is checked before each
// operation: see Run.
func NewExec(ctx context.Context, arena *Arena, grad bool) *Exec {
	return &Exec{ctx: ctx, arena: arena, noGrad: !grad}
}

// Input wraps t as a leaf that needs no gradient, carrying e: the
// operations that take it run with e's arena, grad mode and context.
func (e *Exec) Input(t *tensor.Tensor) *Value { return &Value{Data: t, exec: e} }

// Param wraps t as a leaf whose gradient is wanted (allocated on the heap,
// like a parameter's), carrying e: for inputs that a test or an attack
// differentiates with respect to.
func (e *Exec) Param(t *tensor.Tensor) *Value {
	return &Value{Data: t, RequiresGrad: true, exec: e}
}

// Arena returns e's arena (nil: the heap).
func (e *Exec) Arena() *Arena {
	if e == nil {
		return nil
	}
	return e.arena
}

// Grad reports whether passes under e record the graph.
func (e *Exec) Grad() bool { return e == nil || !e.noGrad }

// ExecOf returns the Exec of the first of vs that has one, or nil. Ops
// outside nn use it to allocate their results where their inputs' pass
// allocates (ExecOf(x).Alloc(shape...)).
func ExecOf(vs ...*Value) *Exec {
	for _, v := range vs {
		if v != nil && v.exec != nil {
			return v.exec
		}
	}
	return nil
}

// execOf is ExecOf for nn's own operations, which also check for
// cancellation before they start (see Run).
func execOf(vs ...*Value) *Exec {
	e := ExecOf(vs...)
	if e != nil && e.ctx != nil {
		if err := e.ctx.Err(); err != nil {
			panic(canceled{err})
		}
	}
	return e
}

// canceled is the panic value with which an operation stops a pass whose
// context is done; Run turns it back into the context's error.
type canceled struct{ err error }

// ErrCanceled wraps the context error of a pass stopped by Run.
var ErrCanceled = errors.New("nn: pass cancelled")

// Run calls fn, a pass over values carrying e, and returns an error
// wrapping ErrCanceled and the context's error (context.Canceled or
// context.DeadlineExceeded) if e's context was done before one of its
// operations: the operation then stops the pass by panicking, and Run
// recovers. Other panics propagate. Everything the pass allocated stays in
// e's arena until the caller releases it, so a model is usable again after
// a cancelled pass once its arena is released.
func (e *Exec) Run(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			c, ok := r.(canceled)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("%w: %w", ErrCanceled, c.err)
		}
	}()
	fn()
	return nil
}

// Alloc returns a tensor of the given shape with unspecified contents from
// e's arena, or from the heap (then zeroed). Operations written outside nn
// with NewResult use it for outputs and saved tensors they overwrite
// entirely, so that an arena recycles them too.
func (e *Exec) Alloc(shape ...int) *tensor.Tensor {
	if e == nil || e.arena == nil {
		return tensor.New(shape...)
	}
	return e.arena.header(e.arena.Floats(tensor.Numel(shape)), shape)
}

// AllocZero is Alloc with the contents set to zero.
func (e *Exec) AllocZero(shape ...int) *tensor.Tensor {
	t := e.Alloc(shape...)
	if e != nil && e.arena != nil {
		clear(t.Data)
	}
	return t
}

// Floats returns a scratch buffer of n float32s with unspecified contents,
// from e's arena or the heap. Recycle hands it back early.
func (e *Exec) Floats(n int) []float32 {
	if e == nil || e.arena == nil {
		return make([]float32, n)
	}
	return e.arena.Floats(n)
}

// Recycle hands b, a buffer from Floats, back to e's arena before the
// arena's Release (see Arena.Recycle); without an arena it does nothing.
func (e *Exec) Recycle(b []float32) {
	if e != nil && e.arena != nil {
		e.arena.recycle(b)
	}
}

// int32s returns a scratch buffer of n int32s with unspecified contents.
func (e *Exec) int32s(n int) []int32 {
	if e == nil || e.arena == nil {
		return make([]int32, n)
	}
	return e.arena.Int32s(n)
}

// view returns a tensor header over data with a new shape.
func (e *Exec) view(data []float32, shape ...int) *tensor.Tensor {
	if e == nil || e.arena == nil {
		return tensor.FromData(data, shape...)
	}
	return e.arena.header(data, shape)
}

// Scratch returns what kernels should take their big scratch buffers from
// in this pass (kernels.ConvParams.Scratch): the free ranges of e's arena,
// or nil (the kernels' own pool).
func (e *Exec) Scratch() kernels.ScratchArena {
	if e == nil || e.arena == nil {
		return nil
	}
	if e.scratch != nil {
		return e.scratch
	}
	return (*arenaScratch)(e.arena)
}

// gradScratch reports whether out's backward may overwrite out.Grad: with
// an arena, Backward recycles the gradient of every value but the root as
// soon as its backward has run, so nothing reads it afterwards.
func gradScratch(out *Value) bool {
	e := out.exec
	return e != nil && e.arena != nil && out != e.root
}
