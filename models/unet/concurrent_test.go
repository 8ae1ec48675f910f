package unet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/optim"
	"github.com/lungo-ml/lungo/tensor"
)

// The concurrency tests run under -race in .ci/run (go test -race -run
// Concurrent ./models/unet), with the SIMD kernels and with
// LUNGO_KERNELS=generic. Small models keep them to seconds under the race
// detector; the code paths are the full model's.

// concurrentModels returns two different small models (one with a
// classification head and two classes, and an input that is not a multiple
// of 32) in evaluation-ready state, and four inputs for each.
func concurrentModels(t *testing.T) (models [2]*Model, inputs [2][]*tensor.Tensor) {
	t.Helper()
	cfgs := [2]Config{
		{Encoder: "resnet18", InChannels: 1, Classes: 1, DecoderChannels: []int{32, 16, 16, 8, 8}},
		{Encoder: "resnet18", InChannels: 1, Classes: 2, DecoderChannels: []int{16, 16, 16, 16, 16}, Attention: "scse", ClassHead: 1},
	}
	shapes := [2][]int{{1, 1, 32, 32}, {2, 1, 40, 24}}
	rng := tensor.NewRNG(42)
	for i, cfg := range cfgs {
		m, err := New(cfg, rng)
		if err != nil {
			t.Fatal(err)
		}
		perturbBNStats(m, rng) // eval mode then differs from a plain forward
		models[i] = m
		for range 4 {
			inputs[i] = append(inputs[i], rng.Randn(shapes[i]...))
		}
	}
	return models, inputs
}

// perturbBNStats gives every batch norm non-trivial running statistics.
func perturbBNStats(m *Model, rng *tensor.RNG) {
	for _, b := range m.NamedBuffers("") {
		if b.Int64 {
			continue
		}
		for i := range b.Tensor.Data {
			if strings.HasSuffix(b.Name, "running_var") {
				b.Tensor.Data[i] = 0.5 + rng.Float32()
			} else {
				b.Tensor.Data[i] = 0.1 * (rng.Float32() - 0.5)
			}
		}
	}
}

// predictAll returns m's masks and class probabilities for every input.
func predictAll(t *testing.T, m *Model, xs []*tensor.Tensor) (masks, classes [][]float32) {
	t.Helper()
	for _, x := range xs {
		mask, class, err := m.PredictAll(x)
		if err != nil {
			t.Fatal(err)
		}
		masks = append(masks, mask.Data)
		if class != nil {
			classes = append(classes, class.Data)
		} else {
			classes = append(classes, nil)
		}
	}
	return masks, classes
}

