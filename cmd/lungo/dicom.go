package main

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/internal/npy"
)

func init() {
	register("dicom", "print DICOM tags; write pixels as .npy or .png", runDicom)
}

const dicomUsage = `[-npy OUT] [-display] [-png OUT] FILE...

Prints each file's main tags. -npy writes the stored values as .npy
(dtype |u1, |i1, <u2 or <i2, shape (frames, rows, cols)); with -display it
writes float32 display values instead (rescale slope/intercept applied,
MONOCHROME1 inverted). -png writes an 8-bit grayscale PNG of the display
values (8-bit images as they are, others scaled by min/max to 0-255;
several frames are stacked top to bottom).

OUT is a file path when there is one FILE and OUT is not an existing
directory; otherwise OUT is a directory (created if needed) and each FILE
gives OUT/<name>.npy or OUT/<name>.png, <name> being its base name
without a .dcm extension.`

func runDicom(args []string) error {
	fs := newFlags("dicom", dicomUsage)
	npyOut := fs.String("npy", "", "write pixel values as .npy to `OUT` (file or directory)")
	display := fs.Bool("display", false, "with -npy: write float32 display values, not stored values")
	pngOut := fs.String("png", "", "write an 8-bit PNG to `OUT` (file or directory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 {
		fs.Usage()
		return errors.New("no FILE given")
	}
	if *display && *npyOut == "" {
		return errors.New("-display needs -npy")
	}
	// Several inputs with one base name would overwrite each other's output.
	seen := map[string]string{}
	for _, path := range files {
		base := filepath.Base(path)
		if prev, dup := seen[base]; dup && len(files) > 1 && (*npyOut != "" || *pngOut != "") {
			return fmt.Errorf("%s and %s would write the same output file; run them separately", prev, path)
		}
		seen[base] = path
	}
	failed := 0
	for _, path := range files {
		if err := dicomOne(os.Stdout, path, len(files), *npyOut, *display, *pngOut); err != nil {
			fmt.Fprintf(os.Stderr, "lungo dicom: %v\n", err)
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files failed", failed, len(files))
	}
	return nil
}

// outPath resolves OUT for one input file (see dicomUsage).
func outPath(out, in string, nfiles int, ext string) (string, error) {
	st, err := os.Stat(out)
	isDir := err == nil && st.IsDir()
	if nfiles == 1 && !isDir {
		return out, nil
	}
	if !isDir {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return "", err
		}
	}
	base := filepath.Base(in)
	if e := filepath.Ext(base); strings.EqualFold(e, ".dcm") {
		base = strings.TrimSuffix(base, e)
	}
	return filepath.Join(out, base+ext), nil
}

func dicomOne(w io.Writer, path string, nfiles int, npyOut string, display bool, pngOut string) error {
	f, err := dicom.ReadFile(path)
	if err != nil {
		return err
	}
	printTags(w, path, f)
	if npyOut == "" && pngOut == "" {
		return nil
	}
	p, err := f.Pixels()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if npyOut != "" {
		out, err := outPath(npyOut, path, nfiles, ".npy")
		if err != nil {
			return err
		}
		if err := writeFile(out, func(w io.Writer) error { return writePixelsNPY(w, p, display) }); err != nil {
			return err
		}
		fmt.Fprintf(w, "  wrote            %s\n", out)
	}
	if pngOut != "" {
		out, err := outPath(pngOut, path, nfiles, ".png")
		if err != nil {
			return err
		}
		if err := writeFile(out, func(w io.Writer) error { return png.Encode(w, pixelsPNG(p)) }); err != nil {
			return err
		}
		fmt.Fprintf(w, "  wrote            %s\n", out)
	}
	return nil
}

func printTags(w io.Writer, path string, f *dicom.File) {
	row := func(k, v string) { fmt.Fprintf(w, "  %-16s %s\n", k, v) }
	or := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	fmt.Fprintf(w, "%s\n", path)
	row("transfer syntax", f.Syntax.String())
	rows, _ := f.Int(dicom.Rows)
	cols, _ := f.Int(dicom.Columns)
	frames, ok := f.Int(dicom.NumberOfFrames)
	if !ok {
		frames = 1
	}
	row("size", fmt.Sprintf("%d x %d (rows x cols), %d frame(s)", rows, cols, frames))
	ba, _ := f.Int(dicom.BitsAllocated)
	bs, _ := f.Int(dicom.BitsStored)
	rep, _ := f.Int(dicom.PixelRepresentation)
	row("bits", fmt.Sprintf("%d allocated, %d stored, %s", ba, bs, map[bool]string{true: "signed", false: "unsigned"}[rep == 1]))
	row("photometric", or(f.String(dicom.PhotometricInterpretation)))
	if f.String(dicom.RescaleSlope) != "" || f.String(dicom.RescaleIntercept) != "" {
		row("rescale", fmt.Sprintf("slope %s, intercept %s", or(f.String(dicom.RescaleSlope)), or(f.String(dicom.RescaleIntercept))))
	}
	row("SOP instance", or(f.String(dicom.SOPInstanceUID)))
	row("study", or(f.String(dicom.StudyInstanceUID)))
	row("series", or(f.String(dicom.SeriesInstanceUID)))
	row("patient", fmt.Sprintf("sex %s, age %s", or(f.String(dicom.PatientSex)), or(f.String(dicom.PatientAge))))
	row("view", or(f.String(dicom.ViewPosition)))
	row("pixel spacing", or(f.String(dicom.PixelSpacing)))
}

// writeFile creates path and writes it with fn, removing it on error.
func writeFile(path string, fn func(io.Writer) error) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	err = fn(fh)
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func writePixelsNPY(w io.Writer, p *dicom.Pixels, display bool) error {
	shape := []int{p.Frames, p.Rows, p.Cols}
	switch {
	case display:
		return npy.WriteFloat32(w, shape, p.Display())
	case p.U8 != nil:
		return npy.WriteUint8(w, shape, p.U8)
	case p.I8 != nil:
		return npy.WriteInt8(w, shape, p.I8)
	case p.U16 != nil:
		return npy.WriteUint16(w, shape, p.U16)
	}
	return npy.WriteInt16(w, shape, p.I16)
}

// pixelsPNG maps display values to 8 bits: unchanged for 8-bit images,
// scaled by min/max otherwise; frames are stacked vertically.
func pixelsPNG(p *dicom.Pixels) *image.Gray {
	d := p.Display()
	img := image.NewGray(image.Rect(0, 0, p.Cols, p.Rows*p.Frames))
	if p.BitsAllocated == 8 && !p.Signed && p.RescaleSlope == 1 && p.RescaleIntercept == 0 {
		for i, v := range d {
			img.Pix[i] = uint8(max(0, min(255, v)))
		}
		return img
	}
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range d {
		lo, hi = min(lo, v), max(hi, v)
	}
	scale := float32(0)
	if hi > lo {
		scale = 255 / (hi - lo)
	}
	for i, v := range d {
		img.Pix[i] = uint8((v-lo)*scale + 0.5)
	}
	return img
}
