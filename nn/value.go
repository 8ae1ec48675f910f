package nn

import (
	"sync/atomic"

	"github.com/lungo-ml/lungo/tensor"
)

// Value is a node of the define-by-run autograd graph: a tensor, its
// gradient, the values it was computed from and the function that sends its
// gradient back to them. 4-D activations are channels-last [N, H, W, C]
// inside nn (see the package doc); parameters keep PyTorch's layouts.
type Value struct {
	Data *tensor.Tensor
	// Grad has Data's shape. It is nil until a backward pass reaches this
	// value (or ZeroGrad allocates it) and accumulates across passes.
	Grad *tensor.Tensor
	// RequiresGrad marks leaves (parameters) whose gradient is wanted and the
	// results computed from them.
	RequiresGrad bool

	parents  []*Value
	backward func(out *Value) // reads out.Grad, accumulates into parents' Grad
	mark     uint64           // last topo pass that visited this value
	exec     *Exec            // the pass this value belongs to (nil: heap, recording)
}

// Const wraps t as a leaf that needs no gradient (an input or a target).
func Const(t *tensor.Tensor) *Value { return &Value{Data: t} }

// Param wraps t as a leaf whose gradient is wanted (a parameter).
func Param(t *tensor.Tensor) *Value { return &Value{Data: t, RequiresGrad: true} }

// Shape returns the shape of v's data.
func (v *Value) Shape() []int { return v.Data.Shape }

// Item returns the single value of a one-element Value.
func (v *Value) Item() float32 {
	if len(v.Data.Data) != 1 {
		tensor.Panicf("nn", "Item: value has shape %v, want one element", v.Data.Shape)
	}
	return v.Data.Data[0]
}

// GradTensor returns v.Grad, allocating a zero gradient first if needed.
// Leaves (parameters, inputs) allocate it on the heap, so it outlives
// Arena.Release; results of operations draw it from their pass's arena.
func (v *Value) GradTensor() *tensor.Tensor {
	if v.Grad == nil {
		if v.backward != nil {
			v.Grad = v.exec.AllocZero(v.Data.Shape...)
		} else {
			v.Grad = tensor.New(v.Data.Shape...)
		}
	}
	return v.Grad
}

// accumGrad adds a gradient contribution to p, which compute writes
// (overwriting) into the slice it is given. When p has no gradient yet,
// compute writes straight into a fresh one and no temporary is needed.
// Scratch comes from e, the pass of the op whose backward runs.
func accumGrad(e *Exec, p *Value, compute func(dst []float32)) {
	if p == nil || !p.RequiresGrad {
		return
	}
	buf, acc := gradDst(e, p)
	compute(buf)
	gradDone(e, acc, buf)
}

// ZeroGrad sets v's gradient to zero (keeping its buffer).
func (v *Value) ZeroGrad() {
	if v.Grad != nil {
		v.Grad.Zero()
	}
}

// NewResult makes the Value of an operation; it belongs to the pass (Exec)
// of its parents. If the pass records the graph and any parent requires a
// gradient, the result records its parents and backward (which must
// accumulate out.Grad into the parents' GradTensor()); otherwise neither is
// kept. Ops in other packages (losses, models) build on it.
func NewResult(data *tensor.Tensor, backward func(out *Value), parents ...*Value) *Value {
	out := &Value{Data: data, exec: ExecOf(parents...)}
	if !out.exec.Grad() || backward == nil {
		return out
	}
	for _, p := range parents {
		if p != nil && p.RequiresGrad {
			out.RequiresGrad = true
			break
		}
	}
	if out.RequiresGrad {
		out.parents = parents
		out.backward = backward
	}
	return out
}

// Backward computes the gradient of v (which must hold one element) with
// respect to every value it depends on that requires a gradient, seeding
// dv/dv = 1. Gradients accumulate into Grad.
func (v *Value) Backward() {
	if len(v.Data.Data) != 1 {
		tensor.Panicf("nn", "Backward: value has shape %v; use BackwardWith for non-scalars", v.Data.Shape)
	}
	v.BackwardWith(tensor.Full(1, v.Data.Shape...))
}

// BackwardWith runs the backward pass seeded with grad (v's shape).
func (v *Value) BackwardWith(grad *tensor.Tensor) {
	tensor.MustSameShape("nn", "BackwardWith", v.Data.Shape, grad.Shape)
	if !v.RequiresGrad {
		return
	}
	order := topo(v)
	e := v.exec
	if e != nil {
		prevRoot := e.root
		e.root = v
		defer func() { e.root = prevRoot }()
	}
	g := v.GradTensor()
	for i, x := range grad.Data {
		g.Data[i] += x
	}
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if n.backward != nil && n.Grad != nil {
			n.backward(n)
			if e.Arena() != nil && n != v {
				// Propagated: nothing reads this intermediate gradient
				// again, so a later gradient of this pass can reuse it.
				e.Recycle(n.Grad.Data)
				n.Grad = nil
			}
		}
	}
}

// topoPass numbers topological sorts so that a value's mark tells whether
// the current sort has visited it, without a map.
var topoPass atomic.Uint64

// topo returns the graph below v in topological order (parents first),
// iteratively so that deep graphs do not grow the stack. Concurrent passes
// over graphs that share values are not supported.
func topo(root *Value) []*Value {
	pass := topoPass.Add(1)
	var order []*Value
	root.mark = pass
	type frame struct {
		v *Value
		i int
	}
	stack := []frame{{root, 0}}
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.i < len(f.v.parents) {
			p := f.v.parents[f.i]
			f.i++
			if p != nil && p.RequiresGrad && p.mark != pass {
				p.mark = pass
				stack = append(stack, frame{p, 0})
			}
			continue
		}
		order = append(order, f.v)
		stack = stack[:len(stack)-1]
	}
	return order
}
