package siim

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFolder writes n synthetic images of side size (even ones positive)
// into dir/images and their masks into dir/masks; item 1 has no mask file
// and item 3 an empty one, both negatives. Item 5 is a JPEG.
func writeFolder(t *testing.T, dir string, n, size int) (images, masks string) {
	t.Helper()
	images, masks = filepath.Join(dir, "images"), filepath.Join(dir, "masks")
	for i := range n {
		img, m := SynthImage(uint64(i), size, i%2 == 0)
		id := string(rune('a' + i))
		if i == 1 {
			m = nil
		}
		if err := WriteFolderItem(images, masks, id, img, m); err != nil {
			t.Fatal(err)
		}
		if i == 5 {
			os.Remove(filepath.Join(images, id+".png"))
			var b bytes.Buffer
			if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(images, id+".jpg"), b.Bytes())
		}
	}
	return images, masks
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenFolder(t *testing.T) {
	dir := t.TempDir()
	images, masks := writeFolder(t, dir, 6, 48)
	// A mask of an image that is not there, and a file that is no image.
	writeFile(t, filepath.Join(masks, "zz.png"), encodePNG(t, image.NewGray(image.Rect(0, 0, 4, 4))))
	writeFile(t, filepath.Join(images, "notes.txt"), []byte("hello"))
	d, err := OpenFolder(images, masks)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 6 {
		t.Fatalf("%d items, want 6", d.Len())
	}
	if len(d.Orphans) != 1 || filepath.Base(d.Orphans[0]) != "zz.png" {
		t.Errorf("orphans %v", d.Orphans)
	}
	wantPos := []bool{true, false, true, false, true, false}
	for i, it := range d.Items {
		if it.ID != string(rune('a'+i)) || it.W != 48 || it.H != 48 {
			t.Errorf("item %d: %+v", i, it)
		}
		if d.Positive(i) != wantPos[i] {
			t.Errorf("item %s: positive %v, want %v", it.ID, d.Positive(i), wantPos[i])
		}
		img, m, err := d.Load(i)
		if err != nil {
			t.Fatal(err)
		}
		wantImg, wantMask := SynthImage(uint64(i), 48, i%2 == 0)
		if !m.Equal(wantMask) {
			t.Errorf("item %s: mask differs", it.ID)
		}
		if i != 5 && !bytes.Equal(img.Pix, wantImg.Pix) {
			t.Errorf("item %s: pixels differ", it.ID)
		}
	}
	if d.Items[1].Mask != "" || d.Items[3].Mask == "" {
		t.Errorf("mask paths: %q, %q", d.Items[1].Mask, d.Items[3].Mask)
	}
	if got := d.Positives(); len(got) != 6 || !got[0] || got[1] {
		t.Errorf("Positives %v", got)
	}
}

func TestReadMaskColourAndAlpha(t *testing.T) {
	c := image.NewNRGBA(image.Rect(0, 0, 4, 1))
	c.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 255})     // black: negative
	c.SetNRGBA(1, 0, color.NRGBA{1, 0, 0, 255})     // barely red: positive
	c.SetNRGBA(2, 0, color.NRGBA{0, 0, 9, 255})     // blue: positive
	c.SetNRGBA(3, 0, color.NRGBA{255, 255, 255, 0}) // transparent: negative
	p := filepath.Join(t.TempDir(), "m.png")
	writeFile(t, p, encodePNG(t, c))
	m, err := ReadMaskFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint8{0, 1, 1, 0}; !bytes.Equal(m.Pix, want) {
		t.Errorf("mask %v, want %v", m.Pix, want)
	}
}

