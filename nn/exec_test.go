package nn

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// TestConcurrentExecs: passes in several goroutines, each with an Exec of
// its own (arena or heap, with or without the graph, training steps
// included), give exactly the results they give alone: nothing one pass
// sets is seen by another.
func TestConcurrentExecs(t *testing.T) {
	rng := tensor.NewRNG(4)
	net := smallNet(rng)
	net.SetTraining(false)
	x := rng.Randn(2, 16, 16, 1)
	want := net.Forward(Const(x)).Data.Clone()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ex *Exec
			switch g % 3 {
			case 0:
				ex = NewExec(context.Background(), NewArena(), false)
			case 1:
				ex = NewExec(nil, NewArena(), true)
			}
			for range 10 {
				y := net.Forward(ex.Input(x))
				if !slices.Equal(y.Data.Data, want.Data) {
					errs <- "a concurrent pass gave another result"
				}
				if (y.backward != nil) != ex.Grad() {
					// parameters require grad: recording passes keep a graph
					errs <- "a pass recorded a graph against its Exec's mode"
				}
				if a := ex.Arena(); a != nil {
					a.Release()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// TestExecRun: a cancelled context stops a pass at its next operation and
// Run returns the context's error; other panics pass through.
func TestExecRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ex := NewExec(ctx, NewArena(), false)
	x := ex.Input(tensor.Full(1, 4))
	ran := 0
	err := ex.Run(func() {
		y := ReLU(x)
		ran++
		cancel()
		ReLU(y) // stops here
		ran++
	})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrCanceled) || ran != 1 {
		t.Fatalf("err %v after %d ops, want context.Canceled after 1", err, ran)
	}
	defer func() {
		if r := recover(); r != "boom" {
			t.Errorf("recovered %v, want the pass's own panic", r)
		}
	}()
	_ = NewExec(nil, nil, false).Run(func() { panic("boom") })
}
