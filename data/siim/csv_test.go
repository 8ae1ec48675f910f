package siim

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadLabelsSample(t *testing.T) {
	dir := sharedDir(t)
	ls, err := ReadLabelsFile(filepath.Join(dir, "train-rle-sample.csv"), DefaultSize, DefaultSize)
	if err != nil {
		t.Fatal(err)
	}
	if ls.Format != Sample {
		t.Errorf("format = %v, want sample", ls.Format)
	}
	if len(ls.Images) != 10 {
		t.Fatalf("%d images, want 10", len(ls.Images))
	}
	var counts []int
	for _, l := range ls.Images {
		if !l.Positive() {
			continue
		}
		m, err := l.Mask(DefaultSize, DefaultSize)
		if err != nil {
			t.Fatal(err)
		}
		counts = append(counts, m.Count())
	}
	want := []int{9418, 29079, 2486, 5232, 2071}
	if len(counts) != len(want) {
		t.Fatalf("positive pixel counts %v, want %v", counts, want)
	}
	for i := range want {
		if counts[i] != want[i] {
			t.Errorf("positive pixel counts %v, want %v", counts, want)
			break
		}
	}
}

func TestReadLabelsStage2Union(t *testing.T) {
	dir := sharedDir(t)
	ls, err := ReadLabelsFile(filepath.Join(dir, "stage_2_train_excerpt.csv"), DefaultSize, DefaultSize)
	if err != nil {
		t.Fatal(err)
	}
	if ls.Format != Stage2 || len(ls.Images) != 252 || ls.Positives() != 77 {
		t.Fatalf("format %v, %d images, %d positive; want stage2, 252, 77", ls.Format, len(ls.Images), ls.Positives())
	}
	const id = "1.2.276.0.7230010.3.1.4.8323329.3071.1517875175.918594"
	l := ls.Get(id)
	if l == nil || len(l.RLEs) != 4 {
		t.Fatalf("image %s: %v, want 4 rows", id, l)
	}
	sum := 0
	for _, s := range l.RLEs {
		m, err := DecodeRLE(s, DefaultSize, DefaultSize)
		if err != nil {
			t.Fatal(err)
		}
		sum += m.Count()
	}
	u, err := l.Mask(DefaultSize, DefaultSize)
	if err != nil {
		t.Fatal(err)
	}
	if sum != 121544 || u.Count() != 73665 {
		t.Errorf("sum of rows %d, union %d; want 121544, 73665", sum, u.Count())
	}
}

func TestReadLabelsDialects(t *testing.T) {
	rows := []struct{ name, text string }{
		{"stage1", "ImageId, EncodedPixels\r\na, -1\r\nb, 1 2 3 1\r\nb, 0 1\r\n"},
		{"stage2", "ImageId,EncodedPixels\na,-1\nb,1 2 3 1\nb,0 1"},
		{"sample-bom", "\ufefffname,mask\na,-1\n\nb, 1 2 3 1\nb,0 1\n"},
		{"quoted", "\"ImageId\",\"EncodedPixels\"\n\"a\",\"-1\"\n\"b\",\"1 2 3 1\"\nb,0 1\n"},
	}
	want := map[Format]bool{Stage1: true, Stage2: true, Sample: true}
	for _, r := range rows {
		ls, err := ReadLabels(strings.NewReader(r.text), 3, 4)
		if err != nil {
			t.Errorf("%s: %v", r.name, err)
			continue
		}
		if !want[ls.Format] {
			t.Errorf("%s: format %v", r.name, ls.Format)
		}
		if len(ls.Images) != 2 || ls.Images[0].ImageID != "a" || ls.Images[0].Positive() {
			t.Errorf("%s: images %+v", r.name, ls.Images)
			continue
		}
		m, err := ls.Get("b").Mask(3, 4)
		if err != nil || m.Count() != 4 || m.Pix[0] != 1 {
			t.Errorf("%s: union of b = %v, %v; want 4 pixels including (0,0)", r.name, m, err)
		}
	}
}

func TestReadLabelsErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{"", "no header"},
		{"id,rle\na,-1\n", "line 1: unknown header"},
		{"ImageId,EncodedPixels\na,-1\nb\n", "line 3: want 2"},
		{"ImageId,EncodedPixels\na,-1,3\n", "line 2: want 2 comma-separated fields, found 3"},
		{"ImageId,EncodedPixels\na,-1\nb,1 2 3\n", "line 3: image b: siim: rle: odd number"},
		{"ImageId,EncodedPixels\na,1 x\n", "line 2: image a: siim: rle: token 2 (\"x\"): not an integer"},
		{"ImageId,EncodedPixels\na,10 3\n", "line 2: image a: siim: rle: token 2"},
		{"ImageId,EncodedPixels\n,1 1\n", "line 2: empty image id"},
	}
	for _, c := range cases {
		_, err := ReadLabels(strings.NewReader(c.text), 3, 4)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadLabels(%q) error = %v, want it to contain %q", c.text, err, c.want)
		}
	}
	// Without a size only the syntax is checked.
	if _, err := ReadLabels(strings.NewReader("ImageId,EncodedPixels\na,10 3\n"), 0, 0); err != nil {
		t.Errorf("size-free read: %v", err)
	}
}

func TestSubmissionRoundTrip(t *testing.T) {
	var preds []Prediction
	for i, s := range []string{"-1", "0 12", "1 2 3 1", "11 1", "-1"} {
		m, err := DecodeRLE(s, 3, 4)
		if err != nil {
			t.Fatal(err)
		}
		preds = append(preds, Prediction{ImageID: "img" + string(rune('a'+i)), Mask: m})
	}
	preds = append(preds, Prediction{ImageID: "nil-mask"})
	var buf bytes.Buffer
	if err := WriteSubmission(&buf, preds); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "ImageId,EncodedPixels\nimga,-1\nimgb,0 12\n") {
		t.Errorf("submission starts %q", buf.String()[:40])
	}
	ls, err := ReadLabels(&buf, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls.Images) != len(preds) {
		t.Fatalf("%d images read back, want %d", len(ls.Images), len(preds))
	}
	for i, p := range preds {
		l := ls.Images[i]
		m, err := l.Mask(3, 4)
		if err != nil || l.ImageID != p.ImageID {
			t.Fatalf("row %d: %s %v", i, l.ImageID, err)
		}
		want := p.Mask
		if want == nil {
			want = NewMask(3, 4)
		}
		if !m.Equal(want) {
			t.Errorf("row %d (%s): mask %v, want %v", i, p.ImageID, m.Pix, want.Pix)
		}
	}
	// The stage-1 writer reads back too, with its header and spaces.
	buf.Reset()
	if err := WriteTrainRLE(&buf, preds); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "ImageId, EncodedPixels\nimga, -1\n") {
		t.Errorf("train-rle starts %q", buf.String()[:40])
	}
	ls, err = ReadLabels(&buf, 3, 4)
	if err != nil || ls.Format != Stage1 || ls.Positives() != 3 {
		t.Errorf("stage-1 read back: %v format %v", err, ls)
	}
	if err := WriteSubmission(&buf, []Prediction{{ImageID: "x"}, {ImageID: "x"}}); err == nil {
		t.Error("a repeated image id was written")
	}
	if err := WriteSubmission(&buf, []Prediction{{ImageID: "a,b"}}); err == nil {
		t.Error("an image id with a comma was written")
	}
}

// The real sample submission (all -1) reads as 3205 empty images.
func TestReadSampleSubmission(t *testing.T) {
	dir := sharedDir(t)
	f, err := os.Open(filepath.Join(dir, "stage_2_sample_submission.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ls, err := ReadLabels(f, DefaultSize, DefaultSize)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls.Images) != 3205 || ls.Positives() != 0 {
		t.Errorf("%d images, %d positive; want 3205, 0", len(ls.Images), ls.Positives())
	}
}
