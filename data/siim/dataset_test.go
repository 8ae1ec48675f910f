package siim

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom"
)

// writeDCM writes a small 8-bit secondary-capture DICOM whose pixels are
// v + x (mod 256).
func writeDCM(t testing.TB, path, id string, size int, v uint8) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = v + uint8(i%size)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	meta := dicom.SecondaryCapture{SOPInstanceUID: id, StudyInstanceUID: id + ".1", SeriesInstanceUID: id + ".2", PatientID: "p", Quality: 95}
	if err := dicom.WriteJPEGSecondaryCapture(f, img, meta); err != nil {
		t.Fatal(err)
	}
}

func TestScanJoinBothLayouts(t *testing.T) {
	labels := "ImageId, EncodedPixels\n1.1, -1\n1.2, 0 16\n1.3, -1\n9.9, 4 4\n"
	ls, err := ReadLabels(strings.NewReader(labels), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	stage1 := t.TempDir()
	writeDCM(t, filepath.Join(stage1, "dicom-images-train", "1.2.s", "1.2.r", "1.2.dcm"), "1.2", 16, 10)
	writeDCM(t, filepath.Join(stage1, "dicom-images-train", "1.1.s", "1.1.r", "1.1.dcm"), "1.1", 16, 20)
	writeDCM(t, filepath.Join(stage1, "dicom-images-train", "7.7.s", "7.7.r", "7.7.dcm"), "7.7", 16, 30)
	writeDCM(t, filepath.Join(stage1, "dicom-images-train", "1.3.s", "1.3.r", "1.3.dcm"), "1.3", 16, 40)
	flat := t.TempDir()
	for _, id := range []string{"1.3", "7.7", "1.2", "1.1"} {
		writeDCM(t, filepath.Join(flat, id+".dcm"), id, 16, 50)
	}
	for _, dir := range []string{stage1, flat} {
		files, err := ScanDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		d := Join(files, ls)
		var ids []string
		for _, it := range d.Items {
			ids = append(ids, it.ID)
		}
		if got := strings.Join(ids, " "); got != "1.1 1.2 1.3" {
			t.Errorf("%s: items %q, want sorted 1.1 1.2 1.3", dir, got)
		}
		if len(d.Unlabelled) != 1 || d.Unlabelled[0].ID != "7.7" || len(d.Missing) != 1 || d.Missing[0] != "9.9" {
			t.Errorf("unlabelled %v missing %v, want [7.7] [9.9]", d.Unlabelled, d.Missing)
		}
		img, m, err := d.Load(1)
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds().Dx() != 16 || m.H != 16 || m.Count() != 16 || !d.Positive(1) || d.Positive(0) {
			t.Errorf("item 1: %v, mask %d px", img.Bounds(), m.Count())
		}
	}
	// A duplicate ID in two folders is an error.
	writeDCM(t, filepath.Join(stage1, "other", "1.1.dcm"), "1.1", 16, 0)
	if _, err := ScanDir(stage1); err == nil || !strings.Contains(err.Error(), "found twice") {
		t.Errorf("duplicate id: %v", err)
	}
	// A corrupt file's error names it.
	bad := filepath.Join(flat, "1.2.dcm")
	os.WriteFile(bad, []byte("not a dicom file"), 0o644)
	files, _ := ScanDir(flat)
	d := Join(files, ls)
	if _, _, err := d.Load(1); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("corrupt file error %v does not name %s", err, bad)
	}
}

func TestStratifiedFolds(t *testing.T) {
	pos := make([]bool, 103)
	for i := range pos {
		pos[i] = i%5 == 0 || i%7 == 0 // 35 positive
	}
	for _, k := range []int{2, 5, 10} {
		f := StratifiedFolds(pos, k, 42)
		sizes, psz := make([]int, k), make([]int, k)
		for i, g := range f {
			sizes[g]++
			if pos[i] {
				psz[g]++
			}
		}
		if spread(sizes) > 1 || spread(psz) > 1 {
			t.Errorf("k=%d: fold sizes %v positives %v: not stratified", k, sizes, psz)
		}
		if g := StratifiedFolds(pos, k, 42); fmt.Sprint(g) != fmt.Sprint(f) {
			t.Errorf("k=%d: same seed, different folds", k)
		}
		if g := StratifiedFolds(pos, k, 43); fmt.Sprint(g) == fmt.Sprint(f) {
			t.Errorf("k=%d: different seeds, same folds", k)
		}
		train, val := SplitFold(f, 1)
		if len(train)+len(val) != len(pos) || len(val) != sizes[1] {
			t.Errorf("k=%d: split %d + %d", k, len(train), len(val))
		}
	}
}

func spread(v []int) int {
	lo, hi := v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	return hi - lo
}

func TestSampler(t *testing.T) {
	pos := make([]bool, 100)
	for i := range 20 {
		pos[i*5] = true
	}
	s := &Sampler{Positive: pos, Seed: 3}
	for _, frac := range []float64{0.8, 0.5, 0.2} {
		e := s.Epoch(0, frac, 60)
		np := 0
		for _, i := range e {
			if pos[i] {
				np++
			}
		}
		if len(e) != 60 || np != int(frac*60+0.5) {
			t.Errorf("frac %v: %d samples, %d positive", frac, len(e), np)
		}
	}
	// 0.8 of 60 = 48 positives from 20: every positive drawn 2 or 3 times.
	counts := map[int]int{}
	for _, i := range s.Epoch(1, 0.8, 60) {
		counts[i]++
	}
	for i, c := range counts {
		if pos[i] && (c < 2 || c > 3) {
			t.Errorf("positive %d drawn %d times, want 2-3", i, c)
		}
	}
	if fmt.Sprint(s.Epoch(2, 0.5, 0)) != fmt.Sprint(s.Epoch(2, 0.5, 0)) {
		t.Error("same epoch, different samples")
	}
	if fmt.Sprint(s.Epoch(2, 0.5, 0)) == fmt.Sprint(s.Epoch(3, 0.5, 0)) {
		t.Error("different epochs, same samples")
	}
	if p := s.Epoch(0, -1, 0); len(p) != 100 {
		t.Errorf("natural epoch has %d items", len(p))
	}
}
