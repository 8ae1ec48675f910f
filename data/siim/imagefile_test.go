package siim

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGray8EightBit(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 5, 3))
	for i := range g.Pix {
		g.Pix[i] = uint8(17 * i)
	}
	if Gray8(g) != g {
		t.Error("an *image.Gray at the origin should be returned as it is")
	}
	// A sub-image is copied to the origin.
	sub := g.SubImage(image.Rect(1, 1, 4, 3)).(*image.Gray)
	got := Gray8(sub)
	if got.Bounds() != image.Rect(0, 0, 3, 2) {
		t.Fatalf("bounds %v", got.Bounds())
	}
	for y := range 2 {
		for x := range 3 {
			if got.GrayAt(x, y) != g.GrayAt(x+1, y+1) {
				t.Errorf("(%d,%d): %v, want %v", x, y, got.GrayAt(x, y), g.GrayAt(x+1, y+1))
			}
		}
	}
	// Colour: color.GrayModel's luma.
	c := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for i := range c.Pix {
		c.Pix[i] = uint8(37*i + 11)
	}
	for i := 3; i < len(c.Pix); i += 4 {
		c.Pix[i] = 255
	}
	got = Gray8(c)
	for y := range 4 {
		for x := range 4 {
			want := color.GrayModel.Convert(c.At(x, y)).(color.Gray)
			if got.GrayAt(x, y) != want {
				t.Errorf("colour (%d,%d): %v, want %v", x, y, got.GrayAt(x, y), want)
			}
		}
	}
	// YCbCr (colour JPEG): the Y plane.
	yc := image.NewYCbCr(image.Rect(0, 0, 4, 2), image.YCbCrSubsampleRatio420)
	for i := range yc.Y {
		yc.Y[i] = uint8(30 * i)
	}
	got = Gray8(yc)
	for i, v := range yc.Y {
		if got.Pix[i] != v {
			t.Fatalf("YCbCr pixel %d: %d, want %d", i, got.Pix[i], v)
		}
	}
}

func TestAutoWindowMatchesNumpy(t *testing.T) {
	// numpy.percentile(arange(1000)*4, [0.5, 99.5]) = 19.98, 3976.02, the
	// case data/dicom's display tests check too.
	counts := make([]int, 1<<16)
	for v := range 1000 {
		counts[4*v]++
	}
	lo, hi := autoWindow(counts, 1000)
	if math.Abs(lo-19.98) > 1e-9 || math.Abs(hi-3976.02) > 1e-9 {
		t.Errorf("window %v..%v, want 19.98..3976.02", lo, hi)
	}
}

func TestGray8SixteenBit(t *testing.T) {
	// A 12-bit ramp of 1000 values 0, 4, ..., 3996 in a 16-bit image.
	g := image.NewGray16(image.Rect(0, 0, 40, 25))
	for i := range 1000 {
		g.SetGray16(i%40, i/40, color.Gray16{Y: uint16(4 * i)})
	}
	got := Gray8(g)
	for i := range 1000 {
		v := float64(4 * i)
		want := uint8(max(0, min(255, math.Floor((v-19.98)/(3976.02-19.98)*255+0.5))))
		if p := got.Pix[i]; p != want {
			t.Fatalf("value %v: %d, want %d", v, p, want)
		}
	}
	if got.Pix[0] != 0 || got.Pix[999] != 255 {
		t.Errorf("ends %d, %d; want 0, 255", got.Pix[0], got.Pix[999])
	}
	// 16-bit colour: luma at 16 bits, then the same window.
	c := image.NewRGBA64(g.Bounds())
	for i := range 1000 {
		v := uint16(4 * i)
		c.SetRGBA64(i%40, i/40, color.RGBA64{v, v, v, 0xffff})
	}
	if !bytes.Equal(Gray8(c).Pix, got.Pix) {
		t.Error("grey RGBA64 renders differently from the same Gray16")
	}
	// One value: 0.
	flat := image.NewGray16(image.Rect(0, 0, 3, 3))
	for i := range 9 {
		flat.SetGray16(i%3, i/3, color.Gray16{Y: 1234})
	}
	for _, p := range Gray8(flat).Pix {
		if p != 0 {
			t.Fatalf("constant image: %d, want 0", p)
		}
	}
}

