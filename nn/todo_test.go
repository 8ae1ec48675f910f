package nn

import (
	"testing"

	"github.com/lungo-ml/lungo/kernels"
)

// TEMPORARY (deleted once every kernel family has landed): skip tests whose
// kernels still panic("todo"), so that the package's other tests keep running.
func skipUntilKernel(t *testing.T, family string) {
	t.Helper()
	probe := map[string]func(){
		"concat": func() { kernels.ConcatChannels(make([]float32, 2), [][]float32{{1}, {2}}, 1, []int{1, 1}) },
		"conv": func() {
			kernels.Conv2D(make([]float32, 1), []float32{1}, []float32{1}, nil, kernels.ConvParams{N: 1, H: 1, W: 1, C: 1, K: 1, R: 1, S: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1})
		},
		"convt": func() {
			kernels.ConvTranspose2D(make([]float32, 1), []float32{1}, []float32{1}, nil, kernels.ConvTransposeParams{N: 1, H: 1, W: 1, C: 1, K: 1, R: 1, S: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1})
		},
		"pool": func() {
			kernels.AvgPool2D(make([]float32, 1), []float32{1}, kernels.PoolParams{N: 1, H: 1, W: 1, C: 1, R: 1, S: 1, StrideH: 1, StrideW: 1})
		},
		"bn": func() {
			kernels.BatchNormStats(make([]float32, 1), make([]float32, 1), make([]float32, 1), []float32{1, 2}, 2, 1, 1e-5)
		},
		"upsample": func() { kernels.UpsampleNearest2x(make([]float32, 4), []float32{1}, 1, 1, 1, 1) },
	}[family]
	todo := false
	func() {
		defer func() {
			if r := recover(); r != nil {
				if s, ok := r.(string); ok && s == "todo" {
					todo = true
					return
				}
				panic(r)
			}
		}()
		probe()
	}()
	if todo {
		t.Skipf("kernels for %s not implemented yet", family)
	}
}
