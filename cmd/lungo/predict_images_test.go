package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/tensor"
)

// writeImageFolder writes n synthetic 64x64 radiographs as dir/images/<id>
// (PNG; item 2 a JPEG) and their masks as dir/masks/<id>.png (item 1
// without one).
func writeImageFolder(t *testing.T, dir string, n int) (images, masks string, ids []string) {
	t.Helper()
	images, masks = filepath.Join(dir, "images"), filepath.Join(dir, "masks")
	for i := range n {
		img, m := siim.SynthImage(uint64(40+i), 64, i%3 == 0)
		id := "case" + string(rune('a'+i))
		ids = append(ids, id)
		if i == 1 {
			m = nil
		}
		if err := siim.WriteFolderItem(images, masks, id, img, m); err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			os.Remove(filepath.Join(images, id+".png"))
			var b bytes.Buffer
			if err := jpeg.Encode(&b, img, nil); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(images, id+".jpg"), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return images, masks, ids
}

func tinyTrainArgs(out string) []string {
	return []string{"-out", out, "-arch", "unet-resnet18", "-decoder", "16,8,8,8,8", "-size", "32", "-batch", "2",
		"-epochs", "1", "-folds", "3", "-topk", "1", "-pos-frac", "", "-workers", "1"}
}

func pngSize(t *testing.T, path string) (w, h int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cfg.Width, cfg.Height
}

// lungo train -images -masks for one epoch, then lungo predict -images with
// every output on the same folder.
func TestTrainFolderThenPredictImages(t *testing.T) {
	dir := t.TempDir()
	images, masks, ids := writeImageFolder(t, dir, 9)
	run := filepath.Join(dir, "run")
	if err := runTrain(append([]string{"-images", images, "-masks", masks}, tinyTrainArgs(run)...)); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"final.lungo", thresholdsFile, "metrics.jsonl"} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Errorf("train: missing %s: %v", f, err)
		}
	}
	weights := filepath.Join(run, "final.lungo")
	out := filepath.Join(dir, "out")
	sub := filepath.Join(out, "sub.csv")
	var log bytes.Buffer
	err := predictImageFiles(context.Background(), mustOpen(t, weights), weights, dicomPredictOptions{
		inputs: []string{images}, submission: sub, npyDir: filepath.Join(out, "npy"), masksDir: filepath.Join(out, "masks"),
		overlays: filepath.Join(out, "ov"), tta: true, log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "predicted 9 images at 32x32") {
		t.Errorf("log:\n%s", log.String())
	}
	subLabels, err := siim.ReadLabelsFile(sub, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	if len(subLabels.Images) != 9 {
		t.Fatalf("submission has %d images, want 9", len(subLabels.Images))
	}
	for _, id := range ids {
		if subLabels.Get(id) == nil {
			t.Errorf("submission lacks image %s", id)
		}
		for _, d := range []string{"masks", "ov"} {
			if w, h := pngSize(t, filepath.Join(out, d, id+".png")); w != 64 || h != 64 {
				t.Errorf("%s/%s.png is %dx%d, want 64x64", d, id, w, h)
			}
		}
		if _, err := os.Stat(filepath.Join(out, "npy", id+".npy")); err != nil {
			t.Error(err)
		}
	}

	// The command line, one file and a folder, comma-separated.
	sub2 := filepath.Join(dir, "sub2.csv")
	other := filepath.Join(dir, "other")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(images, ids[0]+".png"))
	os.WriteFile(filepath.Join(other, "single.png"), b, 0o644)
	if err := runPredict([]string{"-weights", weights, "-images", filepath.Join(other, "single.png") + "," + images, "-submission", sub2}); err != nil {
		t.Fatal(err)
	}
	if l, err := siim.ReadLabelsFile(sub2, 64, 64); err != nil || len(l.Images) != 10 || l.Get("single") == nil {
		t.Errorf("submission of a file and a folder: %v", err)
	}

	// Mistakes say what to do.
	bad := filepath.Join(dir, "bad")
	os.MkdirAll(bad, 0o755)
	os.WriteFile(filepath.Join(bad, "broken.png"), []byte("\x89PNG\r\n\x1a\nnot really"), 0o644)
	os.WriteFile(filepath.Join(bad, "huge.png"), hugePNG(t), 0o644)
	empty := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-images", images}, "needs an output"},
		{[]string{"-images", images, "-seg", dir}, "use them with -dicom"},
		{[]string{"-images", images, "-dicom", dir, "-submission", sub2}, "give one of"},
		{[]string{"-images", empty, "-submission", sub2}, "no PNG or JPEG files"},
		{[]string{"-images", images + "," + images, "-submission", sub2}, "twice"},
		{[]string{"-images", filepath.Join(bad, "broken.png"), "-submission", sub2}, "broken.png"},
		{[]string{"-images", filepath.Join(bad, "huge.png"), "-submission", sub2}, "huge.png: PNG image of 200000x200000 pixels exceeds the limit"},
		{[]string{"-images", filepath.Join(dir, "nope"), "-submission", sub2}, "give PNG or JPEG files"},
	} {
		err := runPredict(append([]string{"-weights", weights}, c.args...))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
	// -skip-bad goes on without the unreadable files.
	os.WriteFile(filepath.Join(bad, "good.png"), b, 0o644)
	log.Reset()
	err = predictImageFiles(context.Background(), mustOpen(t, weights), weights, dicomPredictOptions{
		inputs: []string{bad}, submission: sub2, skipBad: true, log: &log})
	if err != nil || strings.Count(log.String(), "warning: skipping") != 2 || !strings.Contains(log.String(), "predicted 1 images") {
		t.Errorf("-skip-bad: %v\n%s", err, log.String())
	}
}

