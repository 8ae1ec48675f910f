package dicom

// The grayscale display pipeline of PS3.3 C.11 and PS3.4 N.2.1.1, as a
// viewer applies it: stored values -> Modality LUT (rescale or a Modality
// LUT Sequence) -> VOI LUT (a window or a VOI LUT Sequence) -> MONOCHROME1
// inversion -> 8 bits. The Modality and VOI stages follow pydicom 2.3's
// apply_modality_lut, apply_voi_lut and apply_windowing (ranges, defaults,
// precedence), so that their outputs can be checked against pydicom
// (scripts/golden/dicom_display.py); where this file differs it says so.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// Tags of the Modality LUT and VOI LUT modules (PS3.3 C.11.1, C.11.2).
const (
	windowExplanation Tag = 0x00281055
	voiLUTFunction    Tag = 0x00281056
	modalityLUTSeq    Tag = 0x00283000
	lutDescriptor     Tag = 0x00283002
	lutExplanation    Tag = 0x00283003
	modalityLUTType   Tag = 0x00283004
	lutData           Tag = 0x00283006
	voiLUTSeq         Tag = 0x00283010
)

// VOI LUT Function values (0028,1056).
const (
	windowLinear      = "LINEAR"
	windowLinearExact = "LINEAR_EXACT"
	windowSigmoid     = "SIGMOID"
)

// A Window is a VOI window (PS3.3 C.11.2.1.2): Window Center (0028,1050),
// Window Width (0028,1051) and VOI LUT Function (0028,1056).
type Window struct {
	Center, Width float64
	// Function is LINEAR (also when empty), LINEAR_EXACT or SIGMOID.
	Function string
}

