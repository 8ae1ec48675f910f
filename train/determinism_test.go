package train

import (
	"context"
	"math"
	"testing"

	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/optim"
	"github.com/lungo-ml/lungo/tensor"
)

// detRun trains a U-Net-ResNet18 (smp's decoder widths) with Fit for one
// epoch of 3 steps on 64x64 synthetic images, batch 2, augmented, AdamW
// with warm-up + cosine, BCE + soft Dice, on the given number of kernel
// threads, and returns its state dict (parameters and batch-norm
// statistics).
func detRun(t *testing.T, threads int) *nn.StateDict {
	t.Helper()
	old := kernels.Threads()
	kernels.SetThreads(threads)
	defer kernels.SetThreads(old)
	const size = 64
	src := newMemSource(6, size, 500)
	m, err := unet.New(unet.Config{Encoder: "resnet18", InChannels: 1, Classes: 1}, tensor.NewRNG(11))
	if err != nil {
		t.Fatal(err)
	}
	opt := optim.NewAdamW(nn.Parameters(m), optim.DefaultAdamW(1e-3))
	aug := siim.DefaultAugment()
	job := &Job{
		Model: m, Opt: opt,
		StepSchedule: optim.NewWarmupCosine(opt, 1, 3, 0.1),
		Train:        siim.NewLoader(src, siim.LoaderConfig{Size: size, Batch: 2, Workers: 2, Seed: 5, Augment: &aug}),
		TrainIdx:     []int{0, 1, 2, 3, 4, 5},
	}
	if _, err := Fit(context.Background(), job, Config{Dir: t.TempDir(), Epochs: 1, Seed: 9}); err != nil {
		t.Fatal(err)
	}
	return m.StateDict()
}

// TestDeterministicAcrossThreads is the deterministic training mode's end-to-end
// check (see the package doc): the same seed and data give bit-identical
// weights and batch-norm statistics run after run, and on 1 and 2 kernel
// threads.
func TestDeterministicAcrossThreads(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a U-Net-ResNet18 three steps, three times")
	}
	a := detRun(t, 1)
	b := detRun(t, 1)
	c := detRun(t, 2)
	sameWeights(t, "1 thread, second run", b, a)
	sameWeights(t, "2 threads", c, a)
}

// sameWeights fails t unless got holds want's keys with bit-identical
// values, naming the first tensors that differ.
func sameWeights(t *testing.T, what string, got, want *nn.StateDict) {
	t.Helper()
	if got.Len() != want.Len() {
		t.Fatalf("%s: %d tensors, want %d", what, got.Len(), want.Len())
	}
	bad := 0
	for _, k := range want.Keys {
		g, w := got.Tensors[k].Data, want.Tensors[k].Data
		for i := range w {
			if math.Float32bits(g[i]) != math.Float32bits(w[i]) {
				if bad < 10 {
					t.Errorf("%s: %s[%d] = %v, want %v", what, k, i, g[i], w[i])
				}
				bad++
				break
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d tensors differ", what, bad, want.Len())
	}
}
