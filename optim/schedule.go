package optim

import (
	"math"

	"github.com/lungo-ml/lungo/tensor"
)

// Schedules set an optimizer's learning rate. Like PyTorch's, each is built
// on an optimizer whose current learning rate becomes the base rate, sets
// the rate for step 0 at construction, and moves it on each Step call (made
// after the optimizer's Step, per epoch or per iteration as the caller
// chooses). Their State/LoadState save the position so a run resumes
// exactly.

// Schedule is a learning-rate schedule advanced once per step or epoch
// (StepLR, WarmupCosine). ReduceLROnPlateau is not one: its Step takes the
// epoch's metric.
type Schedule interface {
	// Step advances the schedule and sets the optimizer's rate.
	Step()
	// State returns the schedule's position for a checkpoint.
	State() *State
	// LoadState restores a position from State and sets the rate.
	LoadState(*State) error
}

var (
	_ Schedule  = (*StepLR)(nil)
	_ Schedule  = (*WarmupCosine)(nil)
	_ Optimizer = (*SGD)(nil)
	_ Optimizer = (*Adam)(nil)
)

// StepLR is torch.optim.lr_scheduler.StepLR: the rate is multiplied by
// Gamma every StepSize calls of Step, so after e calls it is
// base * Gamma^floor(e/StepSize) (computed by repeated multiplication, as
// PyTorch does).
type StepLR struct {
	opt       Optimizer
	StepSize  int
	Gamma     float64
	lastEpoch int
}

// NewStepLR returns a StepLR over opt. It panics unless stepSize > 0.
func NewStepLR(opt Optimizer, stepSize int, gamma float64) *StepLR {
	if stepSize <= 0 {
		tensor.Panicf("optim", "NewStepLR: step size %d, want > 0", stepSize)
	}
	return &StepLR{opt: opt, StepSize: stepSize, Gamma: gamma}
}

// Step advances one epoch (or iteration) and updates the learning rate.
func (s *StepLR) Step() {
	s.lastEpoch++
	if s.lastEpoch%s.StepSize == 0 {
		s.opt.SetLR(s.opt.LR() * s.Gamma)
	}
}

// State returns the position ("last_epoch") and the current rate.
func (s *StepLR) State() *State {
	return &State{Kind: "steplr", Scalars: map[string]float64{"last_epoch": float64(s.lastEpoch), "lr": s.opt.LR()}}
}

// LoadState restores the position and sets the optimizer's rate.
func (s *StepLR) LoadState(st *State) error {
	if err := checkKind(st, "steplr"); err != nil {
		return err
	}
	var e, lr float64
	if err := st.scalars(map[string]*float64{"last_epoch": &e, "lr": &lr}); err != nil {
		return err
	}
	s.lastEpoch = int(e)
	s.opt.SetLR(lr)
	return nil
}

// WarmupCosine is a linear warm-up followed by a cosine decay, as a factor
// f(s) of the base rate at step s = 0, 1, 2, ... (s = the number of Step
// calls so far; the optimizer's first update uses s = 0):
//
//	s < W:        f = (s+1) / W
//	W <= s < T:   f = r + (1-r) * (1 + cos(pi * (s-W) / (T-W))) / 2
//	s >= T:       f = r
//
// with W = Warmup steps, T = Total steps and r = MinRatio (the final rate as
// a fraction of the base). The warm-up reaches the base rate at step W-1
// (never a zero rate, unlike schedules that start at 0) and the decay starts
// from it at step W. It equals torch.optim.lr_scheduler.LambdaLR with this
// f (the golden test checks it).
type WarmupCosine struct {
	opt           Optimizer
	Base          float64
	Warmup, Total int
	MinRatio      float64
	step          int
}

// NewWarmupCosine returns the schedule over opt, taking opt.LR() as the base
// rate and setting the rate for step 0. It panics unless 0 <= warmup <=
// total, total > 0 and 0 <= minRatio <= 1.
func NewWarmupCosine(opt Optimizer, warmup, total int, minRatio float64) *WarmupCosine {
	if warmup < 0 || total <= 0 || warmup > total || !(minRatio >= 0 && minRatio <= 1) {
		tensor.Panicf("optim", "NewWarmupCosine: warmup %d, total %d, min ratio %g", warmup, total, minRatio)
	}
	s := &WarmupCosine{opt: opt, Base: opt.LR(), Warmup: warmup, Total: total, MinRatio: minRatio}
	opt.SetLR(s.Base * s.Factor(0))
	return s
}

// Factor returns f(step).
func (s *WarmupCosine) Factor(step int) float64 {
	switch {
	case step < s.Warmup:
		return float64(step+1) / float64(s.Warmup)
	case step >= s.Total:
		return s.MinRatio
	}
	p := float64(step-s.Warmup) / float64(s.Total-s.Warmup)
	return s.MinRatio + (1-s.MinRatio)*0.5*(1+math.Cos(math.Pi*p))
}

// Step advances one step and sets the rate to Base * f(step).
func (s *WarmupCosine) Step() {
	s.step++
	s.opt.SetLR(s.Base * s.Factor(s.step))
}

// State returns the position and the schedule's parameters.
func (s *WarmupCosine) State() *State {
	return &State{Kind: "warmupcosine", Scalars: map[string]float64{"step": float64(s.step), "base_lr": s.Base,
		"warmup": float64(s.Warmup), "total": float64(s.Total), "min_ratio": s.MinRatio}}
}

