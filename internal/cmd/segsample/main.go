// Command segsample writes sample DICOM Segmentation and overlay Secondary
// Capture files with data/dicom/seg, for checking them with other readers
// (scripts/dicomcheck/check.sh runs pydicom and dciodvfy on them).
//
//	go run ./internal/cmd/segsample -out DIR [-shared ../shared/data]
//
// For each case NAME it writes NAME.src.dcm (the source), NAME.seg.dcm,
// NAME.sc.dcm, NAME.mask.npy (the mask written, uint8 [rows, cols]) and
// NAME.overlay.png (the overlay's pixels), and prints one line per case:
// NAME rows cols set-pixels. The cases:
//
//	siim_pos  a real SIIM-ACR radiograph and its pneumothorax label
//	siim_neg  the same radiograph with an empty mask (a negative finding)
//	ct        CT_small.dcm (Frame of Reference, orientation, position, spacing), a disc
//	odd       a 37x53 Secondary Capture (rows*cols = 1961, not a multiple of 8), random pixels
//
// Every written SEG is read back with seg.ReadMask and compared with its
// mask; a difference exits 1.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/data/dicom/seg"
	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/internal/npy"
)

// siimID is the SIIM-ACR image used: positive, with four label rows.
const siimID = "1.2.276.0.7230010.3.1.4.8323329.307.1517875162.311533"

type sample struct {
	name       string
	src        []byte // the source file
	mask       []uint8
	rows, cols int
	gray       *image.Gray // display pixels for the overlay; nil: the source's own
}

func main() {
	out := flag.String("out", "", "output directory (created)")
	shared := flag.String("shared", "../shared/data", "the shared test data folder")
	flag.Parse()
	if *out == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: segsample -out DIR [-shared DIR]")
		os.Exit(2)
	}
	if err := run(*out, *shared); err != nil {
		fmt.Fprintln(os.Stderr, "segsample:", err)
		os.Exit(1)
	}
}

