package nn

import (
	"runtime"
	"slices"
	"testing"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/tensor"
)

// smallNet is the benchmark network: conv-bn-relu-pool-conv-upsample-conv on
// channels-last input [N, H, W, 1].
func smallNet(rng *tensor.RNG) *Sequential {
	return NewSequential(
		NewConv2DLayer(rng, 1, 8, 3, 1, 1, true),
		NewBatchNorm2DLayer(8),
		NewReLULayer(),
		NewMaxPool2DLayer(2, 2, 0),
		NewConv2DLayer(rng, 8, 16, 3, 1, 1, true),
		NewUpsampleLayer("nearest"),
		NewConv2DLayer(rng, 16, 1, 3, 1, 1, true),
	)
}

// trainStep runs forward, a mean-squared loss, backward and an SGD update,
// and returns the loss. Gradients are zeroed first.
func trainStep(ex *Exec, net *Sequential, x, target *tensor.Tensor) float32 {
	ZeroGrad(net)
	out := net.Forward(ex.Input(x))
	d := Add(out, Scale(Const(target), -1))
	loss := Mean(Mul(d, d))
	loss.Backward()
	for _, p := range Parameters(net) {
		kernels.Axpy(p.Data.Data, -0.01, p.Grad.Data)
	}
	return loss.Item()
}

func TestArenaTrainStepMatchesHeap(t *testing.T) {
	rng := tensor.NewRNG(11)
	x, target := rng.Randn(2, 8, 8, 1), rng.Rand(2, 8, 8, 1)
	heapNet, arenaNet := smallNet(tensor.NewRNG(3)), smallNet(tensor.NewRNG(3))

	arena := NewArena()
	var sizes []int64
	for step := 0; step < 4; step++ {
		want := trainStep(nil, heapNet, x, target)
		got := trainStep(NewExec(nil, arena, true), arenaNet, x, target)
		arena.Release()
		sizes = append(sizes, arena.Bytes())
		if got != want {
			t.Errorf("step %d: loss %g with the arena, %g without", step, got, want)
		}
	}
	// Identical numbers means identical parameters after 4 steps, too.
	hp, ap := heapNet.NamedParameters(""), arenaNet.NamedParameters("")
	for i := range hp {
		if _, d, ok := tensor.MaxDiff(ap[i].Value.Data.Data, hp[i].Value.Data.Data, 0, 0); !ok {
			t.Errorf("%s differs by %g after 4 steps", hp[i].Name, d)
		}
	}
	if sizes[0] == 0 {
		t.Fatal("the arena handed out no memory")
	}
	// The first step writes parameter gradients straight into their fresh
	// heap buffers; later steps stage them in arena scratch to accumulate,
	// so the steady state starts at step 1.
	for i := 2; i < len(sizes); i++ {
		if sizes[i] != sizes[1] {
			t.Errorf("arena grew from %d to %d bytes at step %d: buffers are not reused", sizes[1], sizes[i], i)
		}
	}
	// Parameter gradients are heap memory and survive Release.
	for _, p := range ap {
		if p.Value.Grad == nil || len(p.Value.Grad.Data) != p.Value.Data.Numel() {
			t.Errorf("%s: gradient lost after Release", p.Name)
		}
	}
}

func TestArenaReuse(t *testing.T) {
	a := NewArena()
	b1 := a.Floats(10)
	b2 := a.Floats(10)
	if &b1[0] == &b2[0] {
		t.Fatal("two live buffers share memory")
	}
	i1 := a.Int32s(3)
	a.Release()
	c1, c2 := a.Floats(10), a.Floats(10)
	if !((&c1[0] == &b1[0] && &c2[0] == &b2[0]) || (&c1[0] == &b2[0] && &c2[0] == &b1[0])) {
		t.Error("Release did not recycle the float buffers")
	}
	if j := a.Int32s(3); &j[0] != &i1[0] {
		t.Error("Release did not recycle the int32 buffer")
	}
	if got := a.Bytes(); got != 4*(10+10+3) {
		t.Errorf("Bytes = %d, want %d", got, 4*23)
	}
	if d := a.Floats(11); len(d) != 11 || a.Bytes() != 4*(23+11) {
		t.Errorf("a new size: len %d, Bytes %d", len(d), a.Bytes())
	}
	a.Reset()
	if a.Bytes() != 0 {
		t.Errorf("Bytes after Reset = %d", a.Bytes())
	}
}

