package main

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/internal/npy"
)

func init() {
	register("dicom", "print DICOM tags; write pixels as .npy or .png", runDicom)
}

const dicomUsage = `[-npy OUT] [-png OUT] [-display [-window C/W[/FUNCTION]] [-window-index N] [-prefer-window] [-auto-window]] FILE...

Prints each file's main tags. -npy writes the stored values as .npy
(dtype |u1, |i1, <u2 or <i2, shape (frames, rows, cols)); with -display it
writes float32 display values instead (rescale slope/intercept applied,
MONOCHROME1 inverted). -png writes an 8-bit grayscale PNG; several frames
are stacked top to bottom. With -display the PNG is what a viewer shows and
what lungo's models take as input: the Modality LUT (rescale or LUT), the
VOI LUT (the file's window or VOI LUT, or -window), MONOCHROME1 inverted,
then 8 bits; images without a window get an automatic one (0.5th-99.5th
percentiles), except 8-bit ones, shown as stored. Without -display the PNG
shows the display values scaled by their min/max (8-bit images as stored).

-window C/W overrides the file's window (FUNCTION: LINEAR, LINEAR_EXACT or
SIGMOID; default LINEAR); -window-index picks one of the file's windows or
VOI LUTs; -prefer-window uses the file's window over its VOI LUT Sequence;
-auto-window ignores the file's window and VOI LUT.

OUT is a file path when there is one FILE and OUT is not an existing
directory; otherwise OUT is a directory (created if needed) and each FILE
gives OUT/<name>.npy or OUT/<name>.png, <name> being its base name
without a .dcm extension.`

func runDicom(args []string) error {
	fs := newFlags("dicom", dicomUsage)
	npyOut := fs.String("npy", "", "write pixel values as .npy to `OUT` (file or directory)")
	display := fs.Bool("display", false, "with -npy: write float32 display values, not stored values; with -png: render as a viewer (the model's input)")
	pngOut := fs.String("png", "", "write an 8-bit PNG to `OUT` (file or directory)")
	window := fs.String("window", "", "with -display -png: use the window `C/W[/FUNCTION]` instead of the file's")
	windowIndex := fs.Int("window-index", 0, "with -display -png: which of the file's windows or VOI LUTs to use (0-based)")
	preferWindow := fs.Bool("prefer-window", false, "with -display -png: use the file's window rather than its VOI LUT Sequence")
	autoWindow := fs.Bool("auto-window", false, "with -display -png: ignore the file's window and VOI LUT; window by percentiles")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opt := dicom.DisplayOptions{WindowIndex: *windowIndex, PreferWindow: *preferWindow, IgnoreFileVOI: *autoWindow}
	if *window != "" {
		w, err := parseWindow(*window)
		if err != nil {
			return &usageError{err: err}
		}
		opt.Window = w
	}
	if (*window != "" || *windowIndex != 0 || *preferWindow || *autoWindow) && !(*display && *pngOut != "") {
		return usagef("-window, -window-index, -prefer-window and -auto-window need -display -png")
	}
	files := fs.Args()
	if len(files) == 0 {
		return usagef("no FILE given")
	}
	if *display && *npyOut == "" && *pngOut == "" {
		return usagef("-display needs -npy or -png")
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
		if err := dicomOne(os.Stdout, path, len(files), *npyOut, *display, *pngOut, opt); err != nil {
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

// parseWindow parses -window's C/W[/FUNCTION].
func parseWindow(s string) (*dicom.Window, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return nil, fmt.Errorf("-window %q: want CENTER/WIDTH or CENTER/WIDTH/FUNCTION, e.g. 40/400 or 40/400/SIGMOID", s)
	}
	var w dicom.Window
	var err error
	if w.Center, err = strconv.ParseFloat(strings.TrimSpace(parts[0]), 64); err != nil {
		return nil, fmt.Errorf("-window %q: center: %v", s, err)
	}
	if w.Width, err = strconv.ParseFloat(strings.TrimSpace(parts[1]), 64); err != nil {
		return nil, fmt.Errorf("-window %q: width: %v", s, err)
	}
	if len(parts) == 3 {
		w.Function = strings.ToUpper(strings.TrimSpace(parts[2]))
	}
	// Apply checks the width and function (a clear error now, not per file).
	if err := w.Apply(nil, nil, 0, 1); err != nil {
		return nil, fmt.Errorf("-window %q: %w", s, err)
	}
	return &w, nil
}

func dicomOne(w io.Writer, path string, nfiles int, npyOut string, display bool, pngOut string, opt dicom.DisplayOptions) error {
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
		var img *image.Gray
		if display {
			if img, err = displayPNG(w, f, p, opt); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		} else {
			img = pixelsPNG(p)
		}
		if err := writeFile(out, func(w io.Writer) error { return png.Encode(w, img) }); err != nil {
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
	if m, err := f.ModalityLUT(); err == nil && m.LUT != nil {
		row("modality LUT", fmt.Sprintf("%d entries from %d, %d bits", len(m.LUT.Data), m.LUT.FirstMapped, m.LUT.Bits))
	}
	if f.String(dicom.WindowCenter) != "" || f.String(dicom.WindowWidth) != "" {
		row("window", fmt.Sprintf("center %s, width %s", or(f.String(dicom.WindowCenter)), or(f.String(dicom.WindowWidth))))
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

// displayPNG renders every frame as a viewer does (dicom's DisplayPixels8),
// stacked vertically, and prints the VOI stage used for each frame.
func displayPNG(w io.Writer, f *dicom.File, p *dicom.Pixels, opt dicom.DisplayOptions) (*image.Gray, error) {
	img := image.NewGray(image.Rect(0, 0, p.Cols, p.Rows*p.Frames))
	n := p.Rows * p.Cols
	for k := range p.Frames {
		voi, err := f.DisplayVOI(p, k, opt)
		if err != nil {
			return nil, err
		}
		if k < 3 {
			fmt.Fprintf(w, "  %-16s %s\n", fmt.Sprintf("display frame %d", k), voi)
		} else if k == 3 {
			fmt.Fprintf(w, "  %-16s ...\n", "")
		}
		fr, err := f.DisplayPixels8(p, k, opt)
		if err != nil {
			return nil, err
		}
		copy(img.Pix[k*n:], fr.Pix)
	}
	return img, nil
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
