package optim

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// Optimizer updates a fixed list of parameters from their gradients.
type Optimizer interface {
	// Step applies one update to every parameter that has a gradient.
	Step()
	// ZeroGrad zeroes the parameters' gradients (keeping their buffers).
	ZeroGrad()
	// LR returns the current learning rate.
	LR() float64
	// SetLR sets the learning rate used by the next Step (schedules call it).
	SetLR(lr float64)
	// State returns a deep copy of the optimizer's state (hyper-parameters,
	// step counters and per-parameter buffers).
	State() *State
	// LoadState restores a state returned by State of an optimizer of the
	// same kind over parameters of the same shapes; on error nothing changes.
	LoadState(s *State) error
}

// State is a serialisable snapshot of an optimizer or schedule: Kind names
// the type ("sgd", "adam", "adamw", "steplr", ...), Scalars holds numbers
// (learning rate, step counters, best metric) and Tensors the per-parameter
// buffers keyed "<buffer>.<parameter index>" ("exp_avg.3"); Tensors may be
// nil for schedules.
type State struct {
	Kind    string
	Scalars map[string]float64
	Tensors *nn.StateDict
}

// Encode stores s under prefix ("optim." say): its tensors into sd under
// "<prefix><key>" and its kind and scalars into meta under "<prefix>kind"
// and "<prefix><name>", formatted so that they parse back exactly.
func (s *State) Encode(prefix string, sd *nn.StateDict, meta map[string]string) {
	meta[prefix+"kind"] = s.Kind
	for k, v := range s.Scalars {
		meta[prefix+k] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	if s.Tensors != nil {
		for _, k := range s.Tensors.Keys {
			sd.Set(prefix+k, s.Tensors.Tensors[k], s.Tensors.Int64[k])
		}
	}
}

// DecodeState reads back a State that Encode stored under prefix. The tensors
// are those of sd (not copied). Keys of meta and sd without the prefix are
// ignored, so several states and a model can share one file as long as
// prefixes do not overlap with model keys.
func DecodeState(prefix string, sd *nn.StateDict, meta map[string]string) (*State, error) {
	kind, ok := meta[prefix+"kind"]
	if !ok {
		return nil, fmt.Errorf("optim: no state under prefix %q (missing %q in metadata)", prefix, prefix+"kind")
	}
	s := &State{Kind: kind, Scalars: map[string]float64{}, Tensors: nn.NewStateDict()}
	for k, v := range meta {
		if !strings.HasPrefix(k, prefix) || k == prefix+"kind" {
			continue
		}
		name := k[len(prefix):]
		if strings.Contains(name, ".") {
			continue // a nested state under a longer prefix
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("optim: state %q: scalar %q = %q: %v", prefix, name, v, err)
		}
		s.Scalars[name] = f
	}
	if sd != nil {
		for _, k := range sd.Keys {
			if strings.HasPrefix(k, prefix) {
				s.Tensors.Set(k[len(prefix):], sd.Tensors[k], sd.Int64[k])
			}
		}
	}
	return s, nil
}

// scalar returns s.Scalars[name] or an error naming it.
func (s *State) scalar(name string) (float64, error) {
	v, ok := s.Scalars[name]
	if !ok {
		return 0, fmt.Errorf("optim: %s state has no %q", s.Kind, name)
	}
	return v, nil
}

// scalars reads several named scalars into dst, all or nothing.
func (s *State) scalars(dst map[string]*float64) error {
	vals := make(map[string]float64, len(dst))
	names := make([]string, 0, len(dst))
	for name := range dst {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v, err := s.scalar(name)
		if err != nil {
			return err
		}
		vals[name] = v
	}
	for name, p := range dst {
		*p = vals[name]
	}
	return nil
}

// checkKind returns an error unless s is of kind want.
func checkKind(s *State, want string) error {
	if s == nil {
		return fmt.Errorf("optim: nil state, want %s", want)
	}
	if s.Kind != want {
		return fmt.Errorf("optim: state of kind %q, want %q", s.Kind, want)
	}
	return nil
}

// paramBuffers reads the per-parameter buffers name.<i> from s for params;
// a missing buffer is nil when optional. Shapes must match the parameters.
func paramBuffers(s *State, name string, params []*nn.Value, optional bool) ([]*tensor.Tensor, error) {
	out := make([]*tensor.Tensor, len(params))
	for i, p := range params {
		key := name + "." + strconv.Itoa(i)
		var t *tensor.Tensor
		if s.Tensors != nil {
			t = s.Tensors.Tensors[key]
		}
		if t == nil {
			if optional {
				continue
			}
			return nil, fmt.Errorf("optim: %s state has no %q", s.Kind, key)
		}
		if !tensor.SameShape(t.Shape, p.Data.Shape) {
			return nil, fmt.Errorf("optim: %s state %q has shape %v, parameter %d has %v", s.Kind, key, t.Shape, i, p.Data.Shape)
		}
		out[i] = t.Clone()
	}
	// Buffers for parameters beyond the list mean a different model.
	if s.Tensors != nil {
		if _, ok := s.Tensors.Tensors[name+"."+strconv.Itoa(len(params))]; ok {
			return nil, fmt.Errorf("optim: %s state has %q but only %d parameters", s.Kind, name+"."+strconv.Itoa(len(params)), len(params))
		}
	}
	return out, nil
}

// putBuffers stores bufs (nil entries skipped) as name.<i> in sd, copied.
func putBuffers(sd *nn.StateDict, name string, bufs []*tensor.Tensor) {
	for i, b := range bufs {
		if b != nil {
			sd.Set(name+"."+strconv.Itoa(i), b.Clone(), false)
		}
	}
}

// zeroGrads zeroes the gradients of params.
func zeroGrads(params []*nn.Value) {
	for _, p := range params {
		p.ZeroGrad()
	}
}

// updateGrain is the smallest element range worth a worker in an update.
const updateGrain = 1 << 14

// forEachParam runs fn on the elements [lo, hi) of parameter i, in parallel
// chunks; parameters are visited in order.
func forEachParam(params []*nn.Value, fn func(i, lo, hi int)) {
	for i, p := range params {
		if p.Grad == nil {
			continue
		}
		kernels.Parallel(len(p.Data.Data), updateGrain, func(lo, hi int) { fn(i, lo, hi) })
	}
}

// ClipGradNorm scales the gradients of params in place so that their joint
// L2 norm is at most maxNorm, like torch.nn.utils.clip_grad_norm_ (norm type
// 2): total = sqrt(sum of squares of every gradient element), and when
// coef = maxNorm/(total+1e-6) < 1 each gradient is multiplied by coef. It
// returns total (computed in float64). Parameters without a gradient are
// ignored. A NaN or Inf total turns the gradients NaN, as in PyTorch; the
// returned total lets the caller skip the step instead.
func ClipGradNorm(params []*nn.Value, maxNorm float64) float64 {
	var sum float64
	for _, p := range params {
		if p.Grad != nil {
			sum += sumSquares(p.Grad.Data)
		}
	}
	total := math.Sqrt(sum)
	coef := maxNorm / (total + 1e-6)
	if !(coef < 1) && !math.IsNaN(coef) {
		return total
	}
	c := float32(coef)
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		g := p.Grad.Data
		kernels.Parallel(len(g), updateGrain, func(lo, hi int) {
			for k := lo; k < hi; k++ {
				g[k] *= c
			}
		})
	}
	return total
}