// TestArenaZeroedGrads: gradients drawn from recycled buffers must start at
// zero even though the buffers held the previous step's values.
func TestArenaZeroedGrads(t *testing.T) {
	a := NewArena()
	x := NewExec(nil, a, true).Param(tensor.FromData([]float32{1, -2, 3, 4}, 4))
	for step := 0; step < 3; step++ {
		x.ZeroGrad()
		y := ReLU(Scale(x, 2))
		s := Sum(Add(y, y))
		s.Backward()
		want := []float32{4, 0, 4, 4}
		for i, g := range x.Grad.Data {
			if g != want[i] {
				t.Fatalf("step %d: grad %v, want %v", step, x.Grad.Data, want)
			}
		}
		a.Release()
	}
}

// BenchmarkTrainStepSmallNet measures one training step (forward, loss,
// backward, SGD) of conv-bn-relu-pool-conv-upsample-conv on [4, 32, 32, 1]
// with and without an Arena. With it, B/op should be a small fraction of the
// step's activation memory, reported as arena-B.
func BenchmarkTrainStepSmallNet(b *testing.B) {
	for _, useArena := range []bool{false, true} {
		name := "arena=off"
		if useArena {
			name = "arena=on"
		}
		b.Run(name, func(b *testing.B) {
			rng := tensor.NewRNG(1)
			net := smallNet(rng)
			x, target := rng.Randn(4, 32, 32, 1), rng.Rand(4, 32, 32, 1)
			arena := NewArena()
			var ex *Exec
			if useArena {
				ex = NewExec(nil, arena, true)
			}
			step := func() {
				trainStep(ex, net, x, target)
				arena.Release()
			}
			step() // warm the pool and allocate parameter gradients
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				step()
			}
			if useArena {
				b.ReportMetric(float64(arena.Bytes()), "arena-B")
			}
			// Convolution FLOPs, 2*N*OutH*OutW*K*C*R*S per layer, times 3
			// for forward, backward-data and backward-weights (the first
			// layer's backward-data is skipped: its input needs no gradient).
			conv := func(oh, ow, k, c int) float64 { return 2 * 4 * float64(oh*ow*k*c*9) }
			flops := 2*conv(32, 32, 8, 1) + 3*conv(16, 16, 16, 8) + 3*conv(32, 32, 1, 16)
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// TestArenaSteadyStateAllocations: with an arena, a training step's heap
// allocations (graph bookkeeping and kernel scratch) must be a small
// fraction of its activation memory; without one they exceed it.
func TestArenaSteadyStateAllocations(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation measurement (not under -short or -race: the race detector makes kernel scratch pools drop buffers)")
	}
	rng := tensor.NewRNG(1)
	net := smallNet(rng)
	x, target := rng.Randn(4, 32, 32, 1), rng.Rand(4, 32, 32, 1)
	arena := NewArena()
	perStep := func(useArena bool) float64 {
		var ex *Exec
		if useArena {
			ex = NewExec(nil, arena, true)
		}
		step := func() {
			trainStep(ex, net, x, target)
			arena.Release()
		}
		// Steady state: parameter grads exist, the kernels' pools are warm
		// (after concurrent tests they may need a few steps to settle).
		for range 6 {
			step()
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		const steps = 5
		for i := 0; i < steps; i++ {
			step()
		}
		runtime.ReadMemStats(&after)
		return float64(after.TotalAlloc-before.TotalAlloc) / steps
	}
	heap := perStep(false)
	pooled := perStep(true)
	act := float64(arena.Bytes())
	t.Logf("bytes per step: %.0f without arena, %.0f with; arena holds %.0f", heap, pooled, act)
	if heap < act {
		t.Errorf("without the arena a step allocates %.0f bytes, less than its %.0f bytes of activations: the measurement is broken", heap, act)
	}
	if pooled > 0.25*act {
		t.Errorf("with the arena a step still allocates %.0f bytes, more than a quarter of the %.0f bytes it pools", pooled, act)
	}
}

func TestAlloc(t *testing.T) {
	var heap *Exec
	if got := heap.AllocZero(2, 3); !tensor.SameShape(got.Shape, []int{2, 3}) || len(got.Data) != 6 {
		t.Fatalf("heap AllocZero: %v", got)
	}
	a := NewArena()
	ex := NewExec(nil, a, true)
	x := ex.Alloc(4, 5)
	x.Fill(7)
	if a.Bytes() != 4*20 || !tensor.SameShape(x.Shape, []int{4, 5}) {
		t.Fatalf("arena Alloc: shape %v, arena bytes %d", x.Shape, a.Bytes())
	}
	a.Release()
	z := ex.AllocZero(4, 5) // the recycled buffer, which held 7s
	if a.Bytes() != 4*20 {
		t.Errorf("AllocZero after Release grew the arena to %d bytes", a.Bytes())
	}
	for _, v := range z.Data {
		if v != 0 {
			t.Fatal("AllocZero returned a non-zero recycled buffer")
		}
	}
}

// countingScratch is the arena as kernel scratch source, counting requests.
type countingScratch struct {
	*arenaScratch
	gets, recycles int
}

func (c *countingScratch) FreeFloats(n int) []float32 {
	b := c.arenaScratch.FreeFloats(n)
	if b != nil {
		c.gets++
	}
	return b
}
func (c *countingScratch) Recycle(b []float32) { c.recycles++; c.arenaScratch.Recycle(b) }

// TestArenaKernelScratch: a pass with an arena is the kernels' source of
// big scratch buffers (ConvParams.Scratch); convolutions whose scratch
// comes from the ranges free in the arena, between live activations and
// gradients, give exactly the heap's results, step after step, and every
// scratch buffer goes back before the op returns.
func TestArenaKernelScratch(t *testing.T) {
	a := NewArena()
	if got := NewExec(nil, a, true).Scratch(); got != (*arenaScratch)(a) {
		t.Fatalf("an Exec's kernel scratch source is %v, want its arena", got)
	}
	if got := NewExec(nil, nil, true).Scratch(); got != nil {
		t.Fatalf("an Exec without an arena gives %v as kernel scratch source", got)
	}

	rng := tensor.NewRNG(5)
	// 64 channels at 2x64x64: backward-weights copies its 2 MiB input.
	x := rng.Randn(2, 64, 64, 64)
	w1, w2 := Param(rng.Randn(64, 64, 3, 3)), Param(rng.Randn(32, 64, 3, 3))
	step := func(ex *Exec) (float32, []float32, []float32) {
		w1.ZeroGrad()
		w2.ZeroGrad()
		h := ReLU(Conv2D(ex.Input(x), w1, nil, 1, 1, 1))
		loss := Mean(Conv2D(h, w2, nil, 1, 1, 1))
		loss.Backward()
		return loss.Item(), slices.Clone(w1.Grad.Data), slices.Clone(w2.Grad.Data)
	}
	var requests int
	for _, impl := range kernels.Available() {
		err := kernels.Use(impl, func() {
			wantL, want1, want2 := step(nil)
			arena := NewArena()
			var sizes []int64
			for s := range 3 {
				cs := &countingScratch{arenaScratch: (*arenaScratch)(arena)}
				ex := NewExec(nil, arena, true)
				ex.scratch = cs
				l, g1, g2 := step(ex)
				arena.Release()
				sizes = append(sizes, arena.Bytes())
				if l != wantL || !slices.Equal(g1, want1) || !slices.Equal(g2, want2) {
					t.Errorf("impl=%s step %d: loss or gradients differ from the heap's with kernel scratch in the arena", impl, s)
				}
				if cs.gets != cs.recycles {
					t.Errorf("impl=%s step %d: %d scratch buffers taken from the arena, %d given back", impl, s, cs.gets, cs.recycles)
				}
				requests += cs.gets
			}
			if sizes[2] != sizes[1] {
				t.Errorf("impl=%s: arena grew from %d to %d bytes in a steady state", impl, sizes[1], sizes[2])
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d big scratch requests served by the arena", requests)
	if requests == 0 && len(kernels.Available()) > 1 {
		t.Error("no kernel took scratch from the arena: the SIMD backward-weights copy of a 2 MiB input should")
	}
}
