package unet

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/tensor"
)

// int8Compare returns the mean and largest absolute difference of two
// probability maps and the Dice of their masks at 0.5.
func int8Compare(a, b []float32) (mean, maxd, dice float64) {
	var inter, sa, sb float64
	for i := range a {
		d := math.Abs(float64(a[i] - b[i]))
		mean += d / float64(len(a))
		maxd = max(maxd, d)
		pa, pb := a[i] > 0.5, b[i] > 0.5
		if pa && pb {
			inter++
		}
		if pa {
			sa++
		}
		if pb {
			sb++
		}
	}
	dice = 1
	if sa+sb > 0 {
		dice = 2 * inter / (sa + sb)
	}
	return mean, maxd, dice
}

// TestInt8MatchesFloat32 calibrates on three images and compares int8 with
// float32 Predict on a fourth, odd-sized one (padding and cropping). The
// test model's head is 300 times steeper than initialised (bf16TestModel),
// which spreads the probabilities over (0, 1) and amplifies the logits'
// error as much; a broken requantization gives mean differences near 0.3.
func TestInt8MatchesFloat32(t *testing.T) {
	encoders, h, w := []string{"resnet18", "resnet50"}, 70, 45
	if !kernels.Int8Accelerated() || testing.Short() {
		encoders, h, w = encoders[:1], 40, 33
	}
	for _, enc := range encoders {
		for _, method := range []CalibrationMethod{MinMax, Percentile} {
			t.Run(enc+"/"+method.String(), func(t *testing.T) {
				m := bf16TestModel(t, enc)
				rng := tensor.NewRNG(9)
				var calib []*tensor.Tensor
				for i := 0; i < 3; i++ {
					calib = append(calib, rng.Randn(1, 1, h, w))
				}
				cal, err := Calibrate(context.Background(), m, calib, method)
				if err != nil {
					t.Fatal(err)
				}
				if cal.Images != 3 || cal.Ranges["stem"].Lo != 0 || !(cal.Ranges["input"].Lo < 0) {
					t.Fatalf("calibration: %d images, stem %v, input %v", cal.Images, cal.Ranges["stem"], cal.Ranges["input"])
				}
				q, err := NewInt8(m, cal)
				if err != nil {
					t.Fatal(err)
				}
				x := tensor.NewRNG(5).Randn(2, 1, h, w)
				want, err := m.Predict(x)
				if err != nil {
					t.Fatal(err)
				}
				for call := 0; call < 2; call++ { // the second reuses the buffers
					got, err := q.Predict(x)
					if err != nil {
						t.Fatal(err)
					}
					if !equalShapes(got.Shape, want.Shape) {
						t.Fatalf("shape %v, want %v", got.Shape, want.Shape)
					}
					mean, maxd, dice := int8Compare(got.Data, want.Data)
					t.Logf("mean |p - p32| %.4f, max %.4f, Dice %.4f", mean, maxd, dice)
					if mean > 0.05 || dice < 0.85 {
						t.Fatalf("int8 vs float32: mean |dp| %.4f, max %.4f, Dice %.4f", mean, maxd, dice)
					}
				}
			})
		}
	}
}

func equalShapes(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestInt8Checkpoint saves a calibrated model, reads the calibration back
// from the checkpoint, and predicts the same bytes.
func TestInt8Checkpoint(t *testing.T) {
	m := bf16TestModel(t, "resnet18")
	x := tensor.NewRNG(1).Randn(1, 1, 32, 32)
	cal, err := Calibrate(context.Background(), m, []*tensor.Tensor{x}, MinMax)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "q.safetensors")
	if err := m.SaveQuantized(path, cal); err != nil {
		t.Fatal(err)
	}
	sd, meta, err := ReadWeights(path)
	if err != nil {
		t.Fatal(err)
	}
	cal2, err := CheckpointCalibration(meta)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := OpenStateDict(sd, meta, nil)
	if err != nil {
		t.Fatal(err)
	}
	q1, err := NewInt8(m, cal)
	if err != nil {
		t.Fatal(err)
	}
	q2, err := NewInt8(m2, cal2)
	if err != nil {
		t.Fatal(err)
	}
	p1, _ := q1.Predict(x)
	p2, _ := q2.Predict(x)
	for i := range p1.Data {
		if p1.Data[i] != p2.Data[i] {
			t.Fatalf("probability %d: %g before saving, %g after", i, p1.Data[i], p2.Data[i])
		}
	}
	if _, err := CheckpointCalibration(map[string]string{}); err == nil || !strings.Contains(err.Error(), "lungo quantize") {
		t.Errorf("no calibration: %v", err)
	}
	for _, bad := range []string{`{`, `{"method":"minmax","ranges":{}}`, `{"method":"x","ranges":{"a":{"lo":0,"hi":1}}}`, `{"method":"minmax","ranges":{"a":{"lo":2,"hi":1}}}`} {
		if _, err := UnmarshalCalibration(bad); err == nil {
			t.Errorf("UnmarshalCalibration(%s): no error", bad)
		}
	}
	delete(cal.Ranges, "layer2.0.downsample")
	if _, err := NewInt8(m, cal); err == nil || !strings.Contains(err.Error(), "layer2.0.downsample") {
		t.Errorf("missing range: %v", err)
	}
	if _, err := NewPredictor(m, Int8); err == nil {
		t.Error("NewPredictor(m, Int8) without a calibration: no error")
	}
	if p, err := ParsePrecision("int8"); err != nil || p != Int8 || p.String() != "int8" {
		t.Errorf("ParsePrecision(int8) = %v, %v", p, err)
	}
}

