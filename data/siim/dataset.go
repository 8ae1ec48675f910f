package siim

import (
	"fmt"
	"image"
	"io/fs"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/tensor"
)

// ImageFile is one DICOM file found by ScanDir. ID is the file name
// without ".dcm" (the SOP instance UID in the SIIM files).
type ImageFile struct {
	ID, Path string
}

// ScanDir finds the .dcm files under dir in either SIIM layout: stage 1
// (dicom-images-train/<study>/<series>/<sop>.dcm, any depth) or the flat
// stage-2 folder (<sop>.dcm). Files come back sorted by ID. Two files with
// the same ID are an error naming both.
func ScanDir(dir string) ([]ImageFile, error) {
	var files []ImageFile
	seen := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.EqualFold(filepath.Ext(d.Name()), ".dcm") {
			return nil
		}
		id := d.Name()[:len(d.Name())-len(".dcm")]
		if prev, dup := seen[id]; dup {
			return fmt.Errorf("siim: image %s found twice: %s and %s", id, prev, path)
		}
		seen[id] = path
		files = append(files, ImageFile{ID: id, Path: path})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].ID < files[j].ID })
	return files, nil
}

// Item is one labelled image of a Dataset.
type Item struct {
	ImageFile
	Label *Label
}

// Positive reports whether the image has pneumothorax.
func (it *Item) Positive() bool { return it.Label.Positive() }

// Dataset joins image files with labels. Items holds the images that have
// labels, sorted by ID; the mismatches are kept as data.
type Dataset struct {
	Items []Item
	// Unlabelled lists the files without a label row (sorted by ID);
	// Missing lists the labelled image IDs without a file (label order).
	Unlabelled []ImageFile
	Missing    []string

	// ReadImage decodes one file into 8-bit display pixels. Join sets it
	// to dicom.ReadGray8File; tests and other formats may replace it.
	ReadImage func(path string) (*image.Gray, error)
}

// Join matches files with labels by image ID.
func Join(files []ImageFile, labels *Labels) *Dataset {
	d := &Dataset{ReadImage: dicom.ReadGray8File}
	have := make(map[string]bool, len(files))
	for _, f := range files {
		have[f.ID] = true
		if l := labels.Get(f.ID); l != nil {
			d.Items = append(d.Items, Item{ImageFile: f, Label: l})
		} else {
			d.Unlabelled = append(d.Unlabelled, f)
		}
	}
	for _, l := range labels.Images {
		if !have[l.ImageID] {
			d.Missing = append(d.Missing, l.ImageID)
		}
	}
	return d
}

// Open scans dir (ScanDir) and reads the label file (ReadLabelsFile,
// bounds unchecked until each image's size is known), then joins them.
func Open(dir, labelsPath string) (*Dataset, error) {
	files, err := ScanDir(dir)
	if err != nil {
		return nil, err
	}
	labels, err := ReadLabelsFile(labelsPath, 0, 0)
	if err != nil {
		return nil, err
	}
	return Join(files, labels), nil
}

// Len returns the number of labelled images.
func (d *Dataset) Len() int { return len(d.Items) }

// ID returns the image ID of item i.
func (d *Dataset) ID(i int) string { return d.Items[i].ID }

// Positive reports whether item i has pneumothorax.
func (d *Dataset) Positive(i int) bool { return d.Items[i].Positive() }

// Positives returns, per item, whether it has pneumothorax.
func (d *Dataset) Positives() []bool {
	p := make([]bool, len(d.Items))
	for i := range d.Items {
		p[i] = d.Items[i].Positive()
	}
	return p
}

// Load reads item i: its display pixels and its mask at the image's size.
// Errors name the file.
func (d *Dataset) Load(i int) (*image.Gray, *Mask, error) {
	it := &d.Items[i]
	img, err := d.ReadImage(it.Path)
	if err != nil {
		return nil, nil, fmt.Errorf("siim: %s: %w", it.Path, err)
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, nil, fmt.Errorf("siim: %s: empty image", it.Path)
	}
	m, err := it.Label.Mask(b.Dy(), b.Dx())
	if err != nil {
		return nil, nil, fmt.Errorf("siim: %s: %w", it.Path, err)
	}
	return img, m, nil
}

// StratifiedFolds assigns each item to one of k folds so that positives
// and negatives spread evenly (fold sizes differ by at most one within
// each class, and at most one overall). The assignment depends only on
// positive, k and seed. It panics unless 2 <= k <= len(positive).
func StratifiedFolds(positive []bool, k int, seed uint64) []int {
	if k < 2 || k > len(positive) {
		panicf("StratifiedFolds: %d folds for %d items", k, len(positive))
	}
	var pos, neg []int
	for i, p := range positive {
		if p {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	rng := tensor.NewRNG(seed)
	folds := make([]int, len(positive))
	// Positives fill folds 0, 1, ...; negatives continue where they
	// stopped, so totals stay balanced too.
	for j, p := range rng.Perm(len(pos)) {
		folds[pos[p]] = j % k
	}
	for j, p := range rng.Perm(len(neg)) {
		folds[neg[p]] = (len(pos) + j) % k
	}
	return folds
}

// SplitFold returns the items outside fold f (train) and inside it (val),
// each in increasing order.
func SplitFold(folds []int, f int) (train, val []int) {
	for i, g := range folds {
		if g == f {
			val = append(val, i)
		} else {
			train = append(train, i)
		}
	}
	return train, val
}

// Sampler draws epochs with a chosen fraction of positive images, the
// usual remedy for SIIM's imbalance (about 22% positive), which can change
// from epoch to epoch (e.g. 0.8 early, the natural rate late).
type Sampler struct {
	Positive []bool // per item
	Seed     uint64
}

// Epoch returns n item indices for the given epoch with a fraction frac of
// positives (rounded), shuffled. Within each class items are drawn without
// replacement until the class is used up, then a fresh permutation starts.
// A negative frac means no resampling: a permutation of all items (n is
// ignored). n <= 0 means len(Positive). If one class is absent every draw
// comes from the other. The result depends only on (Seed, epoch, frac, n).
func (s *Sampler) Epoch(epoch int, frac float64, n int) []int {
	rng := tensor.NewRNG(mixSeed(s.Seed, uint64(epoch), 0x5a17))
	if frac < 0 {
		return rng.Perm(len(s.Positive))
	}
	if len(s.Positive) == 0 {
		return nil
	}
	if n <= 0 {
		n = len(s.Positive)
	}
	var pos, neg []int
	for i, p := range s.Positive {
		if p {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	np := int(math.Round(min(frac, 1) * float64(n)))
	if len(pos) == 0 {
		np = 0
	}
	if len(neg) == 0 {
		np = n
	}
	out := make([]int, 0, n)
	out = appendDraws(out, rng, pos, np)
	out = appendDraws(out, rng, neg, n-np)
	for i := len(out) - 1; i > 0; i-- { // Fisher-Yates
		j := rng.IntN(i + 1)
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func appendDraws(out []int, rng *tensor.RNG, from []int, n int) []int {
	for n > 0 {
		for _, p := range rng.Perm(len(from)) {
			if n == 0 {
				break
			}
			out = append(out, from[p])
			n--
		}
	}
	return out
}

// mixSeed combines a seed with two more values (splitmix64 steps), for
// per-epoch and per-sample random streams that do not overlap.
func mixSeed(seed, a, b uint64) uint64 {
	x := seed
	for _, v := range [...]uint64{a, b} {
		x += 0x9e3779b97f4a7c15 + v
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
		x = (x ^ (x >> 27)) * 0x94d049bb133111eb
		x ^= x >> 31
	}
	return x
}
