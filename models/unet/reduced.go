package unet

import (
	"context"
	"fmt"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// reducedRun is what BF16Model and Int8Model share around their forward
// passes: one call at a time per replica (turn), activation memory (arena)
// kept between calls, and Model.PredictContext's contract for the input's
// shape, cancellation and compute slots.
type reducedRun struct {
	inChannels int
	turn       chan struct{}
}

func newReducedRun(inChannels int) reducedRun {
	return reducedRun{inChannels: inChannels, turn: make(chan struct{}, 1)}
}

// predict checks x, waits for the turn and a compute slot (giving up when
// ctx is done), runs forward and gives its activations back to arena.
func (r reducedRun) predict(ctx context.Context, arena *nn.Arena, x *tensor.Tensor, forward func(context.Context, *tensor.Tensor) (*tensor.Tensor, error)) (*tensor.Tensor, error) {
	s := x.Shape
	if len(s) != 4 || s[1] != r.inChannels || s[0] < 1 || s[2] < 1 || s[3] < 1 {
		return nil, fmt.Errorf("unet: Predict: input of shape %v, want [N, %d, H, W] (NCHW)", s, r.inChannels)
	}
	select {
	case r.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("unet: Predict: %w", ctx.Err())
	}
	defer func() { <-r.turn }()
	if err := kernels.Acquire(ctx); err != nil {
		return nil, fmt.Errorf("unet: Predict: waiting for a compute slot: %w", err)
	}
	defer kernels.Release()
	y, err := forward(ctx, x)
	arena.Release()
	if err != nil {
		return nil, fmt.Errorf("unet: Predict: %w", err)
	}
	return y, nil
}

// reset drops the arena's buffers, in turn with predict.
func (r reducedRun) reset(arena *nn.Arena) {
	r.turn <- struct{}{}
	arena.Reset()
	<-r.turn
}
