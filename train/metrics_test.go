package train

import (
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/infer"
)

// EpochInfo writes NaN scores (no validation) as null and reads them back
// as NaN, so a resumed run's history equals a straight run's.
func TestEpochInfoJSON(t *testing.T) {
	tr := infer.Triplet{Top: 0.75, MinArea: 40, Bottom: 0.4}
	for _, e := range []EpochInfo{
		{Epoch: 1, TrainLoss: 0.8, ValDice: 0.61, ValDicePost: 0.7, ValTriplet: &tr, LR: 1e-3, Best: true},
		{Epoch: 2, TrainLoss: 0.5, ValDice: math.NaN(), ValDicePost: math.NaN()},
	} {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if math.IsNaN(e.ValDice) && (!strings.Contains(string(b), `"val_dice":null`) || !strings.Contains(string(b), `"val_dice_post":null`)) {
			t.Errorf("NaN scores not written as null: %s", b)
		}
		var back EpochInfo
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
		if back.Epoch != e.Epoch || back.TrainLoss != e.TrainLoss || !same(back.ValDice, e.ValDice) ||
			!same(back.ValDicePost, e.ValDicePost) || back.LR != e.LR || back.Best != e.Best ||
			(back.ValTriplet == nil) != (e.ValTriplet == nil) || e.ValTriplet != nil && *back.ValTriplet != *e.ValTriplet {
			t.Errorf("round trip of %+v gave %+v (%s)", e, back, b)
		}
	}
}

// writeMetrics writes one JSON line per epoch and curves.png with a loss
// panel and, when the run validates, a Dice panel holding both Dice curves.
func TestWriteMetricsCurves(t *testing.T) {
	for _, validated := range []bool{true, false} {
		dir := t.TempDir()
		f := &fitter{cfg: Config{Dir: dir}}
		for e := 1; e <= 4; e++ {
			info := EpochInfo{Epoch: e, TrainLoss: 1 / float64(e), ValDice: math.NaN(), ValDicePost: math.NaN()}
			if validated {
				info.ValDice, info.ValDicePost = 0.2*float64(e), 0.2*float64(e)+0.1
			}
			f.st.History = append(f.st.History, info)
		}
		f.st.BestEpoch = 4
		if err := f.writeMetrics(); err != nil {
			t.Fatal(err)
		}

		js, err := os.ReadFile(filepath.Join(dir, MetricsFile))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(js), "\n"); n != 4 {
			t.Errorf("validated=%v: %d metrics lines, want 4", validated, n)
		}
		img := decodePNG(t, filepath.Join(dir, CurvesFile))
		panels := 1
		if validated {
			panels = 2
		}
		if b := img.Bounds(); b.Dx() != panels*curvesWidth || b.Dy() != curvesHeight {
			t.Fatalf("validated=%v: curves.png is %v, want %d panels of %dx%d", validated, b, panels, curvesWidth, curvesHeight)
		}
		// The loss is drawn in the first panel; both Dice curves only in
		// the second.
		for _, c := range []struct {
			col   color.RGBA
			panel int
		}{{colorLoss, 0}, {colorDice, 1}, {colorDicePost, 1}} {
			for p := range panels {
				n := countNear(img, image.Rect(p*curvesWidth, 0, (p+1)*curvesWidth, curvesHeight), c.col)
				if want := p == c.panel; (n > 0) != want {
					t.Errorf("validated=%v: %d pixels of %v in panel %d", validated, n, c.col, p)
				}
			}
		}
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// countNear counts the pixels of r within 24 of c in every channel.
func countNear(img image.Image, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if near(p.R, c.R) && near(p.G, c.G) && near(p.B, c.B) {
				n++
			}
		}
	}
	return n
}

func near(a, b uint8) bool { return max(a, b)-min(a, b) < 24 }