// hugePNG returns a 1x1 PNG whose header claims 200000 x 200000 pixels.
func hugePNG(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	binary.BigEndian.PutUint32(b[16:], 200000)
	binary.BigEndian.PutUint32(b[20:], 200000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestTrainFolderErrors(t *testing.T) {
	dir := t.TempDir()
	images, masks, _ := writeImageFolder(t, dir, 6)
	run := filepath.Join(dir, "run")
	// A mask of another size than its image, named with the image.
	if err := siim.WriteFolderItem(images, masks, "casee", image.NewGray(image.Rect(0, 0, 64, 64)), siim.NewMask(60, 64)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-images", images, "-masks", masks}, "casee.png is 64x60, its image"},
		{[]string{"-images", images}, "-images and -masks go together"},
		{[]string{"-images", images, "-masks", masks, "-data", dir, "-labels", "x.csv"}, "not both"},
		{[]string{"-images", images, "-masks", filepath.Join(dir, "nope")}, "mask folder"},
	} {
		err := runTrain(append(c.args, tinyTrainArgs(run)...))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
}

// lungo predict -images on real SIIM radiographs (8-bit greyscale JPEGs,
// 1024x1024) with their labels: every output written at the images' size
// and a score printed. The model is a small random one: this checks the
// path, not the accuracy.
func TestPredictImagesRealJPEG(t *testing.T) {
	images := sharedPath(t, "siim-real/images")
	labels := sharedPath(t, "siim-real/labels.csv")
	dir := t.TempDir()
	weights := filepath.Join(dir, "m.lungo")
	m := unet.MustNew(unet.Config{Encoder: "resnet18", InChannels: 1, Classes: 1, DecoderChannels: []int{16, 8, 8, 8, 8}}, tensor.NewRNG(1))
	if err := m.SaveCheckpoint(weights, nil); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	o := dicomPredictOptions{inputs: []string{images}, size: 64, batch: 4, submission: filepath.Join(dir, "sub.csv"),
		masksDir: filepath.Join(dir, "masks"), overlays: filepath.Join(dir, "ov"), labels: labels, log: &log}
	if err := predictImageFiles(context.Background(), mustOpen(t, weights), weights, o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "predicted 14 images at 64x64") || !strings.Contains(log.String(), "competition dice against") {
		t.Errorf("log:\n%s", log.String())
	}
	sub, err := siim.ReadLabelsFile(o.submission, 1024, 1024)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(images, "*.jpg"))
	if len(sub.Images) != len(files) || len(files) != 14 {
		t.Fatalf("submission has %d images for %d JPEGs", len(sub.Images), len(files))
	}
	for _, f := range files {
		id := strings.TrimSuffix(filepath.Base(f), ".jpg")
		if sub.Get(id) == nil {
			t.Errorf("submission lacks %s", id)
		}
		if w, h := pngSize(t, filepath.Join(o.overlays, id+".png")); w != 1024 || h != 1024 {
			t.Errorf("overlay of %s is %dx%d", id, w, h)
		}
	}
}
