package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/models/unet"
)

// tinyRun returns options for a seconds-long training run on dir.
func tinyRun(t *testing.T, data, labels string) *runOptions {
	o := defaultRunOptions()
	o.data, o.labels, o.out = data, labels, t.TempDir()
	o.arch, o.decoder, o.size, o.batch, o.epochs, o.folds, o.topK = "unet-resnet18", "16,8,8,8,8", 32, 2, 1, 3, 1
	o.posFrac = "" // every image is read each epoch
	o.log = &bytes.Buffer{}
	return o
}

func writeTinySynth(t *testing.T, n int) (dir string, sum *siim.SynthSummary) {
	dir = t.TempDir()
	sum, err := siim.WriteSynth(dir, siim.SynthConfig{N: n, Size: 64, Seed: 2, PositiveFraction: 0.4})
	if err != nil {
		t.Fatal(err)
	}
	return dir, sum
}

func TestTrainBadInput(t *testing.T) {
	dir, sum := writeTinySynth(t, 9)
	images := filepath.Join(dir, "dicom-images-train")

	// A missing data folder says which flag to fix.
	o := tinyRun(t, filepath.Join(dir, "nope"), sum.Labels)
	if _, err := runTraining(context.Background(), o); err == nil || !strings.Contains(err.Error(), "-data") {
		t.Errorf("missing folder: %v", err)
	}

	// Labels naming images that do not exist: a warning with the count,
	// training goes on with the rest.
	extra := filepath.Join(dir, "extra.csv")
	b, _ := os.ReadFile(sum.Labels)
	b = append(b, []byte("1.2.3.4.5.does.not.exist, -1\n")...)
	if err := os.WriteFile(extra, b, 0o644); err != nil {
		t.Fatal(err)
	}
	o = tinyRun(t, images, extra)
	if _, err := runTraining(context.Background(), o); err != nil {
		t.Fatalf("labels with a missing image: %v", err)
	}
	if log := o.log.(*bytes.Buffer).String(); !strings.Contains(log, "1 labelled images have no DICOM file") || !strings.Contains(log, "does.not.exist") {
		t.Errorf("no warning naming the missing image in:\n%s", log)
	}

	// A corrupt DICOM in the middle: an error naming it, or with -skip-bad
	// a warning and the run completes.
	bad := sum.Images[4]
	if err := os.WriteFile(bad, []byte("not a dicom file"), 0o644); err != nil {
		t.Fatal(err)
	}
	o = tinyRun(t, images, sum.Labels)
	if _, err := runTraining(context.Background(), o); err == nil || !strings.Contains(err.Error(), filepath.Base(bad)) {
		t.Errorf("corrupt DICOM without -skip-bad: %v, want an error naming %s", err, filepath.Base(bad))
	}
	o = tinyRun(t, images, sum.Labels)
	o.skipBad = true
	if _, err := runTraining(context.Background(), o); err != nil {
		t.Errorf("corrupt DICOM with -skip-bad: %v", err)
	}
}

func TestTrainThenResumeOtherArchitecture(t *testing.T) {
	dir, sum := writeTinySynth(t, 9)
	images := filepath.Join(dir, "dicom-images-train")
	o := tinyRun(t, images, sum.Labels)
	out, err := runTraining(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.result.History) != 1 {
		t.Fatalf("history %v", out.result.History)
	}
	for _, f := range []string{"final.lungo", "last.state", thresholdsFile, "metrics.jsonl", "curves.png"} {
		if _, err := os.Stat(filepath.Join(o.out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	// Resuming the run folder with another architecture is refused with a
	// message naming both, and the folder's state is untouched.
	before, _ := os.ReadFile(filepath.Join(o.out, "last.state"))
	o2 := *o
	o2.arch, o2.decoder, o2.resume, o2.epochs = "unet-resnet34", "", true, 2
	_, err = runTraining(context.Background(), &o2)
	if err == nil || !strings.Contains(err.Error(), "resnet34") || !strings.Contains(err.Error(), "resnet18") {
		t.Errorf("resume with another architecture: %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(o.out, "last.state"))
	if !bytes.Equal(before, after) {
		t.Error("a refused resume changed last.state")
	}
}

func TestPredictDICOMAfterTraining(t *testing.T) {
	dir, sum := writeTinySynth(t, 9)
	images := filepath.Join(dir, "dicom-images-train")
	o := tinyRun(t, images, sum.Labels)
	if _, err := runTraining(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	sub := filepath.Join(out, "sub.csv")
	var log bytes.Buffer
	err := predictDICOM(context.Background(), mustOpen(t, filepath.Join(o.out, "final.lungo")), filepath.Join(o.out, "final.lungo"),
		dicomPredictOptions{inputs: []string{images}, submission: sub, npyDir: filepath.Join(out, "npy"),
			masksDir: filepath.Join(out, "masks"), overlays: filepath.Join(out, "ov"), labels: sum.Labels, tta: true, log: &log})
	if err != nil {
		t.Fatal(err)
	}
	// thresholds.json beside the weights sets the size and the triplet.
	if !strings.Contains(log.String(), "thresholds.json") || !strings.Contains(log.String(), "at 32x32") {
		t.Errorf("thresholds.json not used:\n%s", log.String())
	}
	// The submission parses back and scores what predict printed.
	subLabels, err := siim.ReadLabelsFile(sub, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	truth, err := siim.ReadLabelsFile(sum.Labels, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := siim.Evaluate(truth, subLabels, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	if len(subLabels.Images) != 9 || len(ev.Missing) != 0 {
		t.Fatalf("submission has %d images, %d missing", len(subLabels.Images), len(ev.Missing))
	}
	if want := fmt.Sprintf("competition dice against %s: %.4f", sum.Labels, ev.Score); !strings.Contains(log.String(), want) {
		t.Errorf("predict printed\n%s\nwant the line %q", log.String(), want)
	}
	for _, d := range []string{"npy", "masks", "ov"} {
		files, _ := os.ReadDir(filepath.Join(out, d))
		if len(files) != 9 {
			t.Errorf("%s/ has %d files, want 9", d, len(files))
		}
	}
}

func mustOpen(t *testing.T, path string) *unet.Model {
	t.Helper()
	m, err := unet.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
