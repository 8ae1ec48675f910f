package optim

import (
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// SGDConfig holds SGD's hyper-parameters (torch.optim.SGD's arguments; zero
// values mean plain gradient descent).
type SGDConfig struct {
	LR          float64
	Momentum    float64
	Dampening   float64
	WeightDecay float64 // L2 penalty added to the gradient
	Nesterov    bool    // requires Momentum > 0 and Dampening == 0
}

// SGD is stochastic gradient descent with PyTorch 1.13's update: for each
// parameter p with gradient g,
//
//	g = g + weight_decay * p
//	buf = g on the first step, else momentum*buf + (1-dampening)*g
//	g = g + momentum*buf if nesterov, else buf    (when momentum != 0)
//	p = p - lr * g
type SGD struct {
	cfg    SGDConfig
	params []*nn.Value
	bufs   []*tensor.Tensor // momentum buffers, nil until the first step
}

// NewSGD returns an SGD optimizer over params. It panics on a negative
// learning rate, momentum or weight decay, or Nesterov without momentum or
// with dampening (as PyTorch raises).
func NewSGD(params []*nn.Value, cfg SGDConfig) *SGD {
	if cfg.LR < 0 || cfg.Momentum < 0 || cfg.WeightDecay < 0 {
		tensor.Panicf("optim", "NewSGD: invalid config %+v", cfg)
	}
	if cfg.Nesterov && (cfg.Momentum <= 0 || cfg.Dampening != 0) {
		tensor.Panicf("optim", "NewSGD: Nesterov momentum requires a momentum and zero dampening, got %+v", cfg)
	}
	return &SGD{cfg: cfg, params: params, bufs: make([]*tensor.Tensor, len(params))}
}

// Step applies one SGD update to every parameter with a gradient.
func (o *SGD) Step() {
	lr, mom := float32(o.cfg.LR), float32(o.cfg.Momentum)
	wd, damp := float32(o.cfg.WeightDecay), float32(1-o.cfg.Dampening)
	// A momentum buffer starts as a copy of the first step's gradient
	// (PyTorch's buf is None until then).
	first := make([]bool, len(o.params))
	for i, p := range o.params {
		if p.Grad != nil && mom != 0 && o.bufs[i] == nil {
			o.bufs[i] = tensor.New(p.Data.Shape...)
			first[i] = true
		}
	}
	c := sgdCoefs{lr: lr, wd: wd, mom: mom, damp: damp, nesterov: o.cfg.Nesterov}
	forEachParam(o.params, func(i, lo, hi int) {
		var buf []float32
		if mom != 0 {
			buf = o.bufs[i].Data[lo:hi]
		}
		sgdUpdate(o.params[i].Data.Data[lo:hi], o.params[i].Grad.Data[lo:hi], buf, c, first[i])
	})
}

// sgdCoefs are SGD's hyper-parameters in float32 (damp is 1-dampening).
type sgdCoefs struct {
	lr, wd, mom, damp float32
	nesterov          bool
}

// sgdBlock is the block of elements sgdUpdate runs each pass over: its
// effective gradient d stays in L1.
const sgdBlock = 512

// sgdUpdate is SGD's update of w (and the momentum buffer buf, nil without
// momentum; initialised from d when first) from the gradient g:
//
//	d := g; if wd != 0 { d += wd * w }
//	buf = d if first, else mom*buf + damp*d    (when buf != nil)
//	d = d + mom*buf if nesterov, else buf      (when buf != nil)
//	w -= lr * d
//
// It runs as branch-free passes over blocks of sgdBlock elements.
func sgdUpdate(w, g, buf []float32, c sgdCoefs, first bool) {
	var dbuf [sgdBlock]float32
	for lo := 0; lo < len(w); lo += sgdBlock {
		hi := min(lo+sgdBlock, len(w))
		ws, d := w[lo:hi], dbuf[:hi-lo]
		copy(d, g[lo:hi])
		if c.wd != 0 {
			ws := ws[:len(d)]
			for k := range d {
				d[k] += c.wd * ws[k]
			}
		}
		if buf != nil {
			bs := buf[lo:hi]
			bs = bs[:len(d)]
			if first {
				copy(bs, d)
			} else {
				for k := range bs {
					bs[k] = c.mom*bs[k] + c.damp*d[k]
				}
			}
			if c.nesterov {
				for k := range d {
					d[k] += c.mom * bs[k]
				}
			} else {
				d = bs
			}
		}
		ws = ws[:len(d)]
		for k := range ws {
			ws[k] -= c.lr * d[k]
		}
	}
}

// ZeroGrad zeroes the parameters' gradients.
func (o *SGD) ZeroGrad() { zeroGrads(o.params) }

// LR returns the learning rate.
func (o *SGD) LR() float64 { return o.cfg.LR }

// SetLR sets the learning rate.
func (o *SGD) SetLR(lr float64) { o.cfg.LR = lr }

// State returns the hyper-parameters and the momentum buffers
// ("momentum_buffer.<i>", present once parameter i has taken a step).
func (o *SGD) State() *State {
	s := &State{Kind: "sgd", Tensors: nn.NewStateDict(), Scalars: map[string]float64{
		"lr": o.cfg.LR, "momentum": o.cfg.Momentum, "dampening": o.cfg.Dampening,
		"weight_decay": o.cfg.WeightDecay, "nesterov": b2f(o.cfg.Nesterov),
	}}
	putBuffers(s.Tensors, "momentum_buffer", o.bufs)
	return s
}

// LoadState restores a state from SGD.State (hyper-parameters included).
func (o *SGD) LoadState(s *State) error {
	if err := checkKind(s, "sgd"); err != nil {
		return err
	}
	var cfg SGDConfig
	var nesterov float64
	if err := s.scalars(map[string]*float64{"lr": &cfg.LR, "momentum": &cfg.Momentum, "dampening": &cfg.Dampening,
		"weight_decay": &cfg.WeightDecay, "nesterov": &nesterov}); err != nil {
		return err
	}
	cfg.Nesterov = nesterov != 0
	bufs, err := paramBuffers(s, "momentum_buffer", o.params, true)
	if err != nil {
		return err
	}
	o.cfg, o.bufs = cfg, bufs
	return nil
}

// b2f is 1 for true, 0 for false.
func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
