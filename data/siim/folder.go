package siim

import (
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// A folder dataset: training data that is not SIIM's DICOM files and
// run-length CSV but two folders of plain images,
//
//	images/<id>.png|.jpg|.jpeg   the radiographs (read as ReadGray8File does)
//	masks/<id>.png               their masks: a pixel is positive when it is
//	                             not black (grey > 0; colour: any channel > 0)
//
// matched by file stem. An image without a mask file, or with an empty
// mask, is a negative image. Folder is a Source, so it trains through the
// same Loader (cache, augmentation) and splits (StratifiedFolds, Sampler)
// as a SIIM Dataset.

// FolderItem is one image of a Folder.
type FolderItem struct {
	ID       string // the file stem, shared by the image and its mask
	Image    string // path of the PNG or JPEG image
	Mask     string // path of the mask PNG; "" when there is none (a negative image)
	W, H     int    // the image's size (from its header)
	Positive bool   // the mask has a positive pixel
}

// Folder is a dataset of image files and mask PNGs (see OpenFolder).
type Folder struct {
	Items []FolderItem // sorted by ID
	// Orphans lists the mask files that have no image of the same stem
	// (sorted); they are left out.
	Orphans []string
}

// OpenFolder pairs the PNG and JPEG images under imagesDir with the mask
// PNGs of the same stem under masksDir (both searched recursively; a stem
// found twice in either is an error naming both files). It reads every
// image's header and decodes every mask once, so that sizes are known,
// a mask of another size than its image or an unreadable file is an error
// naming the files before training starts, and each image's label
// (positive or not) is known for stratified folds and sampling. Masks must
// be PNG: a JPEG mask (lossy: its edges would be noise) is an error.
func OpenFolder(imagesDir, masksDir string) (*Folder, error) {
	if filepath.Clean(imagesDir) == filepath.Clean(masksDir) {
		return nil, fmt.Errorf("siim: images and masks in the same folder %s: give two folders", imagesDir)
	}
	images, err := scanStems(imagesDir, "image", IsImageFile)
	if err != nil {
		return nil, err
	}
	if len(images) == 0 {
		return nil, fmt.Errorf("siim: no PNG or JPEG images (.png, .jpg, .jpeg) under %s", imagesDir)
	}
	masks, err := scanStems(masksDir, "mask", IsImageFile)
	if err != nil {
		return nil, err
	}
	d := &Folder{}
	pngMasks := 0
	for id, path := range masks {
		if _, ok := images[id]; !ok {
			d.Orphans = append(d.Orphans, path)
			continue
		}
		if !strings.EqualFold(filepath.Ext(path), ".png") {
			return nil, fmt.Errorf("siim: mask %s (image %s) is not a PNG: masks must be lossless PNG files", path, images[id])
		}
		pngMasks++
	}
	sort.Strings(d.Orphans)
	if pngMasks == 0 {
		return nil, fmt.Errorf("siim: no mask PNG under %s has the name of an image under %s (e.g. %s/<id>.png for %s): every image would be negative",
			masksDir, imagesDir, masksDir, anyValue(images))
	}
	for id, path := range images {
		d.Items = append(d.Items, FolderItem{ID: id, Image: path, Mask: masks[id]})
	}
	sort.Slice(d.Items, func(i, j int) bool { return d.Items[i].ID < d.Items[j].ID })
	if err := d.check(); err != nil {
		return nil, err
	}
	return d, nil
}

// scanStems maps the stems of the files under dir that keep to the paths.
func scanStems(dir, what string, keep func(string) bool) (map[string]string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("siim: %s folder: %w", what, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("siim: %s folder %s is not a folder", what, dir)
	}
	out := map[string]string{}
	err = filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() || !keep(e.Name()) {
			return nil
		}
		id := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))
		if prev, dup := out[id]; dup {
			return fmt.Errorf("siim: %s %s found twice: %s and %s", what, id, prev, path)
		}
		out[id] = path
		return nil
	})
	return out, err
}

func anyValue(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return m[keys[0]]
}

// check reads every image's header and decodes every mask, in parallel,
// filling W, H and Positive. The first error in item order is returned.
func (d *Folder) check() error {
	errs := make([]error, len(d.Items))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), 8, len(d.Items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = d.checkItem(&d.Items[i])
			}
		}()
	}
	for i := range d.Items {
		next <- i
	}
	close(next)
	wg.Wait()
	var first error
	n := 0
	for _, err := range errs {
		if err != nil {
			if first == nil {
				first = err
			}
			n++
		}
	}
	if n > 1 {
		return fmt.Errorf("%w (and %d more files with errors)", first, n-1)
	}
	return first
}

