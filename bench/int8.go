package bench

import (
	"context"
	"fmt"

	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/tensor"
)

// UnetInferCaseInt8 times unet.Int8Model.Predict on a random image (the
// same model and image as UnetInferCase), calibrated (min-max) on a
// 64x64 random image: the ranges change the values, not the work, and a
// float32 pass at the full size would set the peak resident memory the
// case reports.
func UnetInferCaseInt8(encoder string, batch, size int) Case {
	return Case{Op: "unet-" + encoder + " infer int8", Shape: fmt.Sprintf("bs%d 1x%dx%d", batch, size, size),
		Flops: unetFlops(batch, size),
		Setup: func() func() {
			m := newUnet(encoder)
			m.SetTraining(false)
			x := tensor.NewRNG(2).Randn(batch, 1, size, size)
			cal, err := unet.Calibrate(context.Background(), m, []*tensor.Tensor{tensor.NewRNG(3).Randn(1, 1, 64, 64)}, unet.MinMax)
			if err != nil {
				panic("bench: " + err.Error())
			}
			q, err := unet.NewInt8(m, cal)
			if err != nil {
				panic("bench: " + err.Error())
			}
			return func() {
				if _, err := q.Predict(x); err != nil {
					panic("bench: " + err.Error())
				}
			}
		}}
}
