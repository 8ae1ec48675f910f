package infer

import (
	"context"
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/tensor"
)

func tinyConfig() unet.Config {
	return unet.Config{Encoder: "resnet18", InChannels: 1, Classes: 1, DecoderChannels: []int{16, 8, 8, 8, 8}}
}

// PredictImage takes any image type and predicts what PredictImages
// predicts for its 8-bit grey form.
func TestPredictImageTypes(t *testing.T) {
	m, err := unet.New(tinyConfig(), tensor.NewRNG(7))
	if err != nil {
		t.Fatal(err)
	}
	p := Predictor{Model: m}
	cfg := Config{Size: 32}
	grey, _ := siim.SynthImage(4, 48, true)
	want, err := PredictImages(context.Background(), p, []string{"x"}, []*image.Gray{grey}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The same picture as colour, with a non-zero origin, and as 16 bits
	// spanning 0..65535 (the auto window leaves its 8-bit values alone up
	// to the percentile stretch, so compare that one by size only).
	rgba := image.NewRGBA(image.Rect(10, 20, 58, 68))
	g16 := image.NewGray16(image.Rect(0, 0, 48, 48))
	for y := range 48 {
		for x := range 48 {
			v := grey.GrayAt(x, y).Y
			rgba.Set(10+x, 20+y, color.RGBA{v, v, v, 255})
			g16.SetGray16(x, y, color.Gray16{Y: uint16(v) * 257})
		}
	}
	got, err := PredictImage(context.Background(), p, rgba, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got.Prob {
		if got.Prob[i] != want[0].Prob[i] {
			t.Fatalf("RGBA: probability %d: %v, want %v", i, got.Prob[i], want[0].Prob[i])
		}
	}
	if !got.Mask.Equal(want[0].Mask) {
		t.Error("RGBA: mask differs")
	}
	got, err = PredictImage(context.Background(), p, g16, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got.Mask.H != 48 || got.Mask.W != 48 || len(got.Prob) != 32*32 {
		t.Errorf("Gray16: mask %dx%d, %d probabilities", got.Mask.H, got.Mask.W, len(got.Prob))
	}
	for _, bad := range []image.Image{nil, image.NewGray(image.Rect(0, 0, 0, 5))} {
		if _, err := PredictImage(context.Background(), p, bad, cfg); err == nil || !strings.Contains(err.Error(), "PredictImage") {
			t.Errorf("%v: got %v", bad, err)
		}
	}
}
