package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

const resnet18TV = "../../testdata/resnet18_tv.pth"

// TestLungoMainHelper runs main with the arguments in $LUNGO_TEST_MAIN_ARGS
// when runLungo starts this test binary again; otherwise it is skipped.
func TestLungoMainHelper(t *testing.T) {
	args := os.Getenv("LUNGO_TEST_MAIN_ARGS")
	if args == "" {
		t.Skip("runs lungo's main in a subprocess started by runLungo")
	}
	os.Args = append([]string{"lungo"}, strings.Split(args, "\x1f")...)
	main()
	os.Exit(0)
}

// runLungo runs "lungo args..." in a subprocess and returns its stderr and
// exit status.
func runLungo(t *testing.T, args ...string) (stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLungoMainHelper$")
	cmd.Env = append(os.Environ(), "LUNGO_TEST_MAIN_ARGS="+strings.Join(args, "\x1f"))
	var eb bytes.Buffer
	cmd.Stderr = &eb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return eb.String(), 0
	case errors.As(err, &ee):
		return eb.String(), ee.ExitCode()
	}
	t.Fatalf("lungo %v: %v", args, err)
	return "", 0
}

// TestPredictEncoderOnlyRefused: predict with torchvision's encoder-only
// ResNet-18 exits non-zero and says how to use the file instead, with or
// without -arch; a full .pth is described on stderr.
func TestPredictEncoderOnlyRefused(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "x.npy"), filepath.Join(dir, "p.npy")
	if err := writeNPY(in, tensor.New(1, 1, 32, 32)); err != nil {
		t.Fatal(err)
	}
	for _, arch := range [][]string{{"-arch", "unet-resnet18"}, nil} {
		args := append([]string{"predict", "-weights", resnet18TV, "-input", in, "-out", out}, arch...)
		stderr, code := runLungo(t, args...)
		if code == 0 {
			t.Errorf("lungo %v exited 0", args)
		}
		for _, want := range []string{"encoder-only ResNet-18 weights", "decoder and segmentation head missing", "lungo train -init-encoder FILE"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("lungo %v: stderr %q does not say %q", args, stderr, want)
			}
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("lungo %v wrote %s", args, out)
		}
	}
	stderr, code := runLungo(t, "predict", "-weights", "../../testdata/unet_r18_views.pth", "-input", in, "-out", out)
	want := "weights ../../testdata/unet_r18_views.pth: U-Net-ResNet18, 1 input channel, 2 classes, decoder 256-128-64-32-16 (worked out from its keys and shapes)"
	if code != 0 || !strings.Contains(stderr, want) {
		t.Errorf("predict with a full .pth: exit %d, stderr %q, want %q", code, stderr, want)
	}
	stderr, code = runLungo(t, "convert", "-in", resnet18TV, "-out", filepath.Join(dir, "m.lungo"))
	if code == 0 || !strings.Contains(stderr, "-init-encoder") {
		t.Errorf("convert of an encoder: exit %d, stderr %q", code, stderr)
	}
}

// TestTrainInitEncoder: -init-encoder loads torchvision's ResNet-18 into
// the encoder and says so; a file for another encoder is refused; resuming
// without -arch builds the run's model.
func TestTrainInitEncoder(t *testing.T) {
	dir, sum := writeTinySynth(t, 9)
	images := filepath.Join(dir, "dicom-images-train")
	o := tinyRun(t, images, sum.Labels)
	o.initEncoder = resnet18TV
	if _, err := runTraining(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	log := o.log.(*bytes.Buffer).String()
	if want := "encoder: loaded from " + resnet18TV + ": ResNet-18 encoder (torchvision keys): 120 tensors, stem summed over 3 input channels; ignored fc (2 tensors)"; !strings.Contains(log, want) {
		t.Errorf("log\n%s\nwants %q", log, want)
	}

	bad := tinyRun(t, images, sum.Labels)
	bad.arch, bad.initEncoder = "unet-resnet34", resnet18TV
	if _, err := runTraining(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "encoder weights are ResNet-18, not the model's resnet34") {
		t.Errorf("resnet18 encoder into resnet34: %v", err)
	}

	// -resume without architecture flags: the run's resnet18 with its
	// decoder, not the default resnet34.
	o2 := *o
	o2.log = &bytes.Buffer{}
	o2.arch, o2.decoder, o2.resume, o2.archFromRun, o2.epochs = "unet-resnet34", "", true, true, 2
	if _, err := runTraining(context.Background(), &o2); err != nil {
		t.Fatalf("resume without -arch: %v", err)
	}
	if log := o2.log.(*bytes.Buffer).String(); !strings.Contains(log, "model: U-Net-ResNet18, 1 input channel, 1 class, decoder 16-8-8-8-8") || !strings.Contains(log, "encoder: not loading -init-encoder") {
		t.Errorf("resume log:\n%s", log)
	}
}
