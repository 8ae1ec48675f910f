package unet

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// A checkpoint stored as BF16 or F16 is about half the size, opens like any
// checkpoint (its config from the metadata), holds the weights rounded once,
// and predicts like the float32 model that holds those rounded weights, in
// float32 and in bf16.
func TestHalfSizeCheckpoint(t *testing.T) {
	dir := t.TempDir()
	m := MustNew(Config{Encoder: "resnet18", InChannels: 1, Classes: 1}, tensor.NewRNG(7))
	full := filepath.Join(dir, "full.lungo")
	if err := m.SaveCheckpoint(full, nil); err != nil {
		t.Fatal(err)
	}
	fullInfo, err := os.Stat(full)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(1, 1, 64, 64)
	rng := tensor.NewRNG(1)
	for i := range x.Data {
		x.Data[i] = rng.Normal()
	}
	for _, dt := range []nn.DType{nn.BF16, nn.F16} {
		path := filepath.Join(dir, string(dt)+".lungo")
		if err := m.SaveCheckpointAs(path, nil, dt); err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if r := float64(info.Size()) / float64(fullInfo.Size()); r < 0.49 || r > 0.52 {
			t.Errorf("%s: %d bytes, %.3f of float32's %d", dt, info.Size(), r, fullInfo.Size())
		}
		half, err := Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The weights moved by at most the format's rounding; want holds the
		// float32 weights as the file rounds them (the whole state dict
		// through the format in memory; nn tests the rounding itself).
		var buf bytes.Buffer
		if err := nn.WriteSafetensorsAs(&buf, m.StateDict(), nil, dt); err != nil {
			t.Fatal(err)
		}
		rounded, _, err := nn.ParseSafetensors(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		want := m.Clone()
		var maxRel float64
		for _, k := range want.StateDict().Keys {
			wt, ht, rt := want.StateDict().Tensors[k], half.StateDict().Tensors[k], rounded.Tensors[k]
			var num, den float64
			for i, v := range wt.Data {
				if ht.Data[i] != rt.Data[i] {
					t.Fatalf("%s: %s[%d] = %g, want %g (%g rounded)", dt, k, i, ht.Data[i], rt.Data[i], v)
				}
				num += float64(rt.Data[i]-v) * float64(rt.Data[i]-v)
				den += float64(v) * float64(v)
				wt.Data[i] = rt.Data[i]
			}
			if den > 0 {
				maxRel = math.Max(maxRel, math.Sqrt(num/den))
			}
		}
		if bound := map[nn.DType]float64{nn.BF16: 1.0 / 256, nn.F16: 1.0 / 2048}[dt]; maxRel > bound {
			t.Errorf("%s: a tensor moved %.2g (relative), more than %.2g", dt, maxRel, bound)
		}
		for _, p := range []Precision{FP32, BF16} {
			a, err := NewPredictor(half, p)
			if err != nil {
				t.Fatal(err)
			}
			b, err := NewPredictor(want, p)
			if err != nil {
				t.Fatal(err)
			}
			ya, err := a.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			yb, err := b.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			if !tensor.AllClose(ya, yb, 0, 0) {
				t.Errorf("%s checkpoint, %s inference: differs from the model with the same rounded weights", dt, p)
			}
		}
	}
}
