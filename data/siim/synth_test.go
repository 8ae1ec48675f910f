package siim

import (
	"bytes"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom"
)

func TestSynthImageDeterministic(t *testing.T) {
	a, am := SynthImage(3, 64, true)
	b, bm := SynthImage(3, 64, true)
	if !bytes.Equal(a.Pix, b.Pix) || !am.Equal(bm) {
		t.Fatal("same seed, different images")
	}
	c, _ := SynthImage(4, 64, true)
	if bytes.Equal(a.Pix, c.Pix) {
		t.Fatal("different seeds, same image")
	}
	if am.Empty() {
		t.Error("positive image with an empty mask")
	}
	if _, m := SynthImage(3, 64, false); !m.Empty() {
		t.Error("negative image with a non-empty mask")
	}
}

// The mask lies inside the lung fields, and the pneumothorax is darker
// and smoother than the rest of its lung, yet no darker than the darker
// half of normal lung pixels.
func TestSynthPneumothoraxLooksRight(t *testing.T) {
	const s = 256
	for seed := range uint64(6) {
		img, m, lungs := synthImage(seed, s, true)
		var inPTX, inLung []float64
		for i, p := range m.Pix {
			if p != 0 {
				if lungs.Pix[i] == 0 {
					t.Fatalf("seed %d: mask pixel %d outside the lungs", seed, i)
				}
				inPTX = append(inPTX, float64(img.Pix[i]))
			} else if lungs.Pix[i] != 0 {
				inLung = append(inLung, float64(img.Pix[i]))
			}
		}
		frac := float64(len(inPTX)) / float64(s*s)
		if frac < 0.002 || frac > 0.08 {
			t.Errorf("seed %d: pneumothorax covers %.2f%% of the image", seed, 100*frac)
		}
		mp, sp := meanStd(inPTX)
		ml, sl := meanStd(inLung)
		if mp >= ml || sp >= sl {
			t.Errorf("seed %d: pneumothorax mean/std %.1f/%.1f vs lung %.1f/%.1f: want darker and smoother", seed, mp, sp, ml, sl)
		}
		darker := 0
		for _, v := range inLung {
			if v <= mp {
				darker++
			}
		}
		if f := float64(darker) / float64(len(inLung)); f < 0.10 {
			t.Errorf("seed %d: only %.1f%% of normal lung is as dark as the pneumothorax", seed, 100*f)
		}
	}
}

func meanStd(v []float64) (float64, float64) {
	var s, s2 float64
	for _, x := range v {
		s += x
		s2 += x * x
	}
	n := float64(len(v))
	m := s / n
	return m, sqrt(s2/n - m*m)
}

func sqrt(x float64) float64 {
	if x <= 0 {
		return 0
	}
	z := x
	for range 40 {
		z = (z + x/z) / 2
	}
	return z
}

// A plain global threshold does poorly: its best mean Dice over positive
// images (threshold chosen on the same images) stays low, and its
// competition score is far below predicting nothing.
func TestSynthThresholdBaselineFails(t *testing.T) {
	const n, s = 24, 128
	pos := SynthPositives(n, 0.5, 2)
	var imgs []*image.Gray
	var masks []*Mask
	for i := range n {
		img, m := SynthImage(uint64(100+i), 2*s, pos[i])
		sm := NewMask(s, s)
		ResizeMaskArea(sm, m, 0.5)
		imgs = append(imgs, ResizeGraySquare(img, s))
		masks = append(masks, sm)
	}
	r := ThresholdBaseline(imgs, masks)
	t.Logf("threshold baseline at %d: %+v", s, r)
	if r.EmptyScore != 0.5 {
		t.Errorf("empty score %v, want 0.5", r.EmptyScore)
	}
	if r.PositiveDice > 0.3 || r.Score >= r.EmptyScore {
		t.Errorf("threshold baseline too good: %+v", r)
	}
}

func TestThresholdBaselineKnown(t *testing.T) {
	// One 2x2 image: pixels 10, 20, 30, 40; mask on the two darkest.
	img := image.NewGray(image.Rect(0, 0, 2, 2))
	copy(img.Pix, []uint8{10, 20, 30, 40})
	m := &Mask{H: 2, W: 2, Pix: []uint8{1, 1, 0, 0}}
	empty := image.NewGray(image.Rect(0, 0, 2, 2))
	copy(empty.Pix, []uint8{200, 200, 200, 200})
	r := ThresholdBaseline([]*image.Gray{img, empty}, []*Mask{m, NewMask(2, 2)})
	if r.T != 21 || r.PositiveDice != 1 || r.Score != 1 || r.EmptyScore != 0.5 {
		t.Errorf("got %+v, want T 21, positive Dice 1, score 1, empty 0.5", r)
	}
}

func TestSynthPositives(t *testing.T) {
	p := SynthPositives(200, 0.22, 1)
	n := 0
	for _, b := range p {
		if b {
			n++
		}
	}
	if n != 44 {
		t.Errorf("%d positives of 200, want 44", n)
	}
}

// WriteSynth writes the stage-1 layout that Open, the CSV reader and the
// DICOM reader take back.
func TestWriteSynthStage1Layout(t *testing.T) {
	dir := t.TempDir()
	sum, err := WriteSynth(dir, SynthConfig{N: 9, Size: 64, Seed: 5, PositiveFraction: 0.34})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Positives != 3 || len(sum.Images) != 9 {
		t.Fatalf("summary %+v", sum)
	}
	csv, err := os.ReadFile(filepath.Join(dir, "train-rle.csv"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(csv)
	if !strings.HasPrefix(text, "ImageId, EncodedPixels\n") || !strings.Contains(text, ", -1\n") {
		t.Errorf("train-rle.csv starts %q", text[:min(len(text), 120)])
	}
	for _, p := range sum.Images {
		rel, _ := filepath.Rel(dir, p)
		parts := strings.Split(rel, string(filepath.Separator))
		if len(parts) != 4 || parts[0] != "dicom-images-train" || !strings.HasSuffix(parts[3], ".dcm") ||
			!strings.HasPrefix(parts[1], "1.2.276.0.7230010.3.1.2.") || !strings.HasPrefix(parts[2], "1.2.276.0.7230010.3.1.3.") {
			t.Errorf("path %s is not dicom-images-train/<study>/<series>/<sop>.dcm", rel)
		}
	}
	d, err := Open(filepath.Join(dir, "dicom-images-train"), filepath.Join(dir, "train-rle.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 9 || len(d.Unlabelled) != 0 || len(d.Missing) != 0 {
		t.Fatalf("dataset: %d items, unlabelled %v, missing %v", d.Len(), d.Unlabelled, d.Missing)
	}
	pos := SynthPositives(9, 0.34, 5)
	for i, id := range sum.IDs {
		want, wm := SynthImage(mixSeed(5, uint64(i), 0x1ab), 64, pos[i])
		k := -1
		for j := range d.Items {
			if d.Items[j].ID == id {
				k = j
			}
		}
		img, m, err := d.Load(k)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Equal(wm) {
			t.Errorf("image %d: mask read back differs", i)
		}
		var diff float64
		for p := range img.Pix {
			diff += absf(float64(img.Pix[p]) - float64(want.Pix[p]))
		}
		if diff /= float64(len(img.Pix)); diff > 4 {
			t.Errorf("image %d: mean JPEG error %.2f", i, diff)
		}
		f, err := dicom.ReadFile(sum.Images[i])
		if err != nil {
			t.Fatal(err)
		}
		_ = f
	}
}

func absf(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