// TestConcurrentPredictBitIdentical: 8 goroutines, on 2 different models,
// 25 calls each, every output bit-identical to the serial one. Six
// goroutines predict on replicas of their own; two share the original
// models (their calls take turns).
func TestConcurrentPredictBitIdentical(t *testing.T) {
	models, inputs := concurrentModels(t)
	var wantMask, wantClass [2][][]float32
	for i := range models {
		wantMask[i], wantClass[i] = predictAll(t, models[i], inputs[i])
	}
	const goroutines, calls = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*calls)
	for g := range goroutines {
		mi := g % 2
		m := models[mi]
		if g < 6 {
			m = m.Replica()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range calls {
				k := (g + c) % len(inputs[mi])
				mask, class, err := m.PredictAll(inputs[mi][k])
				switch {
				case err != nil:
					errs <- err
				case !slices.Equal(mask.Data, wantMask[mi][k]):
					errs <- fmt.Errorf("goroutine %d call %d: model %d input %d: mask differs from the serial prediction", g, c, mi, k)
				case class != nil && !slices.Equal(class.Data, wantClass[mi][k]):
					errs <- fmt.Errorf("goroutine %d call %d: model %d input %d: class probabilities differ", g, c, mi, k)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 5 {
			t.Error(err)
		}
	}
	if n > 5 {
		t.Errorf("... %d failures in all", n)
	}
}

// TestConcurrentTrainWhilePredicting: one goroutine trains a model while
// four predict on replicas of a clone taken before; the predictions equal
// the replicas' serial ones, the training changes the model and not the
// clone, and the training steps give the losses they give alone.
func TestConcurrentTrainWhilePredicting(t *testing.T) {
	models, inputs := concurrentModels(t)
	m := models[0]
	snap := m.Clone()
	want, _ := predictAll(t, snap.Replica(), inputs[0])

	rng := tensor.NewRNG(7)
	x := rng.Randn(2, 1, 64, 64)
	y := tensor.New(2, 1, 64, 64) // 2x2 deepest maps: batch norm trains
	for i := range y.Data {
		if rng.Float32() < 0.2 {
			y.Data[i] = 1
		}
	}
	train := func(m *Model, steps int) []float32 {
		m.SetTraining(true)
		opt := optim.NewAdam(nn.Parameters(m), optim.DefaultAdam(1e-3))
		ex := nn.NewExec(context.Background(), nn.NewArena(), true)
		var losses []float32
		for range steps {
			if err := kernels.Acquire(context.Background()); err != nil {
				t.Error(err)
				return nil
			}
			opt.ZeroGrad()
			mask, _ := m.Forward(ex.Input(x))
			loss := nn.BCEWithLogits(mask, y, nil)
			loss.Backward()
			losses = append(losses, loss.Item())
			opt.Step()
			ex.Arena().Release()
			kernels.Release()
		}
		return losses
	}
	alone := train(snap.Clone(), 3) // the same start, trained with nothing else running

	var wg sync.WaitGroup
	var losses []float32
	wg.Add(1)
	go func() {
		defer wg.Done()
		losses = train(m, 3)
	}()
	var bad atomic.Int32
	for g := range 4 {
		r := snap.Replica()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range 6 {
				k := (g + c) % len(inputs[0])
				got, err := r.Predict(inputs[0][k])
				if err != nil || !slices.Equal(got.Data, want[k]) {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := bad.Load(); n > 0 {
		t.Errorf("%d of 24 predictions on replicas differ from the serial ones while training ran", n)
	}
	if !slices.Equal(losses, alone) {
		t.Errorf("training losses %v while others predicted, %v alone", losses, alone)
	}
	after, _ := predictAll(t, snap, inputs[0])
	for k := range after {
		if !slices.Equal(after[k], want[k]) {
			t.Fatal("training the original changed its clone")
		}
	}
	if moved, _ := predictAll(t, m, inputs[0][:1]); slices.Equal(moved[0], want[0]) {
		t.Error("the trained model predicts what it did before training")
	}
}

// cancelAfter is a context that is done from its n-th Err call on: it
// cancels a pass at a fixed operation, mid-way.
type cancelAfter struct {
	context.Context
	n, calls atomic.Int32
}

func (c *cancelAfter) Err() error {
	if c.calls.Add(1) >= c.n.Load() {
		return context.Canceled
	}
	return nil
}

// TestConcurrentPredictCancel: a context cancelled mid-predict returns its
// error, and the model then predicts exactly what it did before, with no
// arena memory left in use; a context that expires while the call waits
// for a compute slot returns DeadlineExceeded.
func TestConcurrentPredictCancel(t *testing.T) {
	models, inputs := concurrentModels(t)
	m := models[1]
	want, wantClass := predictAll(t, m, inputs[1])
	mode := m.Training()
	for _, after := range []int32{1, 5, 40} {
		ctx := &cancelAfter{Context: context.Background()}
		ctx.n.Store(after)
		_, err := m.PredictContext(ctx, inputs[1][0])
		if !errors.Is(err, context.Canceled) || !errors.Is(err, nn.ErrCanceled) {
			t.Fatalf("cancelled after %d checks: err = %v, want context.Canceled", after, err)
		}
		if m.Training() != mode {
			t.Fatal("a cancelled Predict did not restore the model's mode")
		}
		got, gotClass := predictAll(t, m, inputs[1])
		for k := range got {
			if !slices.Equal(got[k], want[k]) || !slices.Equal(gotClass[k], wantClass[k]) {
				t.Fatalf("after a cancelled call, input %d predicts differently", k)
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.PredictContext(ctx, inputs[1][0]); !errors.Is(err, context.Canceled) {
		t.Errorf("an already cancelled context: err = %v", err)
	}

	// Hold every compute slot: a call must wait, then give up at its deadline.
	held := kernels.Threads()
	for range held {
		if err := kernels.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := m.PredictContext(ctx, inputs[1][0])
	for range held {
		kernels.Release()
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting for a compute slot past the deadline: err = %v", err)
	}
	if got, _ := predictAll(t, m, inputs[1][:1]); !slices.Equal(got[0], want[0]) {
		t.Error("after a call that timed out waiting, the model predicts differently")
	}
}
