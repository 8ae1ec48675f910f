package siim

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// memSource serves n generated images of side size; items in bad fail.
type memSource struct {
	n, size int
	bad     map[int]bool
	loads   atomic.Int64
}

func (s *memSource) Len() int            { return s.n }
func (s *memSource) ID(i int) string     { return fmt.Sprintf("img%03d", i) }
func (s *memSource) Positive(i int) bool { return i%3 == 0 }
func (s *memSource) Load(i int) (*image.Gray, *Mask, error) {
	s.loads.Add(1)
	if s.bad[i] {
		return nil, nil, fmt.Errorf("/data/%s.dcm: truncated pixel data", s.ID(i))
	}
	img := image.NewGray(image.Rect(0, 0, s.size, s.size))
	m := NewMask(s.size, s.size)
	rng := tensor.NewRNG(uint64(i))
	for j := range img.Pix {
		img.Pix[j] = uint8(rng.IntN(256))
	}
	if s.Positive(i) {
		for y := s.size / 4; y < s.size/2; y++ {
			for x := i % (s.size / 2); x < s.size/2+i%(s.size/2); x++ {
				m.Pix[y*s.size+x] = 1
			}
		}
	}
	return img, m, nil
}

func collect(t *testing.T, l *Loader, epoch int, order []int) []*Batch {
	t.Helper()
	var out []*Batch
	for b, err := range l.Batches(context.Background(), epoch, order) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func sameBatches(a, b []*Batch) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if fmt.Sprint(a[i].Indices) != fmt.Sprint(b[i].Indices) ||
			!tensor.AllClose(a[i].Images, b[i].Images, 0, 0) ||
			!tensor.AllClose(a[i].Masks, b[i].Masks, 0, 0) ||
			!tensor.AllClose(a[i].Labels, b[i].Labels, 0, 0) {
			return false
		}
	}
	return true
}

func TestLoaderDeterministicAcrossWorkers(t *testing.T) {
	src := &memSource{n: 23, size: 48}
	aug := DefaultAugment()
	order := tensor.NewRNG(9).Perm(src.n)
	var ref []*Batch
	for _, workers := range []int{1, 2, 3, 8} {
		l := NewLoader(src, LoaderConfig{Size: 32, Batch: 5, Workers: workers, Prefetch: 1 + workers%2, Seed: 11, Augment: &aug})
		got := collect(t, l, 4, order)
		if len(got) != 5 || got[4].Images.Shape[0] != 3 {
			t.Fatalf("workers %d: %d batches", workers, len(got))
		}
		b := got[0]
		if fmt.Sprint(b.Images.Shape, b.Masks.Shape, b.Labels.Shape) != "[5 1 32 32] [5 1 32 32] [5]" {
			t.Fatalf("shapes %v %v %v", b.Images.Shape, b.Masks.Shape, b.Labels.Shape)
		}
		if ref == nil {
			ref = got
			continue
		}
		if !sameBatches(ref, got) {
			t.Errorf("workers %d: batches differ from 1 worker", workers)
		}
	}
	// Another epoch draws other augmentations; masks stay 0/1.
	l := NewLoader(src, LoaderConfig{Size: 32, Batch: 5, Workers: 2, Seed: 11, Augment: &aug})
	if sameBatches(ref, collect(t, l, 5, order)) {
		t.Error("epochs 4 and 5 gave the same batches")
	}
	for _, v := range ref[0].Masks.Data {
		if v != 0 && v != 1 {
			t.Fatalf("mask value %v", v)
		}
	}
	for k, idx := range ref[1].Indices {
		if src.Positive(idx) != (ref[1].Labels.Data[k] == 1) {
			t.Errorf("label of item %d is %v", idx, ref[1].Labels.Data[k])
		}
	}
}

// Without augmentation a batch holds the normalised resized image.
func TestLoaderContent(t *testing.T) {
	src := &memSource{n: 4, size: 64}
	l := NewLoader(src, LoaderConfig{Size: 32, Batch: 4, DropLast: true})
	b := collect(t, l, 0, []int{3, 0, 1, 2})[0]
	img, m, _ := src.Load(0)
	small := ResizeGraySquare(img, 32)
	sm := NewMask(32, 32)
	ResizeMaskArea(sm, m, 0.5)
	for i := range 32 * 32 {
		want := (float32(small.Pix[i])/255 - DefaultMean) / DefaultStd
		if d := b.Images.Data[32*32+i] - want; d > 1e-5 || d < -1e-5 {
			t.Fatalf("pixel %d = %v, want %v", i, b.Images.Data[32*32+i], want)
		}
		if b.Masks.Data[32*32+i] != float32(sm.Pix[i]) {
			t.Fatalf("mask pixel %d differs", i)
		}
	}
	if b.Labels.Data[0] != 1 || b.Labels.Data[1] != 1 || b.Labels.Data[2] != 0 || b.IDs[0] != "img003" {
		t.Errorf("labels %v ids %v", b.Labels.Data, b.IDs)
	}
	if len(collect(t, l, 0, []int{0, 1, 2})) != 0 {
		t.Error("DropLast kept a partial batch")
	}
}