func TestDecodeGray8Formats(t *testing.T) {
	img, _ := SynthImage(3, 64, true)
	// 8-bit grey PNG: exact.
	got, err := DecodeGray8(bytes.NewReader(encodePNG(t, img)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Pix, img.Pix) {
		t.Error("8-bit PNG did not round-trip")
	}
	// Grey JPEG: close.
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	got, err = DecodeGray8(&jb)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for i := range got.Pix {
		sum += math.Abs(float64(got.Pix[i]) - float64(img.Pix[i]))
	}
	if mean := sum / float64(len(got.Pix)); mean > 3 {
		t.Errorf("JPEG: mean abs difference %.2f", mean)
	}
	// 16-bit PNG holding 8-bit values << 4: the window recovers the
	// contrast (not a near-black high byte).
	g16 := image.NewGray16(img.Bounds())
	for i, v := range img.Pix {
		g16.Pix[2*i], g16.Pix[2*i+1] = byte(uint16(v)<<4>>8), byte(uint16(v)<<4)
	}
	got, err = DecodeGray8(bytes.NewReader(encodePNG(t, g16)))
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := uint8(255), uint8(0)
	for _, v := range got.Pix {
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo != 0 || hi != 255 {
		t.Errorf("16-bit PNG: range %d..%d, want the full 0..255", lo, hi)
	}
}

// pngWithSize returns a valid 1x1 PNG whose IHDR claims w x h.
func pngWithSize(t testing.TB, w, h uint32) []byte {
	b := encodePNG(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	// Signature (8), length (4), "IHDR" (4), then width and height.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestDecodeGray8RefusesBeforeAllocating(t *testing.T) {
	b := pngWithSize(t, 100000, 100000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := DecodeGray8(bytes.NewReader(b))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "100000x100000 pixels exceeds the limit") {
		t.Fatalf("got %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Errorf("refusing the image allocated %d bytes", grew)
	}
	for _, bad := range [][]byte{nil, []byte("not an image"), b[:20], pngWithSize(t, 0, 5)} {
		if _, err := DecodeGray8(bytes.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	// A header that agrees with itself but pixel data cut short.
	ok := encodePNG(t, image.NewGray(image.Rect(0, 0, 50, 50)))
	if _, err := DecodeGray8(bytes.NewReader(ok[:len(ok)-20])); err == nil {
		t.Error("truncated PNG: no error")
	}
}

func TestReadGray8FileNamesFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.png")
	if err := os.WriteFile(p, pngWithSize(t, 1<<20, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadGray8File(p)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Errorf("got %v, want an error naming %s and the limit", err, p)
	}
}

// FuzzDecodeGray8: image files from anywhere never panic, and what decodes
// has the size its header gave, within MaxImagePixels; masks alike.
func FuzzDecodeGray8(f *testing.F) {
	img, _ := SynthImage(1, 16, true)
	var jb bytes.Buffer
	jpeg.Encode(&jb, img, nil)
	g16 := image.NewGray16(image.Rect(0, 0, 5, 3))
	g16.Pix[0] = 9
	for _, seed := range [][]byte{encodePNG(f, img), jb.Bytes(), encodePNG(f, g16), encodePNG(f, image.NewNRGBA(image.Rect(0, 0, 3, 2))), pngWithSize(f, 70000, 70000)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := DecodeGray8(bytes.NewReader(b))
		if err != nil {
			return
		}
		r := g.Bounds()
		if r.Min != (image.Point{}) || r.Dx()*r.Dy() > MaxImagePixels || len(g.Pix) < r.Dx()*r.Dy() {
			t.Fatalf("decoded %v with %d bytes", r, len(g.Pix))
		}
		src, err := decodeChecked(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("decodes as grey but not as a mask: %v", err)
		}
		if mk := MaskFromImage(src); mk.W != r.Dx() || mk.H != r.Dy() {
			t.Fatalf("mask %dx%d for image %v", mk.W, mk.H, r)
		}
	})
}
