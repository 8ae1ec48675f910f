package siim

import (
	"image"
	"math"
	"testing"
)

func TestResizeGrayArea(t *testing.T) {
	// 4x4 -> 2x2: each output is the mean of a 2x2 block.
	src := image.NewGray(image.Rect(0, 0, 4, 4))
	copy(src.Pix, []uint8{
		0, 10, 100, 100,
		20, 30, 100, 101,
		255, 255, 0, 0,
		255, 254, 0, 1,
	})
	dst := image.NewGray(image.Rect(0, 0, 2, 2))
	ResizeGray(dst, src)
	want := []uint8{15, 100, 255, 0} // 60/4, 401/4=100.25, 1019/4=254.75, 1/4
	for i, v := range dst.Pix {
		if v != want[i] {
			t.Fatalf("ResizeGray = %v, want %v", dst.Pix, want)
		}
	}
	// A non-integer ratio (3 -> 2) keeps the mean of a constant and of a ramp.
	src = image.NewGray(image.Rect(0, 0, 3, 3))
	for i := range src.Pix {
		src.Pix[i] = uint8(30 * (i % 3))
	}
	dst = image.NewGray(image.Rect(0, 0, 2, 2))
	ResizeGray(dst, src)
	// Row of 0, 30, 60: left output covers [0, 1.5): (0 + 0.5*30)/1.5 = 10; right 50.
	if dst.Pix[0] != 10 || dst.Pix[1] != 50 || dst.Pix[2] != 10 || dst.Pix[3] != 50 {
		t.Errorf("3->2 ramp = %v, want [10 50 10 50]", dst.Pix)
	}
	// A sub-image with a stride and offset reads the right pixels.
	big := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range big.Pix {
		big.Pix[i] = 7
	}
	sub := big.SubImage(image.Rect(2, 2, 6, 6)).(*image.Gray)
	sub.Pix[0] = 11
	d := ResizeGraySquare(sub, 1)
	if d.Pix[0] != 7 { // (11 + 15*7)/16 = 7.25
		t.Errorf("sub-image resize = %d, want 7", d.Pix[0])
	}
}

func TestResizeMask(t *testing.T) {
	src := NewMask(1024, 1024)
	// A 100x200 rectangle at rows 100..199, columns 300..499.
	for y := 100; y < 200; y++ {
		for x := 300; x < 500; x++ {
			src.Pix[y*1024+x] = 1
		}
	}
	for _, s := range []int{512, 256, 128, 100} {
		n, a := NewMask(s, s), NewMask(s, s)
		ResizeMaskNearest(n, src)
		ResizeMaskArea(a, src, 0.5)
		want := 20000 * float64(s*s) / (1024 * 1024)
		for name, m := range map[string]*Mask{"nearest": n, "area": a} {
			if got := float64(m.Count()); math.Abs(got-want) > 2*float64(s)*200/1024+2 {
				t.Errorf("%s %d: %v pixels, want about %v", name, s, got, want)
			}
		}
	}
	// Area with a low threshold keeps a one-pixel line that nearest can lose.
	line := NewMask(8, 8)
	for y := range 8 {
		line.Pix[y*8+0] = 1
	}
	n, a := NewMask(2, 2), NewMask(2, 2)
	ResizeMaskNearest(n, line)
	ResizeMaskArea(a, line, 0.2)
	if n.Count() != 0 || a.Count() != 2 {
		t.Errorf("thin line: nearest %v area(0.2) %v; want 0 and 2 pixels", n.Pix, a.Pix)
	}
}

func TestNormalize(t *testing.T) {
	x := make([]float32, 3)
	ToUnit(x, []uint8{0, 255, 51})
	Normalize(x, DefaultMean, DefaultStd)
	want := []float32{-2, 2, -1.2}
	for i := range x {
		if math.Abs(float64(x[i]-want[i])) > 1e-6 {
			t.Fatalf("normalised %v, want %v", x, want)
		}
	}
	img := image.NewGray(image.Rect(0, 0, 2, 1))
	img.Pix[0], img.Pix[1] = 0, 255
	m, s := PixelStats([]*image.Gray{img})
	if math.Abs(m-0.5) > 1e-12 || math.Abs(s-0.5) > 1e-12 {
		t.Errorf("PixelStats = %v, %v; want 0.5, 0.5", m, s)
	}
}
