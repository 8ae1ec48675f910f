package main

import (
	"context"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/infer"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/tensor"
)

// lungo convert -dtype bf16 writes a half-size checkpoint, and lungo
// predict -images -precision bf16 on it writes the submission that a direct
// bf16 prediction of the same images gives (the clinical input paths run in
// reduced precision, not only raw mode).
func TestConvertBF16ThenPredictImagesBF16(t *testing.T) {
	images := sharedPath(t, "siim-real/images")
	dir := t.TempDir()
	full, half := filepath.Join(dir, "m.lungo"), filepath.Join(dir, "m-bf16.lungo")
	m := unet.MustNew(unet.Config{Encoder: "resnet18", InChannels: 1, Classes: 1, DecoderChannels: []int{16, 8, 8, 8, 8}}, tensor.NewRNG(1))
	if err := m.SaveCheckpoint(full, nil); err != nil {
		t.Fatal(err)
	}
	if err := runConvert([]string{"-in", full, "-out", half, "-dtype", "bf16"}); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(full)
	hi, _ := os.Stat(half)
	if r := float64(hi.Size()) / float64(fi.Size()); r > 0.52 {
		t.Errorf("bf16 checkpoint is %.2f of the float32 one", r)
	}
	if err := runConvert([]string{"-in", full, "-out", half + "x", "-dtype", "int4"}); err == nil || !strings.Contains(err.Error(), "int4") {
		t.Errorf("-dtype int4: %v", err)
	}

	sub := filepath.Join(dir, "sub.csv")
	probs := filepath.Join(dir, "npy")
	if err := runPredict([]string{"-weights", half, "-images", images, "-size", "64", "-precision", "bf16", "-submission", sub, "-npy", probs}); err != nil {
		t.Fatal(err)
	}
	got, err := siim.ReadLabelsFile(sub, 1024, 1024)
	if err != nil {
		t.Fatal(err)
	}

	hm := mustOpen(t, half)
	bf, err := unet.NewBF16(hm)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(images, "*.jpg"))
	ids, imgs := []string{}, []*image.Gray{}
	for _, f := range files {
		img, err := siim.ReadGray8File(f)
		if err != nil {
			t.Fatal(err)
		}
		ids, imgs = append(ids, strings.TrimSuffix(filepath.Base(f), ".jpg")), append(imgs, img)
	}
	want, err := infer.PredictImages(context.Background(), infer.Predictor{Model: hm, Reduced: bf, TTA: true}, ids, imgs, infer.Config{Size: 64, Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	fp32, err := infer.PredictImages(context.Background(), infer.Predictor{Model: hm, TTA: true}, ids, imgs, infer.Config{Size: 64, Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Images) != len(want) || len(want) == 0 {
		t.Fatalf("submission has %d images, want %d", len(got.Images), len(want))
	}
	for _, r := range want {
		g := got.Get(r.ID)
		if g == nil {
			t.Fatalf("submission lacks %s", r.ID)
		}
		gm, err := g.Mask(r.Mask.H, r.Mask.W)
		if err != nil {
			t.Fatal(err)
		}
		if siim.EncodeRLE(r.Mask) != siim.EncodeRLE(gm) {
			t.Errorf("%s: the submission's mask (area %d) is not the direct bf16 prediction's (area %d)", r.ID, gm.Count(), r.Mask.Count())
		}
	}
	// The probabilities are bf16's to the bit, and not float32's.
	for i, r := range want {
		p, err := readNPY(filepath.Join(probs, r.ID+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		same32 := true
		for j, v := range p.Data {
			if v != r.Prob[j] {
				t.Fatalf("%s: probability %d is %g, the direct bf16 prediction %g", r.ID, j, v, r.Prob[j])
			}
			same32 = same32 && v == fp32[i].Prob[j]
		}
		if same32 {
			t.Errorf("%s: bf16 probabilities equal float32's: did bf16 run?", r.ID)
		}
	}
}

// lungo demo -precision int8 predicts the held-out fold in int8
// (calibrated on training images) and reports float32's Dice beside it,
// with the distance between the two precisions' probabilities and masks:
// close, but not equal (equal would mean int8 never ran).
func TestDemoPrecisionInt8(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo")
	stdout, stderr, code := lungoOut(t, "demo", "-n", "40", "-epochs", "1", "-out", out, "-precision", "int8")
	if code != 0 {
		t.Fatalf("lungo demo -precision int8: exit %d\n%s", code, stderr)
	}
	var dice, dice32, dp, maskDice float64
	var calibrated int
	for _, line := range strings.Split(stdout, "\n") {
		switch {
		case strings.HasPrefix(line, "held-out dice: "):
			fmt.Sscanf(line, "held-out dice: %f (int8)", &dice)
		case strings.HasPrefix(line, "held-out dice fp32: "):
			fmt.Sscanf(line, "held-out dice fp32: %f (the outputs come from int8, calibrated on %d training images)", &dice32, &calibrated)
		case strings.HasPrefix(line, "int8 vs fp32 on the held-out images: "):
			fmt.Sscanf(line, "int8 vs fp32 on the held-out images: mean |p - p32| %g, mask dice %f", &dp, &maskDice)
		}
	}
	if calibrated == 0 || dice32 == 0 || maskDice == 0 {
		t.Fatalf("the report lacks the comparison lines:\n%s", stdout)
	}
	if dp <= 0 || dp > 0.02 || maskDice < 0.9 || math.Abs(dice-dice32) > 0.1 {
		t.Errorf("int8 against fp32: mean |dp| %g, mask Dice %.4f, held-out Dice %.4f vs %.4f\n%s", dp, maskDice, dice, dice32, stdout)
	}
	// The submission is int8's: it scores int8's held-out Dice.
	var scored float64
	for _, line := range strings.Split(stdout, "\n") {
		if _, rest, ok := strings.Cut(line, " scores "); ok && strings.HasPrefix(line, "submission ") {
			fmt.Sscanf(rest, "%f", &scored)
		}
	}
	if math.Abs(scored-dice) > 1e-4 {
		t.Errorf("the submission scores %.4f, int8's held-out Dice is %.4f", scored, dice)
	}
}
