package optim_test

import (
	"fmt"

	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/optim"
	"github.com/lungo-ml/lungo/tensor"
)

// Minimise (w-3)^2 with AdamW and a warm-up + cosine schedule (PyTorch
// with the same LambdaLR factor prints the same).
func ExampleNewAdamW() {
	w := nn.Param(tensor.FromData([]float32{0}, 1))
	opt := optim.NewAdamW([]*nn.Value{w}, optim.DefaultAdamW(0.5))
	sched := optim.NewWarmupCosine(opt, 5, 100, 0.01)
	for range 100 {
		opt.ZeroGrad()
		w.GradTensor().Data[0] = 2 * (w.Data.Data[0] - 3) // d/dw (w-3)^2
		optim.ClipGradNorm([]*nn.Value{w}, 1)
		opt.Step()
		sched.Step()
	}
	fmt.Printf("w = %.3f, lr = %.4f\n", w.Data.Data[0], opt.LR())
	// Output: w = 2.998, lr = 0.0050
}
