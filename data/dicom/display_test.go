package dicom

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/internal/golden"
)

const displayDir = "testdata/display"

// storedFloats returns the stored values of p as float64.
func storedFloats(p *Pixels) []float64 {
	x := make([]float64, p.Len())
	for i := range x {
		x[i] = p.Stored(i)
	}
	return x
}

// closeTo compares got with want (pydicom's float64 stored as float32):
// within 1e-6 relative, or 1e-6 of the output range near zero.
func closeTo(t *testing.T, what string, got []float64, want []float32, scale float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, golden has %d", what, len(got), len(want))
	}
	bad := 0
	for i, w := range want {
		if d := math.Abs(got[i] - float64(w)); !(d <= 1e-6*math.Abs(float64(w)) || d <= 1e-6*scale) {
			if bad < 5 {
				t.Errorf("%s[%d] = %v, pydicom %v", what, i, got[i], w)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values differ from pydicom", what, bad, len(want))
	}
}

func equal8(t *testing.T, what string, got []uint8, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d pixels, golden has %d", what, len(got), len(want))
	}
	bad := 0
	for i, w := range want {
		if float32(got[i]) != w {
			if bad < 5 {
				t.Errorf("%s[%d] = %d, want %v", what, i, got[i], w)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d pixels differ", what, bad, len(want))
	}
}

// TestDisplayGoldens checks ApplyModalityLUT and ApplyVOILUT against
// pydicom 2.3's apply_modality_lut and apply_voi_lut, and Display8 against
// the 8-bit images scripts/golden/dicom_display.py computes from them.
func TestDisplayGoldens(t *testing.T) {
	g, err := golden.Load(filepath.Join(displayDir, "display.gold"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{} // case name -> a real (shared) file
	for _, name := range g.Names() {
		c := name[:strings.Index(name, ".")]
		cases[c] = c == "ct_small" || c == "mr_small"
	}
	if len(cases) < 15 {
		t.Fatalf("golden file has %d cases", len(cases))
	}
	for c, real := range cases {
		t.Run(c, func(t *testing.T) {
			path := filepath.Join(displayDir, c+".dcm")
			stride := 1
			if real {
				path = sharedFile(t, map[string]string{"ct_small": "CT_small.dcm", "mr_small": "MR_small_implicit.dcm"}[c])
				stride = 5 // the script's SUB
			}
			f, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			p, err := f.Pixels()
			if err != nil {
				t.Fatal(err)
			}
			mod := storedFloats(p)
			if err := ApplyModalityLUT(mod, mod, f); err != nil {
				t.Fatal(err)
			}
			sub := func(x []float64) []float64 {
				var out []float64
				for i := 0; i < len(x); i += stride {
					out = append(out, x[i])
				}
				return out
			}
			m, err := f.ModalityLUT()
			if err != nil {
				t.Fatal(err)
			}
			rg := g.Get(c + ".range").Data
			if float32(m.Min) != rg[0] || float32(m.Max) != rg[1] {
				t.Errorf("modality range %v..%v, pydicom's windowing range %v..%v", m.Min, m.Max, rg[0], rg[1])
			}
			scale := math.Abs(m.Max - m.Min)
			closeTo(t, "modality", sub(mod), g.Get(c+".modality").Data, scale)
			for _, name := range g.Names() {
				rest, ok := strings.CutPrefix(name, c+".")
				if !ok {
					continue
				}
				var index int
				var win bool
				switch {
				case strings.HasPrefix(rest, "voi.i"):
					fmt.Sscanf(rest, "voi.i%d", &index)
					win = strings.HasSuffix(rest, ".win")
					voi := make([]float64, len(mod))
					if err := ApplyVOILUT(voi, mod, f, index, !win); err != nil {
						t.Fatalf("%s: %v", rest, err)
					}
					closeTo(t, rest, sub(voi), g.Get(name).Data, scale)
				case strings.HasPrefix(rest, "u8"):
					if strings.HasPrefix(rest, "u8.i") {
						fmt.Sscanf(rest, "u8.i%d", &index)
					}
					win = strings.HasSuffix(rest, ".win")
					img, err := f.Display8(DisplayOptions{WindowIndex: index, PreferWindow: win})
					if err != nil {
						t.Fatalf("%s: %v", rest, err)
					}
					equal8(t, rest, img.Pix, g.Get(name).Data)
				}
			}
		})
	}
}

// TestDisplayGoldenFilesAsExpected pins what the golden inputs exercise,
// so that a regenerated set cannot silently drop a feature.
func TestDisplayGoldenFilesAsExpected(t *testing.T) {
	read := func(name string) *File {
		t.Helper()
		f, err := ReadFile(filepath.Join(displayDir, name+".dcm"))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	m, err := read("modlut16_signed").ModalityLUT()
	if err != nil || m.LUT == nil || m.LUT.FirstMapped != -512 || m.LUT.Bits != 16 || len(m.LUT.Data) != 1024 {
		t.Errorf("modlut16_signed: %+v %v", m, err)
	}
	f := read("modlut_implicit")
	if f.Syntax.ExplicitVR {
		t.Error("modlut_implicit is not implicit VR")
	}
	if m, err := f.ModalityLUT(); err != nil || m.LUT == nil || m.LUT.FirstMapped != 20 || m.LUT.Bits != 8 || len(m.LUT.Data) != 200 || m.LUT.Explanation != "lungo test LUT" {
		t.Errorf("modlut_implicit: %+v %v", m, err)
	}
	if !read("modlut16_be").Syntax.BigEndian {
		t.Error("modlut16_be is not big endian")
	}
	v, err := read("voilut_two_items").VOILUT(1, true)
	if err != nil || v.LUT == nil || v.LUT.FirstMapped != 3850 || v.LUT.Bits != 8 || v.Source != "file VOI LUT 2 of 2" {
		t.Errorf("voilut_two_items item 2: %v %v", v, err)
	}
	v, err = read("voilut_two_items").VOILUT(1, false)
	if err != nil || v.Window == nil || *v.Window != (Window{1000, 500, "LINEAR"}) {
		t.Errorf("voilut_two_items window 2: %v %v", v, err)
	}
	for name, fn := range map[string]string{"signed_sigmoid": "SIGMOID", "signed_linear_exact": "LINEAR_EXACT", "mono1_window": "LINEAR"} {
		if v, err := read(name).VOILUT(0, true); err != nil || v.Window == nil || v.Window.Function != fn {
			t.Errorf("%s: %v %v", name, v, err)
		}
	}
}

// lutFile builds an explicit VR little endian image of the given stored
// values with extra elements (a 1 x len(vals) image).
func lutFile(t *testing.T, bitsStored int, signed bool, photometric string, vals []int, extra ...el) *File {
	t.Helper()
	o := binary.LittleEndian
	var raw []byte
	for _, v := range vals {
		raw = o.AppendUint16(raw, uint16(v))
	}
	es := imageElems(o, 1, 1, len(vals), 16, bitsStored, signed, photometric)
	es = append(es, extra...)
	sort.Slice(es, func(i, j int) bool { return es[i].tag < es[j].tag })
	es = append(es, el{tag: PixelData, vr: "OW", val: raw})
	f, err := Parse(part10(ExplicitVRLittleEndian, synth{o, true}.elems(nil, es)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// lutSeq builds a one-item LUT sequence.
func lutSeq(tag Tag, descVR string, desc [3]uint16, dataVR string, data []byte) el {
	return el{tag: tag, vr: "SQ", items: [][]el{{
		{tag: lutDescriptor, vr: descVR, val: us(binary.LittleEndian, desc[:]...)},
		{tag: lutData, vr: dataVR, val: data},
	}}}
}

func words(v ...uint16) []byte { return us(binary.LittleEndian, v...) }

func modality(t *testing.T, f *File, x ...float64) []float64 {
	t.Helper()
	out := make([]float64, len(x))
	if err := ApplyModalityLUT(out, x, f); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLUTDescriptorForms(t *testing.T) {
	// 0 entries means 65536: a LUT over the whole 16-bit range.
	big := make([]uint16, 1<<16)
	for i := range big {
		big[i] = uint16(65535 - i)
	}
	f := lutFile(t, 16, false, "MONOCHROME2", []int{0}, lutSeq(modalityLUTSeq, "US", [3]uint16{0, 0, 16}, "OW", words(big...)))
	if got := modality(t, f, 0, 1, 65535, 70000, -3); got[0] != 65535 || got[1] != 65534 || got[2] != 0 || got[3] != 0 || got[4] != 65535 {
		t.Errorf("65536-entry LUT: %v", got)
	}
	// First mapped value -2 written as US (65534) in a signed image reads
	// as -2; written as SS likewise; in an unsigned image it is 65534.
	for _, vr := range []string{"US", "SS"} {
		f = lutFile(t, 16, true, "MONOCHROME2", []int{0}, lutSeq(modalityLUTSeq, vr, [3]uint16{3, 65534, 16}, "US", words(10, 20, 30)))
		if got := modality(t, f, -5, -2, -1, 0, 1, 2.9); fmt.Sprint(got) != "[10 10 20 30 30 30]" {
			t.Errorf("signed first mapped (%s): %v", vr, got)
		}
	}
	f = lutFile(t, 16, false, "MONOCHROME2", []int{0}, lutSeq(modalityLUTSeq, "US", [3]uint16{3, 65534, 16}, "US", words(10, 20, 30)))
	if got := modality(t, f, 0, 65534, 65535.5, 65536); fmt.Sprint(got) != "[10 10 20 30]" {
		t.Errorf("unsigned first mapped 65534: %v", got)
	}
	// 8-bit entries packed two per word (odd count), low byte first.
	f = lutFile(t, 8, false, "MONOCHROME2", []int{0}, lutSeq(modalityLUTSeq, "US", [3]uint16{3, 0, 8}, "OW", []byte{7, 8, 9, 0}))
	if got := modality(t, f, 0, 1, 2); fmt.Sprint(got) != "[7 8 9]" {
		t.Errorf("packed 8-bit entries: %v", got)
	}
	// Implicit VR, undefined-length sequence: the parser makes the items,
	// whose LUT elements arrive as UN.
	o := binary.LittleEndian
	es := imageElems(o, 1, 1, 2, 16, 16, false, "MONOCHROME2")
	seq := lutSeq(modalityLUTSeq, "", [3]uint16{2, 5, 16}, "", words(100, 200))
	seq.undefined = true
	es = append(es, seq, el{tag: PixelData, vr: "OW", val: words(5, 6)})
	if f, err := Parse(part10(ImplicitVRLittleEndian, synth{o, false}.elems(nil, es))); err != nil {
		t.Error(err)
	} else if got := modality(t, f, 0, 6, 9); fmt.Sprint(got) != "[100 200 200]" {
		t.Errorf("implicit VR undefined-length LUT sequence: %v", got)
	}
	// Entries above the stated bits widen the output range (DCMTK's leniency).
	f = lutFile(t, 12, false, "MONOCHROME2", []int{0}, lutSeq(modalityLUTSeq, "US", [3]uint16{2, 0, 12}, "US", words(0, 65535)))
	if m, err := f.ModalityLUT(); err != nil || m.Max != 65535 {
		t.Errorf("understated bits: %+v %v", m, err)
	}
}

func TestDisplayErrors(t *testing.T) {
	win := func(c, w string) []el {
		return []el{{tag: WindowCenter, vr: "DS", val: txt(c)}, {tag: WindowWidth, vr: "DS", val: txt(w)}}
	}
	fn := func(s string) el { return el{tag: voiLUTFunction, vr: "CS", val: txt(s)} }
	cases := []struct {
		name  string
		extra []el
		opt   DisplayOptions
		want  string
	}{
		{"bits 7", []el{lutSeq(modalityLUTSeq, "US", [3]uint16{1, 0, 7}, "US", words(1))}, DisplayOptions{}, "gives 7 bits per entry, want 8 to 16"},
		{"bits 17", []el{lutSeq(voiLUTSeq, "US", [3]uint16{1, 0, 17}, "US", words(1))}, DisplayOptions{}, "gives 17 bits per entry"},
		{"short data", []el{lutSeq(modalityLUTSeq, "US", [3]uint16{4, 0, 16}, "OW", words(1, 2, 3))}, DisplayOptions{}, "LUT Data holds 3 16-bit words, the LUT Descriptor says 4 entries"},
		{"65536 entries, 2 given", []el{lutSeq(voiLUTSeq, "US", [3]uint16{0, 0, 16}, "OW", words(1, 2))}, DisplayOptions{}, "says 65536 entries"},
		{"linear width 0.5", win("100", "0.5"), DisplayOptions{}, "LINEAR window needs a width of at least 1"},
		{"sigmoid width 0", append(win("100", "0"), fn("SIGMOID")), DisplayOptions{}, "SIGMOID window needs a width above 0"},
		{"exact width -1", append(win("100", "-1"), fn("LINEAR_EXACT")), DisplayOptions{}, "LINEAR_EXACT window needs a width above 0"},
		{"unknown function", append(win("100", "10"), fn("LOG")), DisplayOptions{}, `VOI LUT Function (0028,1056) "LOG" is not supported`},
		{"center not a number", win(`100\abc`, `10\20`), DisplayOptions{}, `value 2, "abc", is not a finite number`},
		{"index past windows", win(`100\200`, `10\20`), DisplayOptions{WindowIndex: 2}, "VOI index 2, but Window Center (0028,1050) has 2 values"},
		{"negative index", win("100", "10"), DisplayOptions{WindowIndex: -1}, "VOI index -1 is negative"},
		{"index past LUT items", []el{lutSeq(voiLUTSeq, "US", [3]uint16{1, 0, 16}, "US", words(1))}, DisplayOptions{WindowIndex: 1}, "VOI LUT Sequence (0028,3010) has 1 item(s)"},
		{"slope 0", []el{{tag: RescaleIntercept, vr: "DS", val: txt("1")}, {tag: RescaleSlope, vr: "DS", val: txt("0")}}, DisplayOptions{}, "Rescale Slope (0028,1053) is 0"},
		{"frame 1 of 1", nil, DisplayOptions{Frame: 1}, "frame 1 requested, the image has 1 frame(s)"},
		{"percentiles", nil, DisplayOptions{Percentiles: [2]float64{50, 10}}, "want 0 <= low < high <= 100"},
		{"override width", win("1", "1"), DisplayOptions{Window: &Window{Center: 5, Width: 0}}, "LINEAR window needs a width of at least 1"},
	}
	for _, c := range cases {
		f := lutFile(t, 12, false, "MONOCHROME2", []int{0, 100, 4095}, c.extra...)
		_, err := f.Display8(c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	// Descriptor of 2 values; LUT Data of odd length.
	f := lutFile(t, 12, false, "MONOCHROME2", []int{0}, el{tag: modalityLUTSeq, vr: "SQ", items: [][]el{{
		{tag: lutDescriptor, vr: "US", val: words(1, 0)}, {tag: lutData, vr: "US", val: words(1)}}}})
	if _, err := f.Display8(DisplayOptions{}); err == nil || !strings.Contains(err.Error(), "LUT Descriptor is 4 bytes of VR US, want three 16-bit values") {
		t.Errorf("2-value descriptor: %v", err)
	}
	f = lutFile(t, 12, false, "MONOCHROME2", []int{0}, el{tag: modalityLUTSeq, vr: "SQ", items: [][]el{{
		{tag: lutDescriptor, vr: "US", val: words(1, 0, 8)}, {tag: lutData, vr: "OB", val: []byte{1, 2, 3, 0}}}}})
	f.DataSet.Elements[len(f.DataSet.Elements)-2].Items[0].Elements[1].Value = []byte{1, 2, 3}
	if _, err := f.Display8(DisplayOptions{}); err == nil || !strings.Contains(err.Error(), "LUT Data is 3 bytes") {
		t.Errorf("odd LUT Data: %v", err)
	}
	var pe *ParseError
	if !errors.As(err0(f.Display8(DisplayOptions{})), &pe) {
		t.Error("LUT data errors are not *ParseError")
	}
	// Missing LUT Data in a modality LUT item.
	f = lutFile(t, 12, false, "MONOCHROME2", []int{0}, el{tag: modalityLUTSeq, vr: "SQ", items: [][]el{{
		{tag: lutDescriptor, vr: "US", val: words(1, 0, 8)}}}})
	if _, err := f.Display8(DisplayOptions{}); err == nil || !strings.Contains(err.Error(), "has no LUT Data (0028,3006)") {
		t.Errorf("missing LUT Data: %v", err)
	}
}

func ExampleFile_Display8() {
	f, err := ReadFile("testdata/display/signed_linear_exact.dcm")
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := f.Pixels()
	if err != nil {
		fmt.Println(err)
		return
	}
	voi, err := f.DisplayVOI(p, 0, DisplayOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	img, err := f.DisplayPixels8(p, 0, DisplayOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(voi)
	fmt.Println(img.Rect.Dx(), img.Rect.Dy(), img.Pix[0], img.Pix[130], img.Pix[138], img.Pix[255])
	// Output:
	// 40/400 LINEAR_EXACT file window 1 of 1
	// 16 16 0 49 133 255
}

func err0[T any](_ T, err error) error { return err }

func TestDisplayChoices(t *testing.T) {
	vals := make([]int, 1000)
	for i := range vals {
		vals[i] = i * 4 // 0..3996, 12 bits
	}
	win := []el{{tag: WindowCenter, vr: "DS", val: txt(`1000\3000`)}, {tag: WindowWidth, vr: "DS", val: txt(`2000`)}}
	f := lutFile(t, 12, false, "MONOCHROME2", vals, win...)

	// Default: the first window; the single width serves both centres.
	v, err := f.VOILUT(1, true)
	if err != nil || *v.Window != (Window{3000, 2000, "LINEAR"}) || v.Source != "file window 2 of 2" {
		t.Errorf("window 2: %v %v", v, err)
	}
	img, err := f.Display8(DisplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// LINEAR 1000/2000 over 0..4095: x <= -0.5 -> 0, x > 1998.5 -> 255.
	if img.Pix[0] != 0 || img.Pix[500] != 255 || img.Pix[250] != 128 {
		t.Errorf("window 1: pixels 0, 250, 500 = %d %d %d", img.Pix[0], img.Pix[250], img.Pix[500])
	}
	// Override; ignoring the file's window gives the auto window.
	img, err = f.Display8(DisplayOptions{Window: &Window{Center: 2000, Width: 4000, Function: "linear_exact"}})
	if err != nil || img.Pix[0] != 0 || img.Pix[999] != 255 || img.Pix[500] != 128 {
		t.Errorf("override: %d %d %v", img.Pix[0], img.Pix[999], err)
	}
	p, _ := f.Pixels()
	v, err = f.DisplayVOI(p, 0, DisplayOptions{IgnoreFileVOI: true})
	// numpy.percentile(arange(1000)*4, [0.5, 99.5]) = 19.98, 3976.02
	if err != nil || v.Window == nil || math.Abs(v.Window.Center-1998) > 1e-9 || math.Abs(v.Window.Width-3956.04) > 1e-9 || v.Window.Function != "LINEAR_EXACT" {
		t.Errorf("auto window: %v %v", v, err)
	}
	img, err = f.DisplayPixels8(p, 0, DisplayOptions{IgnoreFileVOI: true})
	if err != nil || img.Pix[0] != 0 || img.Pix[999] != 255 || img.Pix[500] < 127 || img.Pix[500] > 130 {
		t.Errorf("auto window pixels: %d %d %d %v", img.Pix[0], img.Pix[500], img.Pix[999], err)
	}

	// Every kind of VOI describes itself.
	for _, v := range []*VOILUT{nil, {Source: "8-bit stored values", identity: true}, {Source: "constant image"},
		{Window: &Window{1, 2, "SIGMOID"}, Source: "window override"}, {LUT: &LUT{FirstMapped: -3, Bits: 12, Data: []uint16{1}, Explanation: "x"}, Source: "file VOI LUT 1 of 1"}} {
		if s := v.String(); s == "" || strings.Contains(s, "PANIC") {
			t.Errorf("VOILUT.String: %q", s)
		}
	}

	// A constant image: black, and white for MONOCHROME1.
	for photo, want := range map[string]uint8{"MONOCHROME2": 0, "MONOCHROME1": 255} {
		f := lutFile(t, 16, false, photo, []int{700, 700, 700})
		img, err := f.Display8(DisplayOptions{})
		if err != nil || img.Pix[0] != want || img.Pix[2] != want {
			t.Errorf("constant %s: %v %v", photo, img, err)
		}
	}
	// MONOCHROME1 inverts after the window: low values are bright.
	f = lutFile(t, 12, false, "MONOCHROME1", []int{0, 4095}, el{tag: WindowCenter, vr: "DS", val: txt("2048")}, el{tag: WindowWidth, vr: "DS", val: txt("4096")})
	if img, err := f.Display8(DisplayOptions{}); err != nil || img.Pix[0] != 255 || img.Pix[1] != 0 {
		t.Errorf("MONOCHROME1: %v %v", img, err)
	}
}

// An 8-bit window of 128/256 is the identity; 8-bit images without a
// window are shown as stored (SIIM).
func TestDisplay8BitIdentity(t *testing.T) {
	raw := make([]byte, 256)
	for i := range raw {
		raw[i] = uint8(i)
	}
	for _, w := range [][2]string{{"", ""}, {"128", "256"}} {
		for _, photo := range []string{"MONOCHROME2", "MONOCHROME1"} {
			o := binary.LittleEndian
			es := imageElems(o, 1, 16, 16, 8, 8, false, photo)
			if w[0] != "" {
				es = append(es, el{tag: WindowCenter, vr: "DS", val: txt(w[0])}, el{tag: WindowWidth, vr: "DS", val: txt(w[1])})
			}
			es = append(es, el{tag: PixelData, vr: "OB", val: raw})
			f, err := Parse(part10(ExplicitVRLittleEndian, synth{o, true}.elems(nil, es)))
			if err != nil {
				t.Fatal(err)
			}
			img, err := f.Gray8()
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range img.Pix {
				want := uint8(i)
				if photo == "MONOCHROME1" {
					want = 255 - want
				}
				if v != want {
					t.Fatalf("window %q %s: pixel %d = %d, want %d", w, photo, i, v, want)
				}
			}
		}
	}
}

func TestDisplayMultiFrame(t *testing.T) {
	o := binary.LittleEndian
	es := imageElems(o, 2, 1, 3, 16, 12, false, "MONOCHROME2")
	es = append(es, el{tag: PixelData, vr: "OW", val: words(0, 100, 200, 4000, 4000, 4000)})
	f, err := Parse(part10(ExplicitVRLittleEndian, synth{o, true}.elems(nil, es)))
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.Display8(DisplayOptions{})
	if err != nil || fmt.Sprint(a.Pix) != "[0 128 255]" {
		t.Errorf("frame 0: %v %v", a, err)
	}
	b, err := f.Display8(DisplayOptions{Frame: 1})
	if err != nil || fmt.Sprint(b.Pix) != "[0 0 0]" {
		t.Errorf("frame 1 (constant): %v %v", b, err)
	}
	if _, err := f.Gray8(); err == nil || !strings.Contains(err.Error(), "single-frame") {
		t.Errorf("Gray8 of 2 frames: %v", err)
	}
}

// 16-bit files render through the viewer path.
func TestGray8Of16Bit(t *testing.T) {
	img, err := ReadGray8File(sharedFile(t, "MR_small_implicit.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect.Dx() != 64 || img.Rect.Dy() != 64 {
		t.Fatalf("size %v", img.Rect)
	}
	lo, hi := uint8(255), uint8(0)
	for _, v := range img.Pix {
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi != 255 || lo > 60 {
		t.Errorf("MR_small (window 600/1600) spans %d..%d", lo, hi)
	}
}

func FuzzDisplay8(f *testing.F) {
	ents, _ := os.ReadDir(displayDir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".dcm") {
			if b, err := os.ReadFile(filepath.Join(displayDir, e.Name())); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Parse(b)
		if err != nil {
			return
		}
		p, err := d.Pixels()
		if err != nil || p.Len() > 1<<20 {
			return
		}
		for _, opt := range []DisplayOptions{{}, {PreferWindow: true, WindowIndex: 1}, {IgnoreFileVOI: true}} {
			img, err := d.DisplayPixels8(p, 0, opt)
			if err == nil && len(img.Pix) != p.Rows*p.Cols {
				t.Fatalf("%d pixels for %dx%d", len(img.Pix), p.Rows, p.Cols)
			}
		}
	})
}

// BenchmarkDisplayPixels8 renders a 2048x2048 15-bit radiograph-sized
// image with the file's window and with the auto window.
func BenchmarkDisplayPixels8(b *testing.B) {
	const side = 2048
	vals := make([]uint16, side*side)
	for i := range vals {
		vals[i] = uint16((i*7919 + i/side*31) % 32768)
	}
	o := binary.LittleEndian
	es := imageElems(o, 1, side, side, 16, 15, false, "MONOCHROME1")
	es = append(es, el{tag: WindowCenter, vr: "DS", val: txt("15000")}, el{tag: WindowWidth, vr: "DS", val: txt("30000")},
		el{tag: PixelData, vr: "OW", val: words(vals...)})
	f, err := Parse(part10(ExplicitVRLittleEndian, synth{o, true}.elems(nil, es)))
	if err != nil {
		b.Fatal(err)
	}
	p, err := f.Pixels()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		opt  DisplayOptions
	}{{"window", DisplayOptions{}}, {"auto", DisplayOptions{IgnoreFileVOI: true}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(side * side * 2)
			for b.Loop() {
				if _, err := f.DisplayPixels8(p, 0, c.opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
