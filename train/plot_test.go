package train

import (
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteChartsPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "curves.png")
	red := color.RGBA{220, 40, 40, 255}
	blue := color.RGBA{40, 40, 220, 255}
	charts := []Chart{
		{Title: "loss", Series: []Series{{Name: "train", Color: red, X: []float64{1, 2, 3}, Y: []float64{0.9, 0.5, 0.3}}}},
		{Title: "val dice", Series: []Series{{Name: "dice", Color: blue, X: []float64{1, 2, 3}, Y: []float64{0.5, 0.7, 0.8}}}},
	}
	if err := WriteChartsPNG(path, charts, 320, 240); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 640 || b.Dy() != 240 {
		t.Fatalf("size %v, want 640x240", b)
	}
	// Both series must have been drawn in their colours.
	found := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			found[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}] = true
		}
	}
	if !found[red] || !found[blue] {
		t.Fatalf("series colours missing: red %v blue %v", found[red], found[blue])
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("atomic write left %d files, want 1", len(entries))
	}
}
