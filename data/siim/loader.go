package siim

import (
	"context"
	"fmt"
	"image"
	"iter"
	"log"
	"sync"

	"github.com/lungo-ml/lungo/tensor"
)

// Source is what a Loader reads: a list of images with masks. Dataset is
// one.
type Source interface {
	Len() int
	ID(i int) string
	// Positive reports whether image i has pneumothorax (its batch label).
	Positive(i int) bool
	// Load returns image i's display pixels and its mask at the image's
	// size. Errors should name the file.
	Load(i int) (*image.Gray, *Mask, error)
}

// LoaderConfig configures a Loader. Zero values take the defaults noted.
type LoaderConfig struct {
	Size     int    // side S of the batches' images (required)
	Batch    int    // images per batch (required)
	Workers  int    // goroutines building batches; default 1
	Prefetch int    // batches queued ahead of the consumer; default 2*Workers
	Seed     uint64 // augmentation seed
	DropLast bool   // drop a final partial batch

	// Augment, if not nil, is applied to every sample with a random stream
	// seeded from (Seed, epoch, position in the epoch).
	Augment *Augment

	// Mean and Std normalise pixels after x/255; both zero means
	// DefaultMean and DefaultStd.
	Mean, Std float32

	// Cache, if not nil, holds resized images and masks (its Size must be
	// Size and its slots the Source's items): a cached sample skips Load.
	Cache *Cache

	// SkipErrors drops samples whose Load fails, reporting each through
	// Warn (default log.Printf), instead of ending the epoch with the
	// error. A batch can then be short. Warn is called from the workers,
	// one call at a time.
	SkipErrors bool
	Warn       func(error)
}

// Batch is one mini-batch, NCHW like PyTorch.
type Batch struct {
	Images  *tensor.Tensor // [N, 1, S, S], normalised
	Masks   *tensor.Tensor // [N, 1, S, S], 0 or 1
	Labels  *tensor.Tensor // [N], 1 for pneumothorax
	Indices []int          // source items, in batch order
	IDs     []string       // their image IDs
}

// Loader builds batches on worker goroutines with bounded prefetch. The
// batches of an epoch are the same whatever the number of workers.
type Loader struct {
	src    Source
	cfg    LoaderConfig
	warnMu sync.Mutex // Warn is called from one goroutine at a time
}

// NewLoader returns a Loader over src. It panics on a bad configuration.
func NewLoader(src Source, cfg LoaderConfig) *Loader {
	if cfg.Size <= 0 || cfg.Batch <= 0 {
		panicf("NewLoader: size %d and batch %d must be positive", cfg.Size, cfg.Batch)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.Prefetch <= 0 {
		cfg.Prefetch = 2 * cfg.Workers
	}
	if cfg.Mean == 0 && cfg.Std == 0 {
		cfg.Mean, cfg.Std = DefaultMean, DefaultStd
	}
	if cfg.Warn == nil {
		cfg.Warn = func(err error) { log.Printf("siim: skipping a sample: %v", err) }
	}
	if c := cfg.Cache; c != nil && (c.Size() != cfg.Size || c.Len() != src.Len()) {
		panicf("NewLoader: cache of %d images at %d for %d items at %d", c.Len(), c.Size(), src.Len(), cfg.Size)
	}
	return &Loader{src: src, cfg: cfg}
}

type batchResult struct {
	batch *Batch
	err   error
}

// Batches returns the epoch's batches: order (item indices, e.g. from
// Sampler.Epoch or SplitFold) cut into consecutive batches. Iteration
// ends early with an error (naming the file) when a sample fails to load
// and SkipErrors is off, or with ctx.Err() when ctx is cancelled; breaking
// out of the loop stops the workers. Each Batch is freshly allocated.
func (l *Loader) Batches(ctx context.Context, epoch int, order []int) iter.Seq2[*Batch, error] {
	for _, i := range order {
		if i < 0 || i >= l.src.Len() {
			panicf("Loader.Batches: item %d of %d", i, l.src.Len())
		}
	}
	return func(yield func(*Batch, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		defer func() {
			cancel()
			wg.Wait()
		}()
		b := l.cfg.Batch
		nb := (len(order) + b - 1) / b
		if l.cfg.DropLast {
			nb = len(order) / b
		}
		type job struct {
			lo, hi int
			out    chan batchResult
		}
		jobs := make(chan job)
		pending := make(chan chan batchResult, l.cfg.Prefetch)
		wg.Add(1)
		go func() { // dispatch in order; pending bounds the work ahead
			defer wg.Done()
			defer close(jobs)
			defer close(pending)
			for k := range nb {
				out := make(chan batchResult, 1)
				select {
				case pending <- out:
				case <-ctx.Done():
					return
				}
				select {
				case jobs <- job{k * b, min((k+1)*b, len(order)), out}:
				case <-ctx.Done():
					return
				}
			}
		}()
		for range l.cfg.Workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := l.newWork()
				for j := range jobs {
					bt, err := w.batch(ctx, epoch, order, j.lo, j.hi)
					j.out <- batchResult{bt, err}
				}
			}()
		}
		got := 0
		for out := range pending {
			var r batchResult
			select {
			case r = <-out:
			case <-ctx.Done():
				yield(nil, ctx.Err())
				return
			}
			got++
			if r.err != nil {
				yield(nil, r.err)
				return
			}
			if r.batch == nil { // every sample skipped
				continue
			}
			if !yield(r.batch, nil) {
				return
			}
		}
		if got < nb {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
			}
		}
	}
}

