package main

import (
	"fmt"
	"io"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/models/unet"
)

// newPredictor returns m's predictor in precision p, saying on log when
// bf16 or int8 runs without the CPU's instructions (the generic Go kernel:
// correct, but several times slower than float32). int8 takes its
// calibration from the checkpoint weights (made by lungo quantize).
func newPredictor(m *unet.Model, p unet.Precision, weights string, log io.Writer) (unet.Predictor, error) {
	warnGeneric(p, log)
	if p == unet.Int8 {
		cal, err := unet.ReadCalibration(weights)
		if err != nil {
			return nil, err
		}
		return unet.NewInt8(m, cal)
	}
	return unet.NewPredictor(m, p)
}

// warnGeneric says on log when precision p runs without the CPU's
// instructions (the generic Go kernel: correct, but several times slower
// than float32).
func warnGeneric(p unet.Precision, log io.Writer) {
	switch {
	case p == unet.BF16 && !kernels.BF16Accelerated():
		fmt.Fprintln(log, "lungo: this CPU (or LUNGO_KERNELS) has no AVX-512 BF16: bf16 runs the generic Go kernel, much slower than -precision fp32")
	case p == unet.Int8 && !kernels.Int8Accelerated():
		fmt.Fprintln(log, "lungo: this CPU (or LUNGO_KERNELS) has no AVX-512 VNNI: int8 runs the generic Go kernel, much slower than -precision fp32")
	}
}