// TestInt8Concurrent: Int8Model replicas and turns from several goroutines
// give the serial result bit for bit (run it with -race), and the generic
// kernels (kernels.Use) give the same bytes as the SIMD ones.
func TestInt8Concurrent(t *testing.T) {
	m := bf16TestModel(t, "resnet18")
	xs := []*tensor.Tensor{tensor.NewRNG(6).Randn(1, 1, 64, 64), tensor.NewRNG(7).Randn(1, 1, 40, 72)}
	if !kernels.Int8Accelerated() {
		xs = []*tensor.Tensor{tensor.NewRNG(6).Randn(1, 1, 32, 32), tensor.NewRNG(7).Randn(1, 1, 20, 33)}
	}
	cal, err := Calibrate(context.Background(), m, xs, MinMax)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewInt8(m, cal)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]*tensor.Tensor, len(xs))
	for i, x := range xs {
		if want[i], err = b.Predict(x); err != nil {
			t.Fatal(err)
		}
	}
	same := func(got, want *tensor.Tensor) error {
		for j := range got.Data {
			if got.Data[j] != want.Data[j] {
				return fmt.Errorf("element %d = %v, want %v", j, got.Data[j], want.Data[j])
			}
		}
		return nil
	}
	if kernels.Int8Accelerated() {
		err := kernels.Use("generic", func() {
			got, err := b.Predict(xs[1])
			if err == nil {
				err = same(got, want[1])
			}
			if err != nil {
				t.Errorf("generic kernels: %v", err)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	preds := []*Int8Model{b, b, b.Replica(), b.Replica()}
	errs := make(chan error, len(preds))
	for g, p := range preds {
		go func() {
			for r := 0; r < 2; r++ {
				i := (g + r) % len(xs)
				got, err := p.Predict(xs[i])
				if err == nil {
					err = same(got, want[i])
				}
				if err != nil {
					errs <- fmt.Errorf("goroutine %d, image %d: %w", g, i, err)
					return
				}
			}
			errs <- nil
		}()
	}
	for range preds {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	b.ReleaseInferenceMemory()
	if got, err := b.Predict(xs[0]); err != nil || same(got, want[0]) != nil {
		t.Fatalf("after ReleaseInferenceMemory: %v", err)
	}
}

// FuzzUnmarshalCalibration: a checkpoint's int8 calibration is untrusted
// input: parsing never panics, and what parses marshals back to the same
// calibration.
func FuzzUnmarshalCalibration(f *testing.F) {
	f.Add(`{"method":"minmax","images":3,"ranges":{"input":{"lo":-2,"hi":2},"stem":{"lo":0,"hi":2.5}}}`)
	f.Add(`{"method":"percentile","ranges":{"a":{"lo":0,"hi":0}}}`)
	f.Add(`{"ranges":{"a":{"lo":1e39,"hi":1}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := UnmarshalCalibration(s)
		if err != nil {
			return
		}
		c2, err := UnmarshalCalibration(c.Marshal())
		if err != nil {
			t.Fatalf("%s: round trip: %v", s, err)
		}
		if c2.Method != c.Method || c2.Images != c.Images || len(c2.Ranges) != len(c.Ranges) {
			t.Fatalf("%s: round trip changed it: %+v, %+v", s, c, c2)
		}
		for k, r := range c.Ranges {
			if c2.Ranges[k] != r {
				t.Fatalf("%s: range %s %v, after the round trip %v", s, k, r, c2.Ranges[k])
			}
			// Any finite range gives a quantization the kernels take.
			sc, z := kernels.U8Params(r.Lo, r.Hi)
			kernels.PackInt8Conv([]float32{1, -2, 3, 0.5}, []float32{0.25}, 1, 4, 1, 1, 1, 0, sc, z, sc, z)
		}
	})
}

// TestInt8PredictAllocs: a steady-state int8 prediction allocates its
// output tensor and a few small closures per layer, nothing that grows with
// the image (the activations come from the arena, the kernels' tile buffers
// from the scratch pools; before they did, 810 allocations at 64x64).
func TestInt8PredictAllocs(t *testing.T) {
	m := bf16TestModel(t, "resnet18")
	cal, err := Calibrate(context.Background(), m, []*tensor.Tensor{tensor.NewRNG(1).Randn(1, 1, 64, 64)}, MinMax)
	if err != nil {
		t.Fatal(err)
	}
	q, err := NewInt8(m, cal)
	if err != nil {
		t.Fatal(err)
	}
	var bytes [2]uint64
	for i, size := range []int{64, 128} {
		x := tensor.NewRNG(1).Randn(1, 1, size, size)
		q.Predict(x)
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		n := testing.AllocsPerRun(4, func() { q.Predict(x) })
		runtime.ReadMemStats(&ms1)
		bytes[i] = (ms1.TotalAlloc - ms0.TotalAlloc) / 5
		t.Logf("%dx%d: %.0f allocations, %d bytes per prediction", size, size, n, bytes[i])
		if n > 300 {
			t.Errorf("%dx%d: %.0f allocations per prediction", size, size, n)
		}
	}
	// The output grows by 4*(128*128-64*64) bytes; allow 16 KiB of noise.
	if grow := int64(bytes[1]) - int64(bytes[0]); grow > 4*(128*128-64*64)+16<<10 {
		t.Errorf("a prediction at 128x128 allocates %d bytes more than at 64x64", grow)
	}
}