func TestOpenFolderErrors(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, images, masks string)
		want  []string // substrings of the error
	}{
		{"size mismatch", func(t *testing.T, images, masks string) {
			writeFile(t, filepath.Join(masks, "c.png"), encodePNG(t, image.NewGray(image.Rect(0, 0, 40, 48))))
		}, []string{"mask", "c.png is 40x48", "c.png is 48x48"}},
		{"unreadable mask", func(t *testing.T, images, masks string) {
			writeFile(t, filepath.Join(masks, "d.png"), []byte("\x89PNG\r\n\x1a\ngarbage"))
		}, []string{"mask of image", "d.png", "not a readable PNG"}},
		{"unreadable image", func(t *testing.T, images, masks string) {
			writeFile(t, filepath.Join(images, "b.png"), []byte("junk"))
		}, []string{"image", "b.png", "not a readable"}},
		{"JPEG mask", func(t *testing.T, images, masks string) {
			os.Remove(filepath.Join(masks, "a.png"))
			writeFile(t, filepath.Join(masks, "a.jpg"), []byte("x"))
		}, []string{"a.jpg", "not a PNG"}},
		{"duplicate stem", func(t *testing.T, images, masks string) {
			writeFile(t, filepath.Join(images, "sub", "a.png"), encodePNG(t, image.NewGray(image.Rect(0, 0, 48, 48))))
		}, []string{"image a found twice"}},
		{"no masks", func(t *testing.T, images, masks string) {
			os.RemoveAll(masks)
			os.MkdirAll(masks, 0o755)
		}, []string{"no mask PNG", "every image would be negative"}},
		{"missing masks folder", func(t *testing.T, images, masks string) {
			os.RemoveAll(masks)
		}, []string{"mask folder"}},
		{"two errors", func(t *testing.T, images, masks string) {
			writeFile(t, filepath.Join(images, "b.png"), []byte("junk"))
			writeFile(t, filepath.Join(images, "e.png"), []byte("junk"))
		}, []string{"b.png", "and 1 more"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			images, masks := writeFolder(t, t.TempDir(), 6, 48)
			c.setup(t, images, masks)
			_, err := OpenFolder(images, masks)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	if _, err := OpenFolder("x", "x/"); err == nil || !strings.Contains(err.Error(), "same folder") {
		t.Errorf("same folder: %v", err)
	}
}

func TestFolderChangedAfterOpen(t *testing.T) {
	images, masks := writeFolder(t, t.TempDir(), 4, 48)
	d, err := OpenFolder(images, masks)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(masks, "c.png"), encodePNG(t, image.NewGray(image.Rect(0, 0, 48, 32))))
	if _, _, err := d.Load(2); err == nil || !strings.Contains(err.Error(), "c.png is 48x32") {
		t.Errorf("got %v", err)
	}
}

// The folder dataset trains through the same Loader: cache, augmentation
// and deterministic batches whatever the number of workers.
func TestFolderLoader(t *testing.T) {
	dir := t.TempDir()
	images, masks := writeFolder(t, dir, 6, 64)
	d, err := OpenFolder(images, masks)
	if err != nil {
		t.Fatal(err)
	}
	folds := StratifiedFolds(d.Positives(), 3, 1)
	train, _ := SplitFold(folds, 0)
	order := (&Sampler{Positive: d.Positives(), Seed: 2}).Epoch(1, 0.5, 4)
	ids := make([]string, d.Len())
	for i := range ids {
		ids[i] = d.ID(i)
	}
	cache, err := OpenCache(filepath.Join(dir, "c.cache"), ids, 32)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	aug := DefaultAugment()
	plain := collect(t, NewLoader(d, LoaderConfig{Size: 32, Batch: 2, Seed: 3, Augment: &aug}), 1, order)
	cached := collect(t, NewLoader(d, LoaderConfig{Size: 32, Batch: 2, Workers: 3, Seed: 3, Augment: &aug, Cache: cache}), 1, order)
	if !sameBatches(plain, cached) {
		t.Error("batches differ with a cache and 3 workers")
	}
	if cache.Ready() == 0 {
		t.Error("nothing cached")
	}
	for _, b := range collect(t, NewLoader(d, LoaderConfig{Size: 32, Batch: 4}), 0, train) {
		for k, idx := range b.Indices {
			var sum float32
			for _, v := range b.Masks.Data[k*32*32 : (k+1)*32*32] {
				sum += v
			}
			if (sum > 0) != d.Positive(idx) || (b.Labels.Data[k] == 1) != d.Positive(idx) {
				t.Errorf("item %d: mask sum %v, label %v, positive %v", idx, sum, b.Labels.Data[k], d.Positive(idx))
			}
		}
	}
}