// work is one worker's scratch space.
type work struct {
	l       *Loader
	pix, mk []uint8
	img     []float32
	small   *Mask
}

func (l *Loader) newWork() *work {
	s2 := l.cfg.Size * l.cfg.Size
	return &work{l: l, pix: make([]uint8, s2), mk: make([]uint8, s2), img: make([]float32, s2),
		small: &Mask{H: l.cfg.Size, W: l.cfg.Size}}
}

// batch builds the samples at positions lo..hi-1 of order.
func (w *work) batch(ctx context.Context, epoch int, order []int, lo, hi int) (*Batch, error) {
	cfg := &w.l.cfg
	s2 := cfg.Size * cfg.Size
	n := hi - lo
	bt := &Batch{
		Images: tensor.New(n, 1, cfg.Size, cfg.Size),
		Masks:  tensor.New(n, 1, cfg.Size, cfg.Size),
		Labels: tensor.New(n),
	}
	k := 0
	for pos := lo; pos < hi; pos++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		idx := order[pos]
		if err := w.sample(epoch, pos, idx); err != nil {
			err = fmt.Errorf("siim: item %d (%s): %w", idx, w.l.src.ID(idx), err)
			if !cfg.SkipErrors {
				return nil, err
			}
			w.l.warnMu.Lock()
			cfg.Warn(err)
			w.l.warnMu.Unlock()
			continue
		}
		copy(bt.Images.Data[k*s2:(k+1)*s2], w.img)
		md := bt.Masks.Data[k*s2 : (k+1)*s2]
		for i, v := range w.mk {
			md[i] = float32(v)
		}
		if w.l.src.Positive(idx) {
			bt.Labels.Data[k] = 1
		}
		bt.Indices = append(bt.Indices, idx)
		bt.IDs = append(bt.IDs, w.l.src.ID(idx))
		k++
	}
	if k == 0 {
		return nil, nil
	}
	if k < n {
		bt.Images = tensor.FromData(bt.Images.Data[:k*s2], k, 1, cfg.Size, cfg.Size)
		bt.Masks = tensor.FromData(bt.Masks.Data[:k*s2], k, 1, cfg.Size, cfg.Size)
		bt.Labels = tensor.FromData(bt.Labels.Data[:k], k)
	}
	return bt, nil
}

// sample fills w.img (normalised, augmented) and w.mk for item idx at
// position pos of the epoch.
func (w *work) sample(epoch, pos, idx int) error {
	cfg := &w.l.cfg
	if cfg.Cache == nil || !cfg.Cache.Get(idx, w.pix, w.mk) {
		img, m, err := w.l.src.Load(idx)
		if err != nil {
			return err
		}
		w.resize(img, m)
		if cfg.Cache != nil {
			cfg.Cache.Put(idx, w.pix, w.mk)
		}
	}
	ToUnit(w.img, w.pix)
	if cfg.Augment != nil {
		rng := tensor.NewRNG(mixSeed(cfg.Seed, uint64(epoch), uint64(pos)))
		cfg.Augment.Apply(rng, w.img, w.mk, cfg.Size)
	}
	Normalize(w.img, cfg.Mean, cfg.Std)
	return nil
}

// resize brings an image and its mask to S x S into w.pix and w.mk: area
// averaging for the image, area with a 0.5 threshold for the mask.
func (w *work) resize(img *image.Gray, m *Mask) {
	s := w.l.cfg.Size
	b := img.Bounds()
	if b.Dx() == s && b.Dy() == s {
		for y := range s {
			copy(w.pix[y*s:(y+1)*s], img.Pix[y*img.Stride:])
		}
	} else {
		dst := &image.Gray{Pix: w.pix, Stride: s, Rect: image.Rect(0, 0, s, s)}
		ResizeGray(dst, img)
	}
	if m.H == s && m.W == s {
		copy(w.mk, m.Pix)
	} else {
		w.small.Pix = w.mk
		ResizeMaskArea(w.small, m, 0.5)
	}
}
