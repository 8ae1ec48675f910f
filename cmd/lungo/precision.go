package main

import (
	"fmt"
	"io"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/models/unet"
)

// newPredictor returns m's predictor in precision p, saying on log when
// bf16 runs without the CPU's BF16 instructions (the generic Go kernel:
// correct, but several times slower than float32).
func newPredictor(m *unet.Model, p unet.Precision, log io.Writer) (unet.Predictor, error) {
	if p == unet.BF16 && !kernels.BF16Accelerated() {
		fmt.Fprintln(log, "lungo: this CPU (or LUNGO_KERNELS) has no AVX-512 BF16: bf16 runs the generic Go kernel, much slower than -precision fp32")
	}
	return unet.NewPredictor(m, p)
}