// String formats the window as "center/width FUNCTION".
func (w Window) String() string {
	fn := w.Function
	if fn == "" {
		fn = windowLinear
	}
	return fmt.Sprintf("%s/%s %s", fmtNum(w.Center), fmtNum(w.Width), fn)
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Apply windows src into dst (same length; dst may be src) as pydicom's
// apply_windowing does, with output range [ymin, ymax] (the Modality LUT's
// output range, see ModalityLUT):
//
//	LINEAR (C.11.2.1.2.1): c = Center-0.5, w = Width-1;
//	    x <= c-w/2 -> ymin, x > c+w/2 -> ymax, else ((x-c)/w+0.5)*(ymax-ymin)+ymin
//	LINEAR_EXACT (C.11.2.1.3.2): the same with c = Center, w = Width
//	SIGMOID (C.11.2.1.3.1): (ymax-ymin) / (1+exp(-4*(x-Center)/Width)) + ymin
//
// LINEAR needs Width >= 1, the others Width > 0.
func (w Window) Apply(dst, src []float64, ymin, ymax float64) error {
	if len(dst) != len(src) {
		return fmt.Errorf("dicom: Window.Apply: dst has length %d, src %d", len(dst), len(src))
	}
	if err := w.check(); err != nil {
		return err
	}
	fn, _ := w.function()
	c, width := w.Center, w.Width
	yr := ymax - ymin
	switch fn {
	case windowLinear, windowLinearExact:
		if fn == windowLinear {
			c -= 0.5
			width--
		}
		lo, hi := c-width/2, c+width/2
		for i, x := range src {
			switch {
			case x <= lo:
				dst[i] = ymin
			case x > hi:
				dst[i] = ymax
			default:
				// The conversions keep each product rounded, as numpy
				// rounds it (no fused multiply-add).
				dst[i] = float64(float64((x-c)/width+0.5)*yr) + ymin
			}
		}
	case windowSigmoid:
		for i, x := range src {
			dst[i] = yr/(1+math.Exp(float64(-4*(x-c))/width)) + ymin
		}
	}
	return nil
}

// check returns an error for a window Apply cannot use: an unknown
// function, a width below 1 (LINEAR) or not above 0 (the others), values
// that are not finite.
func (w Window) check() error {
	fn, err := w.function()
	if err != nil {
		return err
	}
	if math.IsNaN(w.Center) || math.IsInf(w.Center, 0) || math.IsInf(w.Width, 0) {
		return fmt.Errorf("dicom: window %s is not finite", w)
	}
	if fn == windowLinear && !(w.Width >= 1) {
		return fmt.Errorf("dicom: Window Width (0028,1051) is %s; a LINEAR window needs a width of at least 1", fmtNum(w.Width))
	}
	if !(w.Width > 0) {
		return fmt.Errorf("dicom: Window Width (0028,1051) is %s; a %s window needs a width above 0", fmtNum(w.Width), fn)
	}
	return nil
}

// function returns the normalised VOI LUT Function.
func (w Window) function() (string, error) {
	fn := strings.ToUpper(strings.TrimSpace(w.Function))
	switch fn {
	case "":
		return windowLinear, nil
	case windowLinear, windowLinearExact, windowSigmoid:
		return fn, nil
	}
	return "", fmt.Errorf("dicom: VOI LUT Function (0028,1056) %q is not supported (want %s)", w.Function, "LINEAR, LINEAR_EXACT or SIGMOID")
}

// A LUT is the lookup table of a Modality LUT Sequence or VOI LUT Sequence
// item (PS3.3 C.11.1.1.1, C.11.2.1.1): LUT Descriptor (0028,3002) and LUT
// Data (0028,3006).
type LUT struct {
	// FirstMapped is the input value that maps to Data[0] (the
	// descriptor's second value; signed where the input is, see File.ModalityLUT).
	FirstMapped int
	// Bits is the number of bits of each entry (the descriptor's third
	// value, 8 to 16); the output range is 0..2^OutputBits()-1.
	Bits int
	// Data holds the entries; its length is the descriptor's first value,
	// 0 meaning 65536.
	Data        []uint16
	Explanation string // LUT Explanation (0028,3003)
}

// OutputBits returns Bits, or the bit length of the largest entry when that
// is more (files whose descriptor understates their entries, as DCMTK
// tolerates).
func (l *LUT) OutputBits() int {
	b := l.Bits
	for _, v := range l.Data {
		b = max(b, bits.Len16(v))
	}
	return b
}

// Apply maps src into dst (same length; dst may be src): an input x maps
// to Data[floor(x)-FirstMapped], inputs below FirstMapped to Data[0] and
// inputs past the table to its last entry (pydicom's clipping; NaN maps to
// Data[0]).
func (l *LUT) Apply(dst, src []float64) error {
	if len(dst) != len(src) {
		return fmt.Errorf("dicom: LUT.Apply: dst has length %d, src %d", len(dst), len(src))
	}
	if len(l.Data) == 0 {
		return errors.New("dicom: LUT has no entries")
	}
	first, last := float64(l.FirstMapped), float64(len(l.Data)-1)
	for i, x := range src {
		k := 0.0
		if x >= first { // false for NaN
			k = min(math.Floor(x-first), last)
		}
		dst[i] = float64(l.Data[int(k)])
	}
	return nil
}

// A ModalityLUT is the Modality LUT stage of an image (PS3.3 C.11.1).
type ModalityLUT struct {
	// Slope and Intercept are Rescale Slope (0028,1053) and Rescale
	// Intercept (0028,1052): 1 and 0 when absent.
	Slope, Intercept float64
	// Type is Rescale Type (0028,1054), or the Modality LUT Type
	// (0028,3004) of a Modality LUT.
	Type string
	// LUT is the first item of the Modality LUT Sequence (0028,3000); when
	// present it replaces the rescale.
	LUT *LUT
	// Min and Max are the output range pydicom's apply_windowing uses: the
	// range Bits Stored and Pixel Representation allow, rescaled (Min > Max
	// for a negative slope), or 0..2^Bits-1 for a LUT. A window maps onto
	// it.
	Min, Max float64
}

// Identity reports whether the stage leaves values unchanged.
func (m *ModalityLUT) Identity() bool { return m.LUT == nil && m.Slope == 1 && m.Intercept == 0 }

// Apply maps stored values src to modality values dst (same length; dst
// may be src).
func (m *ModalityLUT) Apply(dst, src []float64) error {
	if m.LUT != nil {
		return m.LUT.Apply(dst, src)
	}
	if len(dst) != len(src) {
		return fmt.Errorf("dicom: ModalityLUT.Apply: dst has length %d, src %d", len(dst), len(src))
	}
	for i, x := range src {
		dst[i] = float64(x*m.Slope) + m.Intercept
	}
	return nil
}

// ModalityLUT reads the Modality LUT module of f.
//
// As pydicom, a Modality LUT Sequence takes precedence over the rescale
// tags. Unlike pydicom, a lone Rescale Slope or Intercept is applied (with
// the default of the other) rather than ignored; and a LUT Descriptor whose
// first-mapped value is encoded as US in an image of signed pixels (a
// common writer error; PS3.3 C.11.1.1.1 says it has the pixels'
// representation) is read as a signed 16-bit value, as DCMTK reads it.
func (f *File) ModalityLUT() (*ModalityLUT, error) {
	ds := f.DataSet
	bitsAlloc, _ := ds.Int(BitsAllocated)
	bs, ok := ds.Int(BitsStored)
	if !ok {
		bs = bitsAlloc
	}
	if bs < 1 || bs > 32 {
		return nil, fmt.Errorf("dicom: BitsStored %d is outside 1..32", bs)
	}
	rep, _ := ds.Int(PixelRepresentation)
	signed := rep == 1
	m := &ModalityLUT{Slope: 1}
	if items, err := seqItems(ds, modalityLUTSeq); err != nil {
		return nil, err
	} else if len(items) > 0 {
		l, err := parseLUT(items[0], signed, "Modality LUT Sequence (0028,3000) item 1")
		if err != nil {
			return nil, err
		}
		m.LUT = l
		m.Type = textOf(items[0], modalityLUTType)
		m.Min, m.Max = 0, float64(int(1)<<l.OutputBits()-1)
		return m, nil
	}
	var err error
	if m.Slope, err = firstFloat(ds, RescaleSlope, 1); err != nil {
		return nil, err
	}
	if m.Intercept, err = firstFloat(ds, RescaleIntercept, 0); err != nil {
		return nil, err
	}
	if m.Slope == 0 {
		return nil, errors.New("dicom: Rescale Slope (0028,1053) is 0: every pixel would have the same value")
	}
	m.Type = textOf(ds, RescaleType)
	lo, hi := 0.0, float64(int64(1)<<bs-1)
	if signed {
		lo, hi = -float64(int64(1)<<(bs-1)), float64(int64(1)<<(bs-1)-1)
	}
	m.Min, m.Max = lo*m.Slope+m.Intercept, hi*m.Slope+m.Intercept
	return m, nil
}

// A VOILUT is the VOI LUT stage chosen for an image: a Window or a LUT
// (exactly one is set).
type VOILUT struct {
	Window *Window
	LUT    *LUT
	// Source says where it came from ("file window 1 of 2", "file VOI
	// LUT 1 of 1", "window override", "auto window (percentiles 0.5-99.5)",
	// and, with neither Window nor LUT, "8-bit stored values" or "constant
	// image"; see File.DisplayVOI).
	Source string

	identity bool // the 8-bit stored values are shown as they are
}

// String describes the VOI for people.
func (v *VOILUT) String() string {
	switch {
	case v == nil:
		return "none"
	case v.Window != nil:
		return fmt.Sprintf("%s %s", v.Window, v.Source)
	case v.LUT == nil:
		return v.Source
	}
	expl := ""
	if v.LUT.Explanation != "" {
		expl = fmt.Sprintf(" %q", v.LUT.Explanation)
	}
	return fmt.Sprintf("LUT of %d entries from %d, %d bits%s (%s)", len(v.LUT.Data), v.LUT.FirstMapped, v.LUT.Bits, expl, v.Source)
}

// Apply maps modality values src into dst (same length; dst may be src);
// m gives a window its output range.
func (v *VOILUT) Apply(dst, src []float64, m *ModalityLUT) error {
	if v.LUT != nil {
		return v.LUT.Apply(dst, src)
	}
	return v.Window.Apply(dst, src, m.Min, m.Max)
}

// Range returns the output range of v: m's for a window, 0..2^bits-1 for
// a LUT.
func (v *VOILUT) Range(m *ModalityLUT) (lo, hi float64) {
	if v.LUT != nil {
		return 0, float64(int(1)<<v.LUT.OutputBits() - 1)
	}
	return m.Min, m.Max
}

// VOILUT reads the VOI LUT module of f and returns the stage pydicom's
// apply_voi_lut(arr, ds, index, prefer_lut) applies, or nil when f has
// neither a window nor a VOI LUT Sequence (0028,3010).
//
// index picks one of several windows and the VOI LUT Sequence item; a
// Window Center or Width with a single value serves every index (as in
// pydicom). With both a window and a VOI LUT Sequence, preferLUT picks the
// LUT (pydicom's default, prefer_lut=True) or the window. The VOI LUT
// Sequence counts when its first item has a LUT Descriptor and LUT Data
// (pydicom's test). A VOI LUT's first-mapped value encoded as US is read
// as signed when the modality output can be negative (see ModalityLUT).
func (f *File) VOILUT(index int, preferLUT bool) (*VOILUT, error) {
	if index < 0 {
		return nil, fmt.Errorf("dicom: VOI index %d is negative", index)
	}
	ds := f.DataSet
	items, err := seqItems(ds, voiLUTSeq)
	if err != nil {
		return nil, err
	}
	validLUT := false
	if len(items) > 0 {
		_, d := items[0].Get(lutDescriptor)
		_, v := items[0].Get(lutData)
		validLUT = d && v
	}
	centers, err := numbers(ds, WindowCenter)
	if err != nil {
		return nil, err
	}
	widths, err := numbers(ds, WindowWidth)
	if err != nil {
		return nil, err
	}
	validWindow := len(centers) > 0 && len(widths) > 0
	switch {
	case validLUT && (preferLUT || !validWindow):
		if index >= len(items) {
			return nil, fmt.Errorf("dicom: VOI index %d, but the VOI LUT Sequence (0028,3010) has %d item(s)", index, len(items))
		}
		m, err := f.ModalityLUT()
		if err != nil {
			return nil, err
		}
		l, err := parseLUT(items[index], min(m.Min, m.Max) < 0, fmt.Sprintf("VOI LUT Sequence (0028,3010) item %d", index+1))
		if err != nil {
			return nil, err
		}
		return &VOILUT{LUT: l, Source: fmt.Sprintf("file VOI LUT %d of %d", index+1, len(items))}, nil
	case validWindow:
		pick := func(vals []float64, what string) (float64, error) {
			switch {
			case len(vals) == 1:
				return vals[0], nil
			case index < len(vals):
				return vals[index], nil
			}
			return 0, fmt.Errorf("dicom: VOI index %d, but %s has %d values", index, what, len(vals))
		}
		w := &Window{Function: textOf(ds, voiLUTFunction)}
		if w.Center, err = pick(centers, "Window Center (0028,1050)"); err != nil {
			return nil, err
		}
		if w.Width, err = pick(widths, "Window Width (0028,1051)"); err != nil {
			return nil, err
		}
		if w.Function, err = w.function(); err != nil {
			return nil, err
		}
		n := max(len(centers), len(widths))
		src := fmt.Sprintf("file window %d of %d", min(index, n-1)+1, n)
		if e := strings.Split(textOf(ds, windowExplanation), `\`); len(e) > min(index, n-1) && e[min(index, n-1)] != "" {
			src += fmt.Sprintf(" %q", strings.TrimSpace(e[min(index, n-1)]))
		}
		return &VOILUT{Window: w, Source: src}, nil
	}
	return nil, nil
}

// ApplyModalityLUT maps the stored values src of f's image to modality
// values in dst (same length; dst may be src), as pydicom's
// apply_modality_lut(src, ds).
func ApplyModalityLUT(dst, src []float64, f *File) error {
	m, err := f.ModalityLUT()
	if err != nil {
		return err
	}
	return m.Apply(dst, src)
}

// ApplyVOILUT maps the modality values src of f's image through its VOI
// LUT module into dst (same length; dst may be src), as pydicom's
// apply_voi_lut(src, ds, index, prefer_lut); without one, dst is src.
func ApplyVOILUT(dst, src []float64, f *File, index int, preferLUT bool) error {
	v, err := f.VOILUT(index, preferLUT)
	if err != nil {
		return err
	}
	if v == nil {
		if len(dst) != len(src) {
			return fmt.Errorf("dicom: ApplyVOILUT: dst has length %d, src %d", len(dst), len(src))
		}
		copy(dst, src)
		return nil
	}
	m, err := f.ModalityLUT()
	if err != nil {
		return err
	}
	return v.Apply(dst, src, m)
}

// DisplayOptions say how Display8 and DisplayPixels8 render an image. The
// zero value renders as a viewer opening the file would.
type DisplayOptions struct {
	// Frame is the frame Display8 renders (0-based).
	Frame int
	// WindowIndex picks one of several Window Center/Width values and the
	// VOI LUT Sequence item (pydicom's index).
	WindowIndex int
	// Window, when set, replaces the file's VOI LUT module.
	Window *Window
	// PreferWindow uses the file's window when it has both a window and a
	// VOI LUT Sequence (pydicom's prefer_lut=False); by default the LUT
	// wins, as in pydicom.
	PreferWindow bool
	// IgnoreFileVOI ignores the file's window and VOI LUT Sequence, so the
	// rule for images without one applies (see DisplayPixels8).
	IgnoreFileVOI bool
	// Percentiles are the low and high percentiles of the auto window; the
	// zero value means {0.5, 99.5}.
	Percentiles [2]float64
}

// ReadDisplay8File reads the DICOM file at path and renders frame
// opt.Frame to 8 bits; see DisplayPixels8.
func ReadDisplay8File(path string, opt DisplayOptions) (*image.Gray, error) {
	f, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	img, err := f.Display8(opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// Display8 decodes f's pixels and renders frame opt.Frame to 8 bits; see
// DisplayPixels8.
func (f *File) Display8(opt DisplayOptions) (*image.Gray, error) {
	p, err := f.Pixels()
	if err != nil {
		return nil, err
	}
	return f.DisplayPixels8(p, opt.Frame, opt)
}

// DisplayPixels8 renders one frame of p, the pixels of f (from f.Pixels),
// as a viewer shows it, as an 8-bit image (Cols x Rows) in the range the
// SIIM-ACR models were trained on (SIIM's 8-bit MONOCHROME2 stored values):
//
//  1. the Modality LUT stage (see File.ModalityLUT);
//  2. the VOI stage (see DisplayVOI): a window or VOI LUT (the override,
//     else the file's), giving y in its output range [lo, hi];
//  3. q = floor((y-lo)/(hi-lo)*255 + 0.5), clamped to 0..255;
//  4. MONOCHROME1: 255-q, so that low values are bright (PS3.3 C.7.6.3.1.2).
//
// An unsigned 8-bit image (BitsAllocated 8) with no VOI stage and an
// identity Modality stage is shown as stored (MONOCHROME1 inverted within
// BitsStored, 2^BitsStored-1-v), so SIIM's images keep their values.
// Any other image without a window gets the auto window: see DisplayVOI.
func (f *File) DisplayPixels8(p *Pixels, frame int, opt DisplayOptions) (*image.Gray, error) {
	if err := checkFrame(p, frame); err != nil {
		return nil, err
	}
	m, err := f.ModalityLUT()
	if err != nil {
		return nil, err
	}
	xs, err := modalityTable(p, m)
	if err != nil {
		return nil, err
	}
	v, err := f.displayVOI(p, frame, opt, m, xs)
	if err != nil {
		return nil, err
	}
	mono1 := p.Photometric == "MONOCHROME1"
	table := make([]uint8, len(xs))
	switch {
	case v.identity:
		top := len(xs) - 1
		for k := range table {
			table[k] = uint8(k)
			if mono1 {
				table[k] = uint8(top - k)
			}
		}
	case v.Window == nil && v.LUT == nil: // constant image
		if mono1 {
			for k := range table {
				table[k] = 255
			}
		}
	default:
		ys := make([]float64, len(xs))
		if err := v.Apply(ys, xs, m); err != nil {
			return nil, err
		}
		ylo, yhi := v.Range(m)
		for k, y := range ys {
			table[k] = quantize8(y, ylo, yhi, mono1)
		}
	}
	img := image.NewGray(image.Rect(0, 0, p.Cols, p.Rows))
	frameLookup(img.Pix, p, frame, table)
	return img, nil
}

// quantize8 maps y in [lo, hi] to 0..255 (see DisplayPixels8).
func quantize8(y, lo, hi float64, mono1 bool) uint8 {
	t := (y - lo) / (hi - lo)
	q := math.Floor(float64(t*255) + 0.5)
	var u uint8
	switch {
	case q >= 255:
		u = 255
	case q > 0:
		u = uint8(q)
	} // NaN and below 0: 0
	if mono1 {
		u = 255 - u
	}
	return u
}

// DisplayVOI returns the VOI stage DisplayPixels8 applies to frame of p
// (the pixels of f): opt.Window; else, unless opt.IgnoreFileVOI, the
// file's (see File.VOILUT; opt.WindowIndex, and !opt.PreferWindow as
// preferLUT); else, for an unsigned 8-bit image with an identity Modality
// stage, none (a VOI with no Window nor LUT and Source "8-bit stored
// values"); else the auto window: a LINEAR_EXACT window from the
// opt.Percentiles (default 0.5th and 99.5th) percentiles of the frame's
// modality values (numpy.percentile's linear method), or from their minimum
// and maximum when those coincide. A frame of one value has no window
// (Source "constant image") and renders as 0 (MONOCHROME1 255).
func (f *File) DisplayVOI(p *Pixels, frame int, opt DisplayOptions) (*VOILUT, error) {
	if err := checkFrame(p, frame); err != nil {
		return nil, err
	}
	m, err := f.ModalityLUT()
	if err != nil {
		return nil, err
	}
	xs, err := modalityTable(p, m)
	if err != nil {
		return nil, err
	}
	return f.displayVOI(p, frame, opt, m, xs)
}

func (f *File) displayVOI(p *Pixels, frame int, opt DisplayOptions, m *ModalityLUT, xs []float64) (*VOILUT, error) {
	if opt.Window != nil {
		w := *opt.Window
		var err error
		if w.Function, err = w.function(); err != nil {
			return nil, err
		}
		if err := w.check(); err != nil {
			return nil, err
		}
		return &VOILUT{Window: &w, Source: "window override"}, nil
	}
	if !opt.IgnoreFileVOI {
		v, err := f.VOILUT(opt.WindowIndex, !opt.PreferWindow)
		if err != nil || v != nil {
			return v, err
		}
	}
	if p.BitsAllocated == 8 && !p.Signed && m.Identity() {
		return &VOILUT{Source: "8-bit stored values", identity: true}, nil
	}
	pl, ph := opt.Percentiles[0], opt.Percentiles[1]
	if pl == 0 && ph == 0 {
		pl, ph = 0.5, 99.5
	}
	if !(pl >= 0 && pl < ph && ph <= 100) {
		return nil, fmt.Errorf("dicom: auto-window percentiles %v..%v: want 0 <= low < high <= 100", pl, ph)
	}
	// Histogram of stored values, then the modality values in sorted order
	// with their counts: the percentiles of the frame without sorting it.
	counts := make([]int, len(xs))
	frameHistogram(counts, p, frame)
	type bin struct {
		v float64
		n int
	}
	var bins []bin
	for k, c := range counts {
		if c > 0 {
			bins = append(bins, bin{xs[k], c})
		}
	}
	slices.SortStableFunc(bins, func(a, b bin) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	n := p.Rows * p.Cols
	at := func(j int) float64 { // the j-th smallest value
		for _, b := range bins {
			if j < b.n {
				return b.v
			}
			j -= b.n
		}
		return bins[len(bins)-1].v
	}
	// numpy.percentile, method "linear" (numpy/lib/function_base.py:
	// virtual index (n-1)*q, _lerp).
	pct := func(q float64) float64 {
		vi := float64(n-1) * (q / 100)
		prev := math.Floor(vi)
		if vi >= float64(n-1) {
			return at(n - 1)
		}
		a, b := at(int(prev)), at(int(prev)+1)
		g := vi - prev
		d := b - a
		if g >= 0.5 {
			return b - float64(d*(1-g))
		}
		return a + float64(d*g)
	}
	wl, wh := pct(pl), pct(ph)
	if !(wh > wl) {
		wl, wh = bins[0].v, bins[len(bins)-1].v
	}
	if !(wh > wl) {
		return &VOILUT{Source: "constant image"}, nil
	}
	return &VOILUT{
		Window: &Window{Center: (wl + wh) / 2, Width: wh - wl, Function: windowLinearExact},
		Source: fmt.Sprintf("auto window (percentiles %s-%s)", fmtNum(pl), fmtNum(ph)),
	}, nil
}

func checkFrame(p *Pixels, frame int) error {
	if frame < 0 || frame >= p.Frames {
		return fmt.Errorf("dicom: frame %d requested, the image has %d frame(s)", frame, p.Frames)
	}
	if p.BitsStored < 1 || p.BitsStored > 16 {
		return fmt.Errorf("dicom: BitsStored %d is outside 1..16", p.BitsStored)
	}
	have := len(p.U8) + len(p.I8) + len(p.U16) + len(p.I16)
	if have != p.Len() || p.Rows <= 0 || p.Cols <= 0 {
		return fmt.Errorf("dicom: pixels hold %d values, want %d frames x %d rows x %d cols", have, p.Frames, p.Rows, p.Cols)
	}
	return nil
}

// modalityTable returns the modality value of every stored value BitsStored
// allows, indexed by stored value minus the smallest one (at most 65536
// entries): every stage after it is a function of the stored value, so it
// is computed once per value, not once per pixel.
func modalityTable(p *Pixels, m *ModalityLUT) ([]float64, error) {
	lo, hi := p.storedRange()
	xs := make([]float64, int(hi-lo)+1)
	for k := range xs {
		xs[k] = lo + float64(k)
	}
	if err := m.Apply(xs, xs); err != nil {
		return nil, err
	}
	return xs, nil
}

// storedInt is the element type of a Pixels array.
type storedInt interface{ uint8 | int8 | uint16 | int16 }

// frameLookup sets dst[i] = table[v-lo] for the stored values v of frame.
// Values are within BitsStored (Pixels guarantees it); any other is clamped
// so that the lookup cannot fail.
func frameLookup(dst []uint8, p *Pixels, frame int, table []uint8) {
	lo, _ := p.storedRange()
	switch n := p.Rows * p.Cols; {
	case p.U8 != nil:
		lookup(dst, p.U8[frame*n:(frame+1)*n], int(lo), table)
	case p.I8 != nil:
		lookup(dst, p.I8[frame*n:(frame+1)*n], int(lo), table)
	case p.U16 != nil:
		lookup(dst, p.U16[frame*n:(frame+1)*n], int(lo), table)
	case p.I16 != nil:
		lookup(dst, p.I16[frame*n:(frame+1)*n], int(lo), table)
	}
}

func lookup[T storedInt](dst []uint8, src []T, lo int, table []uint8) {
	top := len(table) - 1
	for i, v := range src {
		dst[i] = table[max(0, min(int(v)-lo, top))]
	}
}

// frameHistogram counts the stored values of frame: counts[v-lo]
// (clamped as in frameLookup).
func frameHistogram(counts []int, p *Pixels, frame int) {
	lo, _ := p.storedRange()
	switch n := p.Rows * p.Cols; {
	case p.U8 != nil:
		histogram(counts, p.U8[frame*n:(frame+1)*n], int(lo))
	case p.I8 != nil:
		histogram(counts, p.I8[frame*n:(frame+1)*n], int(lo))
	case p.U16 != nil:
		histogram(counts, p.U16[frame*n:(frame+1)*n], int(lo))
	case p.I16 != nil:
		histogram(counts, p.I16[frame*n:(frame+1)*n], int(lo))
	}
}

func histogram[T storedInt](counts []int, src []T, lo int) {
	top := len(counts) - 1
	for _, v := range src {
		counts[max(0, min(int(v)-lo, top))]++
	}
}

// parseLUT reads a LUT Descriptor and LUT Data from a sequence item.
// signedInput says whether a first-mapped value encoded as US (or UN) is a
// signed 16-bit value. The descriptor's length and the data's length are
// checked before anything is allocated.
func parseLUT(item *DataSet, signedInput bool, where string) (*LUT, error) {
	de, ok := item.Get(lutDescriptor)
	if !ok {
		return nil, fmt.Errorf("dicom: %s has no LUT Descriptor (0028,3002)", where)
	}
	if len(de.Value) != 6 || isText(de.VR) {
		return nil, &ParseError{Offset: de.Offset, Tag: lutDescriptor, HasTag: true,
			Msg: fmt.Sprintf("%s: LUT Descriptor is %d bytes of VR %s, want three 16-bit values (6 bytes)", where, len(de.Value), de.VR)}
	}
	o := de.byteOrder()
	n := int(o.Uint16(de.Value))
	if n == 0 {
		n = 1 << 16
	}
	first := int(o.Uint16(de.Value[2:]))
	if de.VR == "SS" || signedInput {
		first = int(int16(first))
	}
	nbits := int(o.Uint16(de.Value[4:]))
	if nbits < 8 || nbits > 16 {
		return nil, &ParseError{Offset: de.Offset, Tag: lutDescriptor, HasTag: true,
			Msg: fmt.Sprintf("%s: LUT Descriptor gives %d bits per entry, want 8 to 16", where, nbits)}
	}
	l := &LUT{FirstMapped: first, Bits: nbits, Explanation: textOf(item, lutExplanation)}
	dd, ok := item.Get(lutData)
	if !ok {
		return nil, fmt.Errorf("dicom: %s has no LUT Data (0028,3006)", where)
	}
	b := dd.Value
	words := len(b) / 2
	switch {
	case isText(dd.VR) || len(b)%2 != 0:
		return nil, &ParseError{Offset: dd.Offset, Tag: lutData, HasTag: true,
			Msg: fmt.Sprintf("%s: LUT Data is %d bytes of VR %s, want 16-bit words", where, len(b), dd.VR)}
	case words >= n:
		// One entry per 16-bit word (US, or OW); extra words are padding.
		o := dd.byteOrder()
		l.Data = make([]uint16, n)
		for i := range l.Data {
			l.Data[i] = o.Uint16(b[2*i:])
		}
	case nbits == 8 && words == (n+1)/2:
		// 8-bit entries packed two per word, the first in the low byte
		// (PS3.3 C.11.1.1.1: "stored in a format equivalent to 8 bits
		// allocated").
		o := dd.byteOrder()
		l.Data = make([]uint16, n)
		for i := range l.Data {
			w := o.Uint16(b[2*(i/2):])
			l.Data[i] = (w >> (8 * (i % 2))) & 0xFF
		}
	default:
		return nil, &ParseError{Offset: dd.Offset, Tag: lutData, HasTag: true,
			Msg: fmt.Sprintf("%s: LUT Data holds %d 16-bit words, the LUT Descriptor says %d entries of %d bits", where, words, n, nbits)}
	}
	return l, nil
}

// byteOrder returns the byte order e's value was read in.
func (e *Element) byteOrder() binary.ByteOrder {
	if e.order == nil {
		return binary.LittleEndian
	}
	return e.order
}

// seqItems returns the items of sequence t in ds (nil when absent). The
// Modality and VOI LUT sequences are not in the dictionary, so in an
// implicit VR data set a defined-length one arrives as UN bytes: those are
// parsed as an implicit VR little endian sequence (PS3.5 6.2.2), by the
// same parser and with the same checks as any sequence.
func seqItems(ds *DataSet, t Tag) ([]*DataSet, error) {
	e, ok := ds.Get(t)
	switch {
	case !ok:
		return nil, nil
	case e.Items != nil || len(e.Value) == 0:
		return e.Items, nil
	case e.VR != "UN":
		return nil, &ParseError{Offset: e.Offset, Tag: t, HasTag: true, Msg: fmt.Sprintf("want a sequence, have VR %s", e.VR)}
	}
	// Wrap the value as the value of a sequence the dictionary knows.
	wrapped := make([]byte, 0, 8+len(e.Value))
	wrapped = binary.LittleEndian.AppendUint16(wrapped, ReferencedImageSeq.Group())
	wrapped = binary.LittleEndian.AppendUint16(wrapped, ReferencedImageSeq.Element())
	wrapped = binary.LittleEndian.AppendUint32(wrapped, uint32(len(e.Value)))
	wrapped = append(wrapped, e.Value...)
	sub, err := ParseDataSet(wrapped, ImplicitVRLittleEndian)
	if err != nil {
		return nil, &ParseError{Offset: e.Offset, Tag: t, HasTag: true, Msg: fmt.Sprintf("sequence of VR UN: %v", err)}
	}
	se, ok := sub.Get(ReferencedImageSeq)
	if !ok || se.Items == nil {
		return nil, &ParseError{Offset: e.Offset, Tag: t, HasTag: true, Msg: "VR UN value is not a sequence of items"}
	}
	return se.Items, nil
}

// textOf returns the text value of t in ds ("" when absent), including
// text that arrives as UN in implicit VR data sets.
func textOf(ds *DataSet, t Tag) string {
	e, ok := ds.Get(t)
	if !ok {
		return ""
	}
	if e.VR == "UN" {
		return strings.TrimSpace(strings.TrimRight(string(e.Value), " \x00"))
	}
	return e.String()
}

// numbers returns the values of a DS (or IS, or binary) element; a value
// that is not a number is an error (Floats would skip it and shift the
// rest).
func numbers(ds *DataSet, t Tag) ([]float64, error) {
	e, ok := ds.Get(t)
	if !ok {
		return nil, nil
	}
	if !isText(e.VR) && e.VR != "UN" {
		return e.Floats(), nil
	}
	raw := textOf(ds, t)
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var out []float64
	for i, s := range strings.Split(raw, `\`) {
		s = strings.TrimSpace(strings.TrimRight(s, "\x00"))
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, &ParseError{Offset: e.Offset, Tag: t, HasTag: true, Msg: fmt.Sprintf("value %d, %q, is not a finite number", i+1, s)}
		}
		out = append(out, v)
	}
	return out, nil
}

// firstFloat returns the first value of t, or def when t is absent or
// empty.
func firstFloat(ds *DataSet, t Tag, def float64) (float64, error) {
	v, err := numbers(ds, t)
	if err != nil || len(v) == 0 {
		return def, err
	}
	return v[0], nil
}
