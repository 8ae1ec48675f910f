package chart_test

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"log"
	"math"

	"github.com/lungo-ml/lungo/internal/chart"
)

func ExampleRender() {
	epochs := []float64{1, 2, 3, 4, 5}
	panels := []chart.Panel{
		{Title: "Loss", XLabel: "epoch", YLabel: "Dice + BCE", MarkX: 4, MarkLabel: "best epoch 4", Series: []chart.Series{
			{Name: "train", Color: color.RGBA{31, 119, 180, 255}, X: epochs, Y: []float64{0.9, 0.6, 0.45, 0.4, 0.38}},
			{Name: "validation", Color: color.RGBA{255, 127, 14, 255}, X: epochs, Y: []float64{0.95, 0.7, 0.55, 0.5, 0.52}},
		}},
		{Title: "Validation Dice", XLabel: "epoch", MarkX: math.NaN(), Series: []chart.Series{
			{Name: "Dice", Color: color.RGBA{44, 160, 44, 255}, X: epochs, Y: []float64{0.3, math.NaN(), 0.6, 0.7, 0.68}},
		}},
	}
	img, err := chart.Render(panels, 480, 320)
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer // or a file: training curves as a PNG
	if err := png.Encode(&buf, img); err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.Bounds().Dx(), "x", img.Bounds().Dy())
	// Output: 960 x 320
}
