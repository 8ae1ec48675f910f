package unet

import (
	"math"
	"strings"

	"github.com/lungo-ml/lungo/nn"
)

// The deterministic weights of scripts/golden/unet.py (detvalue, hashu,
// fnv1a), so that goldens need not store 14-25M parameters.

func fnv1a(s string) uint64 {
	h := uint64(0xCBF29CE484222325)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 0x100000001B3
	}
	return h
}

// hashu returns n values in [-1, 1): splitmix64 of seed + (i+1)*golden.
func hashu(seed uint64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		z := seed + uint64(i+1)*0x9E3779B97F4A7C15
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		out[i] = 2*float64(z>>11)*math.Pow(2, -53) - 1
	}
	return out
}

func hashu32(seed uint64, n int) []float32 {
	out := make([]float32, n)
	for i, v := range hashu(seed, n) {
		out[i] = float32(v)
	}
	return out
}

func probe(key string, n int) []float64 { return hashu(fnv1a(key)^0x5DEECE66D, n) }

// detWeights fills every parameter and buffer of m like detweights.
func detWeights(m nn.Module) { fillDetWeights(m, false) }

// detWeightsShifted fills m like detweights(model, shifted=True): as
// detWeights, plus biasShift on the biases.
func detWeightsShifted(m nn.Module) { fillDetWeights(m, true) }

// biasShift is the script's bias_shift: 2 for a batch-norm bias (a key
// whose module has a running_mean), 4 for a cSE squeeze bias, else 0.
func biasShift(sd *nn.StateDict, k string) float64 {
	if strings.HasSuffix(k, ".bias") {
		if _, ok := sd.Tensors[strings.TrimSuffix(k, "bias")+"running_mean"]; ok {
			return 2
		}
	}
	if strings.HasSuffix(k, "cSE.1.bias") {
		return 4
	}
	return 0
}

func fillDetWeights(m nn.Module, shifted bool) {
	sd := nn.StateDictOf(m)
	for _, k := range sd.Keys {
		t := sd.Tensors[k]
		leaf := k[strings.LastIndexByte(k, '.')+1:]
		if leaf == "num_batches_tracked" {
			t.Data[0] = 0
			continue
		}
		shift := 0.0
		if shifted {
			shift = biasShift(sd, k)
		}
		u := hashu(fnv1a(k), len(t.Data))
		for i := range t.Data {
			var v float64
			switch {
			case leaf == "running_var":
				v = 1 + 0.5*u[i]
			case leaf == "running_mean":
				v = 0.1 * u[i]
			case leaf == "bias":
				v = 0.1*u[i] + shift
			case len(t.Shape) == 1:
				v = 1 + 0.2*u[i]
			default:
				v = u[i] * math.Sqrt(3/float64(len(t.Data)/t.Shape[0]))
			}
			t.Data[i] = float32(v)
		}
	}
}
