package optim

import (
	"math"
	"strconv"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// AdamConfig holds Adam's and AdamW's hyper-parameters (torch.optim.Adam's
// arguments). Zero fields are used as given: start from DefaultAdam or
// DefaultAdamW to get PyTorch's defaults.
type AdamConfig struct {
	LR           float64
	Beta1, Beta2 float64
	Eps          float64
	WeightDecay  float64 // Adam: L2 added to the gradient; AdamW: decoupled decay
	AMSGrad      bool
}

// DefaultAdam returns PyTorch's Adam defaults with learning rate lr:
// betas (0.9, 0.999), eps 1e-8, no weight decay.
func DefaultAdam(lr float64) AdamConfig {
	return AdamConfig{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// DefaultAdamW returns PyTorch's AdamW defaults with learning rate lr:
// betas (0.9, 0.999), eps 1e-8, weight decay 0.01.
func DefaultAdamW(lr float64) AdamConfig {
	c := DefaultAdam(lr)
	c.WeightDecay = 0.01
	return c
}

// Adam is Adam or AdamW with PyTorch 1.13's update: for each parameter p
// with gradient g, at its step t (counted from 1),
//
//	AdamW: p = p * (1 - lr*weight_decay)
//	Adam:  g = g + weight_decay*p
//	m = beta1*m + (1-beta1)*g
//	v = beta2*v + (1-beta2)*g*g
//	vmax = max(vmax, v); use vmax for v below      (AMSGrad)
//	denom = sqrt(v) / sqrt(1-beta2^t) + eps
//	p = p - (lr / (1-beta1^t)) * m / denom
type Adam struct {
	cfg       AdamConfig
	decoupled bool // AdamW
	params    []*nn.Value
	steps     []int64
	m, v, vm  []*tensor.Tensor // vm (AMSGrad's max) only when enabled
}

// NewAdam returns Adam (L2 weight decay) over params.
func NewAdam(params []*nn.Value, cfg AdamConfig) *Adam { return newAdam(params, cfg, false) }

// NewAdamW returns AdamW (decoupled weight decay) over params.
func NewAdamW(params []*nn.Value, cfg AdamConfig) *Adam { return newAdam(params, cfg, true) }

func newAdam(params []*nn.Value, cfg AdamConfig, decoupled bool) *Adam {
	if cfg.LR < 0 || cfg.Eps < 0 || cfg.WeightDecay < 0 || !(cfg.Beta1 >= 0 && cfg.Beta1 < 1) || !(cfg.Beta2 >= 0 && cfg.Beta2 < 1) {
		tensor.Panicf("optim", "NewAdam: invalid config %+v", cfg)
	}
	n := len(params)
	return &Adam{cfg: cfg, decoupled: decoupled, params: params, steps: make([]int64, n),
		m: make([]*tensor.Tensor, n), v: make([]*tensor.Tensor, n), vm: make([]*tensor.Tensor, n)}
}

func (o *Adam) kind() string {
	if o.decoupled {
		return "adamw"
	}
	return "adam"
}

// Step applies one update to every parameter with a gradient, through
// kernels.AdamStep (SIMD, split across the worker pool).
func (o *Adam) Step() {
	p := kernels.AdamParams{
		Beta1: float32(o.cfg.Beta1), OneMinusBeta1: float32(1 - o.cfg.Beta1),
		Beta2: float32(o.cfg.Beta2), OneMinusBeta2: float32(1 - o.cfg.Beta2),
		Eps: float32(o.cfg.Eps), Decay: 1, AMSGrad: o.cfg.AMSGrad,
	}
	if o.decoupled {
		p.Decay = float32(1 - o.cfg.LR*o.cfg.WeightDecay)
	} else {
		p.WeightDecay = float32(o.cfg.WeightDecay)
	}
	for i, par := range o.params {
		if par.Grad == nil {
			continue
		}
		if o.m[i] == nil {
			o.m[i] = tensor.New(par.Data.Shape...)
			o.v[i] = tensor.New(par.Data.Shape...)
		}
		var vmax []float32
		if o.cfg.AMSGrad {
			if o.vm[i] == nil {
				o.vm[i] = tensor.New(par.Data.Shape...)
			}
			vmax = o.vm[i].Data
		}
		o.steps[i]++
		t := float64(o.steps[i])
		p.StepSize = float32(o.cfg.LR / (1 - math.Pow(o.cfg.Beta1, t)))
		p.BC2Sqrt = float32(math.Sqrt(1 - math.Pow(o.cfg.Beta2, t)))
		kernels.AdamStep(par.Data.Data, par.Grad.Data, o.m[i].Data, o.v[i].Data, vmax, p)
	}
}

// ZeroGrad zeroes the parameters' gradients.
func (o *Adam) ZeroGrad() { zeroGrads(o.params) }

// LR returns the learning rate.
func (o *Adam) LR() float64 { return o.cfg.LR }

// SetLR sets the learning rate.
func (o *Adam) SetLR(lr float64) { o.cfg.LR = lr }

// State returns the hyper-parameters, per-parameter step counts
// ("step_<i>") and moments ("exp_avg.<i>", "exp_avg_sq.<i>",
// "max_exp_avg_sq.<i>" with AMSGrad), present once parameter i has stepped.
func (o *Adam) State() *State {
	s := &State{Kind: o.kind(), Tensors: nn.NewStateDict(), Scalars: map[string]float64{
		"lr": o.cfg.LR, "beta1": o.cfg.Beta1, "beta2": o.cfg.Beta2, "eps": o.cfg.Eps,
		"weight_decay": o.cfg.WeightDecay, "amsgrad": b2f(o.cfg.AMSGrad), "params": float64(len(o.params)),
	}}
	for i, st := range o.steps {
		s.Scalars["step_"+strconv.Itoa(i)] = float64(st)
	}
	putBuffers(s.Tensors, "exp_avg", o.m)
	putBuffers(s.Tensors, "exp_avg_sq", o.v)
	putBuffers(s.Tensors, "max_exp_avg_sq", o.vm)
	return s
}

// LoadState restores a state from State of an optimizer of the same kind
// (Adam or AdamW) over the same parameter shapes.
func (o *Adam) LoadState(s *State) error {
	if err := checkKind(s, o.kind()); err != nil {
		return err
	}
	var cfg AdamConfig
	var ams, n float64
	if err := s.scalars(map[string]*float64{"lr": &cfg.LR, "beta1": &cfg.Beta1, "beta2": &cfg.Beta2, "eps": &cfg.Eps,
		"weight_decay": &cfg.WeightDecay, "amsgrad": &ams, "params": &n}); err != nil {
		return err
	}
	cfg.AMSGrad = ams != 0
	if int(n) != len(o.params) {
		return errorf("%s state is for %d parameters, optimizer has %d", s.Kind, int(n), len(o.params))
	}
	steps := make([]int64, len(o.params))
	for i := range steps {
		st, err := s.scalar("step_" + strconv.Itoa(i))
		if err != nil {
			return err
		}
		steps[i] = int64(st)
	}
	m, err := paramBuffers(s, "exp_avg", o.params, true)
	if err != nil {
		return err
	}
	v, err := paramBuffers(s, "exp_avg_sq", o.params, true)
	if err != nil {
		return err
	}
	vm, err := paramBuffers(s, "max_exp_avg_sq", o.params, true)
	if err != nil {
		return err
	}
	for i := range steps {
		if (steps[i] > 0) != (m[i] != nil) || (m[i] != nil) != (v[i] != nil) || cfg.AMSGrad && (m[i] != nil) != (vm[i] != nil) {
			return errorf("%s state for parameter %d is inconsistent (step %d, moments present: %v %v)", s.Kind, i, steps[i], m[i] != nil, v[i] != nil)
		}
	}
	o.cfg, o.steps, o.m, o.v, o.vm = cfg, steps, m, v, vm
	return nil
}
