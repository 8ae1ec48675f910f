package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/internal/golden"
)

// TestPredictRaw runs "lungo predict" on PyTorch's .pth of a resnet18 U-Net
// (2 classes) and on the lungo checkpoint "lungo convert" makes of it, and
// compares both with PyTorch's probabilities.
func TestPredictRaw(t *testing.T) {
	g, err := golden.Load("../../testdata/unet_r18_views.gold")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "x.npy"), filepath.Join(dir, "p.npy")
	x := g.Get("input")
	if err := writeNPY(in, x); err != nil {
		t.Fatal(err)
	}
	pthFile := "../../testdata/unet_r18_views.pth"
	check := func(what string) {
		t.Helper()
		p, err := readNPY(out)
		if err != nil {
			t.Fatal(err)
		}
		golden.Compare(t, what, p, g.Get("probs"), 1e-5, 1e-4)
	}
	if err := runPredict([]string{"-weights", pthFile, "-arch", "unet-resnet18", "-classes", "2", "-in-channels", "1", "-input", in, "-out", out}); err != nil {
		t.Fatal(err)
	}
	check("predict .pth")

	ckpt := filepath.Join(dir, "m.lungo")
	if err := runConvert([]string{"-in", pthFile, "-out", ckpt, "-arch", "unet-resnet18", "-classes", "2"}); err != nil {
		t.Fatal(err)
	}
	os.Remove(out)
	// No architecture flags: the checkpoint carries them.
	if err := runPredict([]string{"-weights", ckpt, "-input", in, "-out", out, "-batch", "2"}); err != nil {
		t.Fatal(err)
	}
	check("predict checkpoint")

	// No architecture flags on a .pth: worked out from its keys and shapes.
	os.Remove(out)
	if err := runPredict([]string{"-weights", pthFile, "-input", in, "-out", out}); err != nil {
		t.Fatal(err)
	}
	check("predict .pth without flags")

	// Wrong architecture for a .pth: the error names the right one.
	err = runPredict([]string{"-weights", pthFile, "-arch", "unet-resnet34", "-classes", "2", "-input", in, "-out", out})
	if err == nil || !strings.Contains(err.Error(), "weights are U-Net-ResNet18, not unet-resnet34") {
		t.Errorf("resnet34 flags on resnet18 weights: %v", err)
	}
	if err := runPredict([]string{"-weights", ckpt, "-dicom", dir}); err == nil || !strings.Contains(err.Error(), "needs an output") {
		t.Errorf("-dicom without outputs: %v", err)
	}
	if err := runPredict([]string{"-weights", ckpt, "-in-channels", "1", "-input", filepath.Join(dir, "missing.npy"), "-out", out}); err == nil {
		t.Errorf("missing input accepted")
	}
}
