package infer_test

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"

	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/infer"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/tensor"
)

// Predicting one radiograph with a checkpoint: the model sees it at
// Config.Size, the mask comes back at the image's own size (here 80x64),
// post-processed by the triplet, and is written as a mask PNG and an
// overlay. A program that does only this links no trainer.
func ExamplePredictImage() {
	dir, err := os.MkdirTemp("", "infer-example-")
	check(err)
	defer os.RemoveAll(dir)
	// A stand-in for a trained checkpoint: a small U-Net saved as lungo
	// checkpoints are.
	m, err := unet.New(unet.Config{Encoder: "resnet18", InChannels: 1, Classes: 1,
		DecoderChannels: []int{16, 8, 8, 8, 8}}, tensor.NewRNG(1))
	check(err)
	weights := filepath.Join(dir, "final.lungo")
	check(m.SaveCheckpoint(weights, nil))

	model, err := unet.Open(weights, nil)
	check(err)
	img, _ := siim.SynthImage(3, 80, true) // 80x80 grey
	img = img.SubImage(image.Rect(0, 0, 80, 64)).(*image.Gray)
	r, err := infer.PredictImage(context.Background(), infer.Predictor{Model: model, TTA: true}, img,
		infer.Config{Size: 64, Triplet: infer.Triplet{Top: 0.75, MinArea: 40, Bottom: 0.4}})
	check(err)
	fmt.Printf("%d probabilities (64x64), mask %dx%d\n", len(r.Prob), r.Mask.W, r.Mask.H)
	check(infer.WriteMaskPNG(filepath.Join(dir, "mask.png"), r.Mask))
	check(infer.WriteOverlayPNG(filepath.Join(dir, "overlay.png"), img, r.Mask, nil))
	for _, name := range []string{"mask.png", "overlay.png"} {
		f, err := os.Open(filepath.Join(dir, name))
		check(err)
		c, _, err := image.DecodeConfig(f)
		f.Close()
		check(err)
		fmt.Printf("%s %dx%d\n", name, c.Width, c.Height)
	}
	// Output:
	// 4096 probabilities (64x64), mask 80x64
	// mask.png 80x64
	// overlay.png 80x64
}

// The triplet calls an image positive only when enough pixels are
// confident, then keeps every pixel above the lower threshold.
func ExampleTriplet_Apply() {
	prob := []float32{0.95, 0.9, 0.6, 0.45, 0.1, 0.3}
	mask := make([]uint8, len(prob))
	for _, t := range []infer.Triplet{
		{Top: 0.5, Bottom: 0.5},              // a plain threshold
		{Top: 0.85, MinArea: 2, Bottom: 0.4}, // two confident pixels: positive
		{Top: 0.85, MinArea: 3, Bottom: 0.4}, // too few: negative, empty mask
	} {
		pos := t.Apply(mask, prob)
		fmt.Println(t, pos, mask)
	}
	// Output:
	// top=0.50 min_area=0 bottom=0.50 true [1 1 1 0 0 0]
	// top=0.85 min_area=2 bottom=0.40 true [1 1 1 1 0 0]
	// top=0.85 min_area=3 bottom=0.40 false [0 0 0 0 0 0]
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}
