package bench

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lungo-ml/lungo/internal/asm"
	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/tensor"
)

// Reduced-precision inference cases and the bf16 peak.

var (
	bf16PeakOnce sync.Once
	bf16PeakVal  float64
)

// BF16Peak returns the measured single-core bf16 dot-product peak in
// GFLOP/s (VDPBF16PS: 2 products and 2 additions per float32 lane), timed
// like Peak, or 0 where the kernels do not run AVX-512 BF16.
func BF16Peak() float64 {
	bf16PeakOnce.Do(func() {
		if !kernels.BF16Accelerated() {
			return
		}
		const n = 1 << 17
		var byCPU []float64
		for i := 0; i < 20; i++ {
			c0, cok := processCPU()
			t0 := time.Now()
			flops := asm.DPBF16Loop(n)
			d := time.Since(t0)
			c1, _ := processCPU()
			bf16PeakVal = max(bf16PeakVal, float64(flops)/d.Seconds()/1e9)
			if cok && c1 > c0 {
				byCPU = append(byCPU, float64(flops)/(c1-c0).Seconds()/1e9)
			}
		}
		wall := bf16PeakVal
		for _, g := range byCPU {
			if g <= 1.1*wall {
				bf16PeakVal = max(bf16PeakVal, g)
			}
		}
	})
	return bf16PeakVal
}

// ModelCasesPrecision returns the model suite's inference cases in each of
// precisions ("fp32", "bf16", "int8"), the precisions of one size next to each
// other, and the training cases when fp32 is among them.
func ModelCasesPrecision(precisions []string) ([]Case, error) {
	var cs []Case
	for _, s := range []int{256, 512, 1024} {
		for _, p := range precisions {
			switch p {
			case "fp32":
				cs = append(cs, UnetInferCase("resnet34", 1, s))
			case "bf16":
				cs = append(cs, UnetInferCaseBF16("resnet34", 1, s))
			case "int8":
				cs = append(cs, UnetInferCaseInt8("resnet34", 1, s))
			default:
				return nil, fmt.Errorf("bench: precision %q, want fp32, bf16 or int8", p)
			}
		}
	}
	if strings.Contains(","+strings.Join(precisions, ",")+",", ",fp32,") {
		cs = append(cs, UnetTrainCase("resnet34", 4, 256), UnetTrainCase("resnet34", 2, 512))
	}
	return cs, nil
}

// UnetInferCaseBF16 times unet.BF16Model.Predict on a random image (the
// same model and image as UnetInferCase).
func UnetInferCaseBF16(encoder string, batch, size int) Case {
	return Case{Op: "unet-" + encoder + " infer bf16", Shape: fmt.Sprintf("bs%d 1x%dx%d", batch, size, size),
		Flops: unetFlops(batch, size),
		Setup: func() func() {
			m := newUnet(encoder)
			m.SetTraining(false)
			b, err := unet.NewBF16(m)
			if err != nil {
				panic("bench: " + err.Error())
			}
			x := tensor.NewRNG(2).Randn(batch, 1, size, size)
			return func() {
				if _, err := b.Predict(x); err != nil {
					panic("bench: " + err.Error())
				}
			}
		}}
}
