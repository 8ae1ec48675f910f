package optim

import (
	"math"
	"testing"

	"github.com/lungo-ml/lungo/internal/golden"
	"github.com/lungo-ml/lungo/nn"
)

// scheduleCase builds a schedule over an SGD optimizer with rate lr and
// returns a function advancing it once with the k-th metric.
type scheduleCase struct {
	lr   float64
	make func(o Optimizer) (step func(k int), state func() *State, load func(*State) error)
}

func scheduleCases(g *golden.File) map[string]scheduleCase {
	metric := func(name string) func(k int) float64 {
		m := g.Get(name + ".metrics").Data
		return func(k int) float64 { return float64(m[k]) }
	}
	return map[string]scheduleCase{
		"steplr": {0.1, func(o Optimizer) (func(int), func() *State, func(*State) error) {
			s := NewStepLR(o, 3, 0.5)
			return func(int) { s.Step() }, s.State, s.LoadState
		}},
		"cosine": {0.3, func(o Optimizer) (func(int), func() *State, func(*State) error) {
			s := NewWarmupCosine(o, 3, 10, 0.05)
			return func(int) { s.Step() }, s.State, s.LoadState
		}},
		"cosine_nowarm": {0.01, func(o Optimizer) (func(int), func() *State, func(*State) error) {
			s := NewWarmupCosine(o, 0, 7, 0)
			return func(int) { s.Step() }, s.State, s.LoadState
		}},
		"plateau_min": {1.0, func(o Optimizer) (func(int), func() *State, func(*State) error) {
			c := DefaultPlateau()
			c.Factor, c.Patience, c.Threshold, c.Cooldown, c.MinLR = 0.5, 2, 0.05, 1, 0.2
			s, m := NewReduceLROnPlateau(o, c), metric("plateau_min")
			return func(k int) { s.Step(m(k)) }, s.State, s.LoadState
		}},
		"plateau_max": {0.1, func(o Optimizer) (func(int), func() *State, func(*State) error) {
			c := DefaultPlateau()
			c.Max, c.Factor, c.Patience, c.Threshold, c.AbsThreshold = true, 0.1, 1, 0.02, true
			s, m := NewReduceLROnPlateau(o, c), metric("plateau_max")
			return func(k int) { s.Step(m(k)) }, s.State, s.LoadState
		}},
	}
}

// TestSchedulesGolden compares each schedule's learning rates (at
// construction and after every Step) with PyTorch's StepLR, LambdaLR (with
// WarmupCosine's factor) and ReduceLROnPlateau: rtol 1e-6 (stored as float32).
func TestSchedulesGolden(t *testing.T) {
	g := loadGold(t)
	for name, c := range scheduleCases(g) {
		t.Run(name, func(t *testing.T) {
			want := g.Get(name + ".lrs").Data
			o := NewSGD(nil, SGDConfig{LR: c.lr})
			step, _, _ := c.make(o)
			for k := range want {
				if k > 0 {
					step(k - 1)
				}
				if w := float64(want[k]); math.Abs(o.LR()-w) > 1e-6*w+1e-12 {
					t.Errorf("lr after %d steps = %.9g, want %.9g", k, o.LR(), w)
				}
			}
		})
	}
}

// TestScheduleResume saves each schedule half-way through (via Encode and
// DecodeState) and checks a fresh one loaded from it continues identically.
func TestScheduleResume(t *testing.T) {
	g := loadGold(t)
	for name, c := range scheduleCases(g) {
		t.Run(name, func(t *testing.T) {
			n := len(g.Get(name+".lrs").Data) - 1
			ref := NewSGD(nil, SGDConfig{LR: c.lr})
			refStep, _, _ := c.make(ref)
			var want []float64
			for k := range n {
				refStep(k)
				want = append(want, ref.LR())
			}
			o := NewSGD(nil, SGDConfig{LR: c.lr})
			step, state, _ := c.make(o)
			half := n / 2
			for k := range half {
				step(k)
			}
			sd, meta := nn.NewStateDict(), map[string]string{}
			state().Encode("sched.", sd, meta)
			st, err := DecodeState("sched.", sd, meta)
			if err != nil {
				t.Fatal(err)
			}
			o2 := NewSGD(nil, SGDConfig{LR: c.lr})
			step2, _, load := c.make(o2)
			if err := load(st); err != nil {
				t.Fatal(err)
			}
			for k := half; k < n; k++ {
				step2(k)
				if o2.LR() != want[k] {
					t.Fatalf("step %d: resumed lr %g, uninterrupted %g", k, o2.LR(), want[k])
				}
			}
		})
	}
}

// TestWarmupCosineShape checks the documented closed form at its corners.
func TestWarmupCosineShape(t *testing.T) {
	s := NewWarmupCosine(NewSGD(nil, SGDConfig{LR: 2}), 4, 12, 0.1)
	for _, c := range []struct {
		step int
		want float64
	}{{0, 0.25}, {3, 1}, {4, 1}, {8, 0.1 + 0.9*0.5}, {12, 0.1}, {100, 0.1}} {
		if got := s.Factor(c.step); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("f(%d) = %g, want %g", c.step, got, c.want)
		}
	}
	if s.opt.LR() != 0.5 {
		t.Errorf("rate at construction %g, want base*f(0) = 0.5", s.opt.LR())
	}
}
