package tensor

import (
	"math"
	"math/rand/v2"
)

// RNG is a deterministic random source (PCG) for initialisation, dropout and
// data augmentation. The same seed gives the same sequence on every platform.
type RNG struct {
	r *rand.Rand
}

// NewRNG returns an RNG seeded with seed.
func NewRNG(seed uint64) *RNG {
	return &RNG{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Float32 returns a uniform value in [0, 1).
func (g *RNG) Float32() float32 { return g.r.Float32() }

// Float64 returns a uniform value in [0, 1).
func (g *RNG) Float64() float64 { return g.r.Float64() }

// Uniform returns a uniform value in [lo, hi).
func (g *RNG) Uniform(lo, hi float64) float32 { return float32(lo + (hi-lo)*g.r.Float64()) }

// Normal returns a standard normal value.
func (g *RNG) Normal() float32 { return float32(g.r.NormFloat64()) }

// IntN returns a uniform int in [0, n).
func (g *RNG) IntN(n int) int { return g.r.IntN(n) }

// Uint64 returns a uniform 64-bit value.
func (g *RNG) Uint64() uint64 { return g.r.Uint64() }

// Perm returns a random permutation of [0, n).
func (g *RNG) Perm(n int) []int { return g.r.Perm(n) }

// FillUniform fills t with uniform values in [lo, hi).
func (g *RNG) FillUniform(t *Tensor, lo, hi float64) {
	for i := range t.Data {
		t.Data[i] = g.Uniform(lo, hi)
	}
}

// FillNormal fills t with normal values of the given mean and standard deviation.
func (g *RNG) FillNormal(t *Tensor, mean, std float64) {
	for i := range t.Data {
		t.Data[i] = float32(mean + std*g.r.NormFloat64())
	}
}

// Randn returns a tensor of standard normal values.
func (g *RNG) Randn(shape ...int) *Tensor {
	t := New(shape...)
	g.FillNormal(t, 0, 1)
	return t
}

// Rand returns a tensor of uniform values in [0, 1).
func (g *RNG) Rand(shape ...int) *Tensor {
	t := New(shape...)
	g.FillUniform(t, 0, 1)
	return t
}

// FanIn returns the fan-in of a weight tensor as PyTorch computes it:
// shape[1] times the product of shape[2:] (the receptive field).
func FanIn(shape []int) int {
	if len(shape) < 2 {
		Panicf("tensor", "FanIn: weight needs at least 2 dims, got %v", shape)
	}
	f := shape[1]
	for _, d := range shape[2:] {
		f *= d
	}
	return f
}

// FanOut returns shape[0] times the receptive field, as PyTorch does.
func FanOut(shape []int) int {
	if len(shape) < 2 {
		Panicf("tensor", "FanOut: weight needs at least 2 dims, got %v", shape)
	}
	f := shape[0]
	for _, d := range shape[2:] {
		f *= d
	}
	return f
}

// KaimingUniform fills w like torch.nn.init.kaiming_uniform_(w, a=a) with
// mode fan_in and leaky_relu gain: bound = sqrt(6 / ((1 + a^2) * fanIn)).
// PyTorch's Conv2DLayer and Linear call it with a = sqrt(5), giving 1/sqrt(fanIn).
func (g *RNG) KaimingUniform(w *Tensor, a float64) {
	fan := float64(FanIn(w.Shape))
	gain := math.Sqrt(2 / (1 + a*a))
	bound := gain * math.Sqrt(3/fan)
	g.FillUniform(w, -bound, bound)
}

// KaimingNormal fills w like torch.nn.init.kaiming_normal_(w, mode="fan_out",
// nonlinearity="relu"), torchvision's ResNet initialisation when fanOut is
// true, or with mode fan_in otherwise.
func (g *RNG) KaimingNormal(w *Tensor, fanOut bool) {
	fan := FanIn(w.Shape)
	if fanOut {
		fan = FanOut(w.Shape)
	}
	g.FillNormal(w, 0, math.Sqrt(2)/math.Sqrt(float64(fan)))
}

// BiasUniform fills b with PyTorch's default bias initialisation for a layer
// whose weight has the given fan-in: uniform in [-1/sqrt(fanIn), 1/sqrt(fanIn)].
func (g *RNG) BiasUniform(b *Tensor, fanIn int) {
	bound := 0.0
	if fanIn > 0 {
		bound = 1 / math.Sqrt(float64(fanIn))
	}
	g.FillUniform(b, -bound, bound)
}
