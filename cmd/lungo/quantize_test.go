package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/internal/golden"
)

// TestQuantizePredictInt8 calibrates the resnet18 U-Net of
// unet_r18_views.pth on its golden input (as .npy, both methods), predicts
// that input in int8 from the quantized checkpoint and compares with
// PyTorch's float32 probabilities; the usage errors exit 2.
func TestQuantizePredictInt8(t *testing.T) {
	g, err := golden.Load("../../testdata/unet_r18_views.gold")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "x.npy"), filepath.Join(dir, "p.npy")
	if err := writeNPY(in, g.Get("input")); err != nil {
		t.Fatal(err)
	}
	pth := "../../testdata/unet_r18_views.pth"
	want := g.Get("probs")
	for _, method := range []string{"minmax", "percentile"} {
		q := filepath.Join(dir, method+".lungo")
		if err := runQuantize([]string{"-weights", pth, "-calib", in, "-out", q, "-method", method}); err != nil {
			t.Fatal(err)
		}
		os.Remove(out)
		if err := runPredict([]string{"-weights", q, "-precision", "int8", "-input", in, "-out", out}); err != nil {
			t.Fatal(err)
		}
		p, err := readNPY(out)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Data) != len(want.Data) {
			t.Fatalf("%s: %d probabilities, want %d", method, len(p.Data), len(want.Data))
		}
		var mean, maxd float64
		for i, v := range p.Data {
			d := abs(float64(v - want.Data[i]))
			mean += d / float64(len(p.Data))
			maxd = max(maxd, d)
		}
		t.Logf("%s: mean |p_int8 - p_torch| %.4f, max %.4f", method, mean, maxd)
		if mean > 0.01 || maxd > 0.4 { // seen: mean 0.005-0.006, max 0.20-0.28 (pixels near p = 0.5)
			t.Errorf("%s: int8 vs PyTorch float32: mean %.4f, max %.4f", method, mean, maxd)
		}
	}
	// A bf16 quantized checkpoint: half the size, and int8 from it stays as
	// close to PyTorch.
	q32, q16 := filepath.Join(dir, "minmax.lungo"), filepath.Join(dir, "bf16.lungo")
	if err := runQuantize([]string{"-weights", pth, "-calib", in, "-out", q16, "-dtype", "bf16"}); err != nil {
		t.Fatal(err)
	}
	s32, _ := os.Stat(q32)
	s16, _ := os.Stat(q16)
	if r := float64(s16.Size()) / float64(s32.Size()); r > 0.52 {
		t.Errorf("bf16 quantized checkpoint is %.2f of the float32 one", r)
	}
	os.Remove(out)
	if err := runPredict([]string{"-weights", q16, "-precision", "int8", "-input", in, "-out", out}); err != nil {
		t.Fatal(err)
	}
	if p, err := readNPY(out); err != nil {
		t.Fatal(err)
	} else {
		var mean float64
		for i, v := range p.Data {
			mean += abs(float64(v-want.Data[i])) / float64(len(p.Data))
		}
		if mean > 0.01 {
			t.Errorf("int8 from a bf16 checkpoint vs PyTorch float32: mean %.4f", mean)
		}
	}
	// Weights without a calibration: the error says how to make one.
	if err := runPredict([]string{"-weights", pth, "-precision", "int8", "-input", in, "-out", out}); err == nil || !strings.Contains(err.Error(), "lungo quantize") {
		t.Errorf("int8 from a .pth: %v", err)
	}
	for _, args := range [][]string{
		{"quantize", "-weights", pth, "-out", filepath.Join(dir, "x.lungo")},
		{"quantize", "-weights", pth, "-calib", in, "-out", filepath.Join(dir, "x.lungo"), "-method", "mean"},
		{"quantize", "-weights", pth, "-calib", in, "-out", filepath.Join(dir, "x.lungo"), "-n", "0"},
	} {
		if stderr, code := runLungo(t, args...); code != 2 {
			t.Errorf("lungo %v: exit %d, want 2 (%s)", args, code, stderr)
		}
	}
	if stderr, code := runLungo(t, "quantize", "-weights", pth, "-calib", filepath.Join(dir, "none"), "-out", filepath.Join(dir, "x.lungo")); code != 1 || !strings.Contains(stderr, "none") {
		t.Errorf("missing -calib: exit %d: %s", code, stderr)
	}
}