// normBlock is the block of the threaded sum of squares: blocks are summed
// apart and their sums added in order, so the result does not depend on the
// number of threads.
const normBlock = 1 << 16

// sumSquares returns the sum of g[k]^2 in float64, in blocks of normBlock
// split across the worker pool.
func sumSquares(g []float32) float64 {
	nb := (len(g) + normBlock - 1) / normBlock
	if nb <= 1 {
		return sumSquaresSerial(g)
	}
	partial := make([]float64, nb)
	kernels.Parallel(nb, 1, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			partial[b] = sumSquaresSerial(g[b*normBlock : min((b+1)*normBlock, len(g))])
		}
	})
	var sum float64
	for _, s := range partial {
		sum += s
	}
	return sum
}

// sumSquaresSerial returns the sum of g[k]^2 in float64 with four
// accumulators (independent add chains: about 4x the speed of one).
func sumSquaresSerial(g []float32) float64 {
	var s0, s1, s2, s3 float64
	k := 0
	for ; k+4 <= len(g); k += 4 {
		a, b, c, d := float64(g[k]), float64(g[k+1]), float64(g[k+2]), float64(g[k+3])
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += d * d
	}
	for ; k < len(g); k++ {
		s0 += float64(g[k]) * float64(g[k])
	}
	return (s0 + s1) + (s2 + s3)
}

// errorf returns an error prefixed "optim: ".
func errorf(format string, args ...any) error { return fmt.Errorf("optim: "+format, args...) }
