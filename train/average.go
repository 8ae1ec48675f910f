// Weight averaging: an exponential moving average of the weights during
// training (EMA) and the mean of the best epochs' checkpoints at the end
// (AverageCheckpoints, Config.TopK).

package train

import (
	"errors"
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

// AverageCheckpoints returns the element-wise mean of the state dicts in the
// given lungo checkpoints (parameters and batch-norm statistics; integer
// counters take the maximum). All must hold the same keys and shapes.
func AverageCheckpoints(paths []string) (*nn.StateDict, error) {
	var sum *nn.StateDict
	for i, p := range paths {
		sd, _, err := nn.LoadSafetensors(p)
		if err != nil {
			return nil, fmt.Errorf("train: averaging: %w", err)
		}
		if i == 0 {
			sum = sd
			continue
		}
		if sd.Len() != sum.Len() {
			return nil, fmt.Errorf("train: averaging: %s has %d tensors, %s has %d", p, sd.Len(), paths[0], sum.Len())
		}
		for _, k := range sum.Keys {
			t, ok := sd.Get(k)
			acc := sum.Tensors[k]
			if !ok || !tensor.SameShape(t.Shape, acc.Shape) {
				return nil, fmt.Errorf("train: averaging: %s lacks %q or has another shape", p, k)
			}
			for j, v := range t.Data {
				if sum.Int64[k] {
					acc.Data[j] = max(acc.Data[j], v)
				} else {
					acc.Data[j] += v
				}
			}
		}
	}
	if sum == nil {
		return nil, errors.New("train: averaging: no checkpoints")
	}
	n := float32(len(paths))
	for _, k := range sum.Keys {
		if !sum.Int64[k] {
			for j := range sum.Tensors[k].Data {
				sum.Tensors[k].Data[j] /= n
			}
		}
	}
	return sum, nil
}
