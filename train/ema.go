package train

import (
	"fmt"

	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// EMA keeps an exponential moving average of a module's parameters:
// shadow = decay*shadow + (1-decay)*param after every optimizer step. Buffers
// (batch-norm running statistics) are copied, not averaged, like
// torch.optim.swa_utils.AveragedModel with use_buffers=False followed by a
// copy. Evaluate with the averaged weights by wrapping the evaluation in Swap.
type EMA struct {
	Decay  float64
	params []*nn.Value
	shadow []*tensor.Tensor
}

// NewEMA starts an average of m's current parameters.
func NewEMA(m nn.Module, decay float64) *EMA {
	if decay < 0 || decay >= 1 {
		panic(fmt.Sprintf("train: EMA decay %g outside [0, 1)", decay))
	}
	e := &EMA{Decay: decay, params: nn.Parameters(m)}
	for _, p := range e.params {
		e.shadow = append(e.shadow, p.Data.Clone())
	}
	return e
}

// Update folds the module's current parameters into the average.
func (e *EMA) Update() {
	d := float32(e.Decay)
	for i, p := range e.params {
		s := e.shadow[i].Data
		for j, v := range p.Data.Data {
			s[j] = d*s[j] + (1-d)*v
		}
	}
}

// Swap exchanges the module's parameters with the averaged ones. Calling it
// twice restores the original state.
func (e *EMA) Swap() {
	for i, p := range e.params {
		s := e.shadow[i].Data
		for j, v := range p.Data.Data {
			p.Data.Data[j], s[j] = s[j], v
		}
	}
}

// Shadow returns the averaged parameter tensors, in nn.Parameters order.
func (e *EMA) Shadow() []*tensor.Tensor { return e.shadow }