func (d *Folder) checkItem(it *FolderItem) error {
	w, h, err := imageFileSize(it.Image)
	if err != nil {
		return fmt.Errorf("siim: image %s: %w", it.Image, err)
	}
	it.W, it.H = w, h
	if it.Mask == "" {
		return nil
	}
	m, err := d.readMask(it)
	if err != nil {
		return err
	}
	it.Positive = !m.Empty()
	return nil
}

// imageFileSize reads the size from an image file's header.
func imageFileSize(path string) (w, h int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		return 0, 0, fmt.Errorf("not a readable PNG or JPEG image: %w", err)
	}
	if err := checkImageSize(format, cfg.Width, cfg.Height); err != nil {
		return 0, 0, err
	}
	return cfg.Width, cfg.Height, nil
}

// readMask reads it.Mask, which must have the image's size.
func (d *Folder) readMask(it *FolderItem) (*Mask, error) {
	m, err := ReadMaskFile(it.Mask)
	if err != nil {
		return nil, fmt.Errorf("siim: mask of image %s: %w", it.Image, err)
	}
	if m.W != it.W || m.H != it.H {
		return nil, fmt.Errorf("siim: mask %s is %dx%d, its image %s is %dx%d", it.Mask, m.W, m.H, it.Image, it.W, it.H)
	}
	return m, nil
}

// ReadMaskFile reads a mask PNG: a pixel is positive (1) when it is not
// black, that is when grey > 0 or, for colour, when any of red, green and
// blue (alpha-premultiplied: transparent pixels are negative) is > 0. Its
// size is checked against MaxImagePixels before decoding. Errors name the
// file.
func ReadMaskFile(path string) (*Mask, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := decodeChecked(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return MaskFromImage(img), nil
}

// MaskFromImage returns the mask of img's non-black pixels (see
// ReadMaskFile), H x W of its bounds.
func MaskFromImage(img image.Image) *Mask {
	b := img.Bounds()
	m := NewMask(b.Dy(), b.Dx())
	if g, ok := img.(*image.Gray); ok {
		for y := range m.H {
			row := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y):][:m.W]
			for x, v := range row {
				m.Pix[y*m.W+x] = b2u8(v > 0)
			}
		}
		return m
	}
	for y := range m.H {
		for x := range m.W {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			m.Pix[y*m.W+x] = b2u8(r|g|bl != 0)
		}
	}
	return m
}

func b2u8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// Len returns the number of images.
func (d *Folder) Len() int { return len(d.Items) }

// ID returns item i's file stem.
func (d *Folder) ID(i int) string { return d.Items[i].ID }

// Positive reports whether item i's mask has a positive pixel.
func (d *Folder) Positive(i int) bool { return d.Items[i].Positive }

// Positives returns, per item, whether it is positive.
func (d *Folder) Positives() []bool {
	p := make([]bool, len(d.Items))
	for i := range d.Items {
		p[i] = d.Items[i].Positive
	}
	return p
}

// Load reads item i: its 8-bit grey pixels (ReadGray8File) and its mask at
// the image's size (all zero without a mask file). Errors name the files.
func (d *Folder) Load(i int) (*image.Gray, *Mask, error) {
	it := &d.Items[i]
	img, err := ReadGray8File(it.Image)
	if err != nil {
		return nil, nil, fmt.Errorf("siim: %w", err)
	}
	if b := img.Bounds(); b.Dx() != it.W || b.Dy() != it.H {
		return nil, nil, fmt.Errorf("siim: image %s is now %dx%d, was %dx%d when the folder was opened", it.Image, b.Dx(), b.Dy(), it.W, it.H)
	}
	if it.Mask == "" {
		return img, NewMask(it.H, it.W), nil
	}
	m, err := d.readMask(it)
	if err != nil {
		return nil, nil, err
	}
	return img, m, nil
}

// WriteFolderItem writes img as imagesDir/<id>.png and, when m is not
// nil, m as masksDir/<id>.png (grey, 0 and 255), creating the folders: a
// folder dataset OpenFolder reads. An empty mask is written too (an
// explicit negative).
func WriteFolderItem(imagesDir, masksDir, id string, img *image.Gray, m *Mask) error {
	if err := writePNGFile(filepath.Join(imagesDir, id+".png"), img); err != nil {
		return err
	}
	if m == nil {
		return nil
	}
	g := image.NewGray(image.Rect(0, 0, m.W, m.H))
	for i, v := range m.Pix {
		g.Pix[i] = 255 * v
	}
	return writePNGFile(filepath.Join(masksDir, id+".png"), g)
}

func writePNGFile(path string, img image.Image) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("siim: %s: %w", path, err)
	}
	return f.Close()
}