// LoadState restores the position and parameters and sets the rate.
func (s *WarmupCosine) LoadState(st *State) error {
	if err := checkKind(st, "warmupcosine"); err != nil {
		return err
	}
	var step, base, w, t, r float64
	if err := st.scalars(map[string]*float64{"step": &step, "base_lr": &base, "warmup": &w, "total": &t, "min_ratio": &r}); err != nil {
		return err
	}
	s.step, s.Base, s.Warmup, s.Total, s.MinRatio = int(step), base, int(w), int(t), r
	s.opt.SetLR(s.Base * s.Factor(s.step))
	return nil
}

// PlateauConfig holds ReduceLROnPlateau's parameters (PyTorch's arguments;
// DefaultPlateau gives PyTorch's defaults).
type PlateauConfig struct {
	Max          bool    // mode "max" (a metric to increase, e.g. Dice); false = "min"
	Factor       float64 // new rate = rate * Factor, in (0, 1)
	Patience     int     // bad epochs tolerated before reducing
	Threshold    float64 // relative (or absolute) improvement that counts
	AbsThreshold bool    // threshold_mode "abs"; false = "rel"
	Cooldown     int     // epochs to wait after a reduction
	MinLR        float64 // floor of the rate
	Eps          float64 // reductions smaller than Eps are skipped
}

// DefaultPlateau returns PyTorch's defaults: mode min, factor 0.1, patience
// 10, threshold 1e-4 (rel), cooldown 0, min_lr 0, eps 1e-8.
func DefaultPlateau() PlateauConfig {
	return PlateauConfig{Factor: 0.1, Patience: 10, Threshold: 1e-4, Eps: 1e-8}
}

// ReduceLROnPlateau is torch.optim.lr_scheduler.ReduceLROnPlateau: after
// more than Patience epochs without improvement of the metric passed to
// Step, the rate is multiplied by Factor (not below MinLR), then Cooldown
// epochs pass before bad epochs count again. Improvement means
// metric < best*(1-Threshold) (min, rel), metric > best*(1+Threshold)
// (max, rel), or best -/+ Threshold in abs mode. A NaN metric is a bad epoch.
type ReduceLROnPlateau struct {
	opt       Optimizer
	cfg       PlateauConfig
	best      float64
	numBad    int
	cooldown  int
	lastEpoch int
}

// NewReduceLROnPlateau returns the schedule over opt. It panics unless
// 0 < Factor < 1.
func NewReduceLROnPlateau(opt Optimizer, cfg PlateauConfig) *ReduceLROnPlateau {
	if !(cfg.Factor > 0 && cfg.Factor < 1) || cfg.Patience < 0 || cfg.Cooldown < 0 {
		tensor.Panicf("optim", "NewReduceLROnPlateau: invalid config %+v", cfg)
	}
	s := &ReduceLROnPlateau{opt: opt, cfg: cfg, best: math.Inf(1)}
	if cfg.Max {
		s.best = math.Inf(-1)
	}
	return s
}

// better reports whether a improves on the best metric.
func (s *ReduceLROnPlateau) better(a float64) bool {
	c, best := s.cfg, s.best
	switch {
	case !c.Max && !c.AbsThreshold:
		return a < best*(1-c.Threshold)
	case !c.Max:
		return a < best-c.Threshold
	case !c.AbsThreshold:
		return a > best*(c.Threshold+1)
	}
	return a > best+c.Threshold
}

// Step records the epoch's metric and reduces the rate when it has
// plateaued. It reports whether the rate was reduced.
func (s *ReduceLROnPlateau) Step(metric float64) bool {
	s.lastEpoch++
	if s.better(metric) {
		s.best = metric
		s.numBad = 0
	} else {
		s.numBad++
	}
	if s.cooldown > 0 {
		s.cooldown--
		s.numBad = 0 // bad epochs in cooldown do not count
	}
	if s.numBad > s.cfg.Patience {
		s.cooldown = s.cfg.Cooldown
		s.numBad = 0
		old := s.opt.LR()
		lr := max(old*s.cfg.Factor, s.cfg.MinLR)
		if old-lr > s.cfg.Eps {
			s.opt.SetLR(lr)
			return true
		}
	}
	return false
}

// Best returns the best metric seen so far (+-Inf before the first Step).
func (s *ReduceLROnPlateau) Best() float64 { return s.best }

// State returns the counters, the best metric and the current rate.
func (s *ReduceLROnPlateau) State() *State {
	return &State{Kind: "plateau", Scalars: map[string]float64{"best": s.best, "num_bad_epochs": float64(s.numBad),
		"cooldown_counter": float64(s.cooldown), "last_epoch": float64(s.lastEpoch), "lr": s.opt.LR()}}
}

// LoadState restores the counters and sets the rate (the configuration is
// the constructor's).
func (s *ReduceLROnPlateau) LoadState(st *State) error {
	if err := checkKind(st, "plateau"); err != nil {
		return err
	}
	var best, bad, cd, e, lr float64
	if err := st.scalars(map[string]*float64{"best": &best, "num_bad_epochs": &bad, "cooldown_counter": &cd, "last_epoch": &e, "lr": &lr}); err != nil {
		return err
	}
	s.best, s.numBad, s.cooldown, s.lastEpoch = best, int(bad), int(cd), int(e)
	s.opt.SetLR(lr)
	return nil
}