func run(out, shared string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	samples, err := samples(shared)
	if err != nil {
		return err
	}
	opt := seg.Options{AlgorithmVersion: "0.1.0", ModelHash: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		DeviceSerialNumber: "segsample"}
	for _, s := range samples {
		if err := write(out, s, opt); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

func samples(shared string) ([]sample, error) {
	var out []sample
	srcPath := filepath.Join(shared, "siim-real", "dicom", siimID+".dcm")
	b, err := os.ReadFile(srcPath)
	if err != nil {
		return nil, err
	}
	labels, err := siim.ReadLabelsFile(filepath.Join(shared, "siim-real", "labels.csv"), siim.DefaultSize, siim.DefaultSize)
	if err != nil {
		return nil, err
	}
	l := labels.Get(siimID)
	if l == nil {
		return nil, fmt.Errorf("labels.csv has no row for %s", siimID)
	}
	m, err := l.Mask(siim.DefaultSize, siim.DefaultSize)
	if err != nil {
		return nil, err
	}
	out = append(out,
		sample{name: "siim_pos", src: b, mask: m.Pix, rows: m.H, cols: m.W},
		sample{name: "siim_neg", src: b, mask: make([]uint8, m.H*m.W), rows: m.H, cols: m.W})

	// CT_small: 16-bit, so the overlay gets a min-max windowed copy.
	ct, err := os.ReadFile(filepath.Join(shared, "dicom", "CT_small.dcm"))
	if err != nil {
		return nil, err
	}
	f, err := dicom.Parse(ct)
	if err != nil {
		return nil, err
	}
	p, err := f.Pixels()
	if err != nil {
		return nil, err
	}
	disp := p.Display()
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range disp {
		lo, hi = min(lo, v), max(hi, v)
	}
	g := image.NewGray(image.Rect(0, 0, p.Cols, p.Rows))
	disc := make([]uint8, p.Rows*p.Cols)
	for i, v := range disp {
		g.Pix[i] = uint8(math.Round(float64(255 * (v - lo) / (hi - lo))))
		y, x := i/p.Cols, i%p.Cols
		if (y-70)*(y-70)+(x-45)*(x-45) < 20*20 {
			disc[i] = 1
		}
	}
	out = append(out, sample{name: "ct", src: ct, mask: disc, rows: p.Rows, cols: p.Cols, gray: g})

	// odd: a small written Secondary Capture.
	const rows, cols = 37, 53
	img := image.NewGray(image.Rect(0, 0, cols, rows))
	rng := rand.New(rand.NewPCG(1, 2))
	odd := make([]uint8, rows*cols)
	for i := range img.Pix {
		img.Pix[i] = uint8(40 + i%150)
		if rng.IntN(3) == 0 {
			odd[i] = 1
		}
	}
	var sc bytes.Buffer
	uids := make([]string, 3)
	for i := range uids {
		if uids[i], err = seg.NewUID("", nil); err != nil {
			return nil, err
		}
	}
	if err := dicom.WriteJPEGSecondaryCapture(&sc, img, dicom.SecondaryCapture{
		SOPInstanceUID: uids[0], StudyInstanceUID: uids[1], SeriesInstanceUID: uids[2],
		PatientID: "odd", PatientName: "Odd^Size", PatientSex: "O", PatientAge: "050Y", ViewPosition: "PA",
		PixelSpacing: [2]float64{0.5, 0.5},
	}); err != nil {
		return nil, err
	}
	out = append(out, sample{name: "odd", src: sc.Bytes(), mask: odd, rows: rows, cols: cols})
	return out, nil
}

func write(out string, s sample, opt seg.Options) error {
	src, err := dicom.Parse(s.src)
	if err != nil {
		return err
	}
	base := filepath.Join(out, s.name)
	if err := seg.WriteFile(base+".src.dcm", func(w io.Writer) error { _, err := w.Write(s.src); return err }); err != nil {
		return err
	}
	if err := seg.WriteFile(base+".seg.dcm", func(w io.Writer) error {
		_, err := seg.WriteSegmentation(w, src, s.mask, s.rows, s.cols, opt)
		return err
	}); err != nil {
		return err
	}
	if err := seg.WriteFile(base+".sc.dcm", func(w io.Writer) error {
		_, err := seg.WriteOverlay(w, src, s.gray, s.mask, s.rows, s.cols, opt)
		return err
	}); err != nil {
		return err
	}
	if err := seg.WriteFile(base+".mask.npy", func(w io.Writer) error {
		return npy.WriteUint8(w, []int{s.rows, s.cols}, s.mask)
	}); err != nil {
		return err
	}
	// Read the SEG back with lungo's reader.
	f, err := dicom.ReadFile(base + ".seg.dcm")
	if err != nil {
		return err
	}
	rows, cols, got, err := seg.ReadMask(f)
	if err != nil {
		return err
	}
	if rows != s.rows || cols != s.cols || !bytes.Equal(got, binary(s.mask)) {
		return fmt.Errorf("the SEG read back (%dx%d) differs from the mask written (%dx%d)", rows, cols, s.rows, s.cols)
	}
	// The overlay's pixels as a PNG, read back from the SC.
	scf, err := dicom.ReadFile(base + ".sc.dcm")
	if err != nil {
		return err
	}
	px, ok := scf.Get(dicom.PixelData)
	if !ok || len(px.Value) < 3*rows*cols {
		return fmt.Errorf("overlay has no pixel data of %dx%dx3", rows, cols)
	}
	rgba := image.NewRGBA(image.Rect(0, 0, cols, rows))
	for i := range rows * cols {
		copy(rgba.Pix[4*i:], px.Value[3*i:3*i+3])
		rgba.Pix[4*i+3] = 255
	}
	if err := seg.WriteFile(base+".overlay.png", func(w io.Writer) error { return png.Encode(w, rgba) }); err != nil {
		return err
	}
	n := 0
	for _, v := range s.mask {
		if v != 0 {
			n++
		}
	}
	fmt.Println(s.name, rows, cols, n)
	return nil
}

// binary maps a mask to 0 and 1.
func binary(m []uint8) []uint8 {
	out := make([]uint8, len(m))
	for i, v := range m {
		if v != 0 {
			out[i] = 1
		}
	}
	return out
}