func TestLoaderCancel(t *testing.T) {
	src := &memSource{n: 200, size: 64}
	l := NewLoader(src, LoaderConfig{Size: 64, Batch: 2, Workers: 2, Prefetch: 2})
	order := tensor.NewRNG(1).Perm(src.n)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	var last error
	for b, err := range l.Batches(ctx, 0, order) {
		if err != nil {
			last = err
			break
		}
		_ = b
		n++
		if n == 3 {
			cancel()
		}
	}
	if !errors.Is(last, context.Canceled) {
		t.Errorf("after cancel: %v, want context.Canceled", last)
	}
	// Bounded prefetch: at most a few batches were built past the cancel.
	if loads := src.loads.Load(); loads > 2*(3+2+2+2) {
		t.Errorf("%d images loaded for 3 consumed batches", loads)
	}
	// Breaking out of the loop also stops cleanly.
	for range l.Batches(context.Background(), 0, order) {
		break
	}
}

func TestLoaderErrors(t *testing.T) {
	src := &memSource{n: 10, size: 16, bad: map[int]bool{4: true}}
	order := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	l := NewLoader(src, LoaderConfig{Size: 16, Batch: 3, Workers: 2})
	var err error
	batches := 0
	for _, e := range l.Batches(context.Background(), 0, order) {
		if e != nil {
			err = e
			break
		}
		batches++
	}
	if err == nil || !strings.Contains(err.Error(), "/data/img004.dcm") || batches != 1 {
		t.Errorf("error %v after %d batches; want one naming /data/img004.dcm after 1", err, batches)
	}
	var warned []error
	l = NewLoader(src, LoaderConfig{Size: 16, Batch: 3, Workers: 2, SkipErrors: true, Warn: func(e error) { warned = append(warned, e) }})
	got := collect(t, l, 0, order)
	total := 0
	for _, b := range got {
		total += b.Images.Shape[0]
	}
	if total != 9 || len(warned) != 1 || !strings.Contains(warned[0].Error(), "img004") {
		t.Errorf("skip mode: %d samples, warnings %v", total, warned)
	}
}

func TestCacheLoader(t *testing.T) {
	src := &memSource{n: 7, size: 40}
	path := filepath.Join(t.TempDir(), "cache.bin")
	ids := make([]string, src.n)
	for i := range ids {
		ids[i] = src.ID(i)
	}
	c, err := OpenCache(path, ids, 24)
	if err != nil {
		t.Fatal(err)
	}
	aug := DefaultAugment()
	cfg := LoaderConfig{Size: 24, Batch: 3, Workers: 2, Seed: 5, Augment: &aug}
	order := []int{6, 5, 4, 3, 2, 1, 0}
	want := collect(t, NewLoader(src, cfg), 2, order)
	cfg.Cache = c
	got := collect(t, NewLoader(src, cfg), 2, order)
	if c.Ready() != 7 || src.loads.Load() != 14 {
		t.Fatalf("cache has %d ready, %d loads", c.Ready(), src.loads.Load())
	}
	if !sameBatches(want, got) {
		t.Error("cached and uncached batches differ")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopened, the file serves every image without loading.
	c, err = OpenCache(path, ids, 24)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Cache = c
	if got := collect(t, NewLoader(src, cfg), 2, order); !sameBatches(want, got) || src.loads.Load() != 14 {
		t.Errorf("reopened cache: same %v, loads %d", sameBatches(want, got), src.loads.Load())
	}
	c.Close()
	// Other ids make the file stale: it starts empty.
	ids[0] = "other"
	c2, err := OpenCache(path, ids, 24)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Ready() != 0 {
		t.Errorf("stale cache reports %d ready", c2.Ready())
	}
	c2.Close()
}

// A corrupt DICOM in a real Dataset: the error names the file, or the
// sample is skipped with a warning.
func TestLoaderCorruptDICOM(t *testing.T) {
	dir := t.TempDir()
	for i, id := range []string{"1.1", "1.2", "1.3"} {
		writeDCM(t, filepath.Join(dir, id+".dcm"), id, 32, uint8(40*i))
	}
	bad := filepath.Join(dir, "1.2.dcm")
	data, err := os.ReadFile(bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, data[:len(data)/2], 0o644); err != nil { // truncated
		t.Fatal(err)
	}
	ls, _ := ReadLabels(strings.NewReader("ImageId,EncodedPixels\n1.1,-1\n1.2,0 40\n1.3,5 5\n"), 0, 0)
	files, err := ScanDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := Join(files, ls)
	l := NewLoader(d, LoaderConfig{Size: 16, Batch: 3, Workers: 2})
	var got error
	for _, err := range l.Batches(context.Background(), 0, []int{0, 1, 2}) {
		got = err
	}
	if got == nil || !strings.Contains(got.Error(), bad) {
		t.Fatalf("error %v does not name %s", got, bad)
	}
	var warned []error
	l = NewLoader(d, LoaderConfig{Size: 16, Batch: 3, SkipErrors: true, Warn: func(e error) { warned = append(warned, e) }})
	bs := collect(t, l, 0, []int{0, 1, 2})
	if len(bs) != 1 || bs[0].Images.Shape[0] != 2 || len(warned) != 1 || !strings.Contains(warned[0].Error(), bad) {
		t.Errorf("skip mode: %d batches, warnings %v", len(bs), warned)
	}
	if bs[0].IDs[1] != "1.3" || bs[0].Labels.Data[1] != 1 {
		t.Errorf("batch ids %v labels %v", bs[0].IDs, bs[0].Labels.Data)
	}
}
