package siim

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var bench struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// benchDataset writes (once per run) 16 synthetic 1024 x 1024 DICOM files
// like SIIM's and opens them.
func benchDataset(b *testing.B) *Dataset {
	bench.once.Do(func() {
		bench.dir, bench.err = os.MkdirTemp("", "siim-bench-")
		if bench.err == nil {
			_, bench.err = WriteSynth(bench.dir, SynthConfig{N: 16, Size: 1024, Seed: 1, PositiveFraction: 0.5})
		}
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	d, err := Open(filepath.Join(bench.dir, "dicom-images-train"), filepath.Join(bench.dir, "train-rle.csv"))
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// runEpochs loads b.N epochs and reports images/s.
func runEpochs(b *testing.B, l *Loader, n int) {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for _, err := range l.Batches(context.Background(), i, order) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*n)/time.Since(start).Seconds(), "images/s")
}

// BenchmarkLoader: DICOM (JPEG) decode + area resize 1024 -> 512 +
// DefaultAugment, batches of 4, with 1 and 2 workers.
func BenchmarkLoader(b *testing.B) {
	d := benchDataset(b)
	aug := DefaultAugment()
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			l := NewLoader(d, LoaderConfig{Size: 512, Batch: 4, Workers: w, Augment: &aug})
			runEpochs(b, l, d.Len())
		})
	}
}

// BenchmarkCache compares an epoch that decodes every DICOM with a later
// epoch served by a warm cache, at 512, with and without augmentation,
// one worker.
func BenchmarkCache(b *testing.B) {
	d := benchDataset(b)
	ids := make([]string, d.Len())
	for i := range ids {
		ids[i] = d.ID(i)
	}
	path := filepath.Join(b.TempDir(), "cache.bin")
	c, err := OpenCache(path, ids, 512)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	warm := NewLoader(d, LoaderConfig{Size: 512, Batch: 4, Cache: c})
	for _, err := range warm.Batches(context.Background(), 0, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}) {
		if err != nil {
			b.Fatal(err)
		}
	}
	if c.Ready() != d.Len() {
		b.Fatalf("cache holds %d of %d", c.Ready(), d.Len())
	}
	aug := DefaultAugment()
	for _, a := range []struct {
		name string
		aug  *Augment
	}{{"aug=off", nil}, {"aug=on", &aug}} {
		b.Run(a.name+"/cache=off", func(b *testing.B) {
			runEpochs(b, NewLoader(d, LoaderConfig{Size: 512, Batch: 4, Augment: a.aug}), d.Len())
		})
		b.Run(a.name+"/cache=warm", func(b *testing.B) {
			runEpochs(b, NewLoader(d, LoaderConfig{Size: 512, Batch: 4, Augment: a.aug, Cache: c}), d.Len())
		})
	}
}
