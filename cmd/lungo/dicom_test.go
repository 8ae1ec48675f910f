package main

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/internal/npy"
)

// writeTestSC writes a small JPEG Secondary Capture and returns its path.
func writeTestSC(t *testing.T, dir, name string) (string, *image.Gray) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 24, 16))
	for i := range img.Pix {
		img.Pix[i] = uint8(i % 200)
	}
	var buf bytes.Buffer
	meta := dicom.SecondaryCapture{SOPInstanceUID: "1.2.3.4", StudyInstanceUID: "1.2.3", SeriesInstanceUID: "1.2.3.5",
		PatientSex: "F", PatientAge: "47", ViewPosition: "AP", PixelSpacing: [2]float64{0.14, 0.14}}
	if err := dicom.WriteJPEGSecondaryCapture(&buf, img, meta); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, img
}

func TestDicomCommand(t *testing.T) {
	dir := t.TempDir()
	a, _ := writeTestSC(t, dir, "a.dcm")
	b, _ := writeTestSC(t, dir, "b.dcm")

	var out bytes.Buffer
	one := filepath.Join(dir, "one.npy")
	if err := dicomOne(&out, a, 1, one, false, "", dicom.DisplayOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1.2.840.10008.1.2.4.50 (JPEG Baseline (Process 1))", "16 x 24 (rows x cols), 1 frame(s)",
		"8 allocated, 8 stored, unsigned", "MONOCHROME2", "sex F, age 47", "AP", `0.14\0.14`, "1.2.3.4"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	fh, err := os.Open(one)
	if err != nil {
		t.Fatal(err)
	}
	h, err := npy.ReadHeader(fh)
	fh.Close()
	if err != nil || h.Descr != "|u1" || len(h.Shape) != 3 || h.Shape[0] != 1 || h.Shape[1] != 16 || h.Shape[2] != 24 {
		t.Fatalf("npy header %+v %v", h, err)
	}

	// Several files: OUT is a directory of <name>.npy / <name>.png.
	outDir := filepath.Join(dir, "out")
	if err := runDicom([]string{"-npy", outDir, "-display", a, b}); err != nil {
		t.Fatal(err)
	}
	fh, err = os.Open(filepath.Join(outDir, "b.npy"))
	if err != nil {
		t.Fatal(err)
	}
	shape, vals, err := npy.ReadFloat32(fh)
	fh.Close()
	if err != nil || len(vals) != 16*24 || shape[1] != 16 {
		t.Fatalf("display npy: %v %d %v", shape, len(vals), err)
	}
	if err := runDicom([]string{"-png", outDir, a, b}); err != nil {
		t.Fatal(err)
	}
	fh, err = os.Open(filepath.Join(outDir, "a.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(fh)
	fh.Close()
	if err != nil || img.Bounds().Dx() != 24 || img.Bounds().Dy() != 16 {
		t.Fatalf("png: %v %v", img.Bounds(), err)
	}
	want, err := dicom.ReadGray8File(a)
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := img.(*image.Gray); !ok || !bytes.Equal(g.Pix, want.Pix) {
		t.Error("8-bit PNG differs from the decoded pixels")
	}

	// Two inputs with the same base name are refused before writing.
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	a2, _ := writeTestSC(t, sub, "a.dcm")
	if err := runDicom([]string{"-npy", outDir, a, a2}); err == nil || !strings.Contains(err.Error(), "same output file") {
		t.Errorf("duplicate base names: %v", err)
	}

	// A bad file fails with its name, the others still run.
	bad := filepath.Join(dir, "bad.dcm")
	os.WriteFile(bad, []byte("not dicom"), 0o644)
	if err := runDicom([]string{bad, a}); err == nil || !strings.Contains(err.Error(), "1 of 2 files failed") {
		t.Errorf("error %v", err)
	}
}

func TestDicomDisplayPNG(t *testing.T) {
	dir := t.TempDir()
	a, img := writeTestSC(t, dir, "a.dcm")
	out := filepath.Join(dir, "a.png")
	// An 8-bit SIIM-style image without a window renders as stored.
	if err := runDicom([]string{"-display", "-png", out, a}); err != nil {
		t.Fatal(err)
	}
	readPNG := func(p string) *image.Gray {
		t.Helper()
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		m, err := png.Decode(fh)
		if err != nil {
			t.Fatal(err)
		}
		g, ok := m.(*image.Gray)
		if !ok {
			t.Fatalf("PNG is %T", m)
		}
		return g
	}
	want, err := dicom.ReadGray8File(a)
	if err != nil {
		t.Fatal(err)
	}
	if g := readPNG(out); !bytes.Equal(g.Pix, want.Pix) || g.Rect != img.Rect {
		t.Error("-display PNG of an 8-bit image differs from ReadGray8File")
	}
	// A window override: a threshold between 100 and 101 (LINEAR_EXACT, width 1e-9).
	if err := runDicom([]string{"-display", "-png", out, "-window", "100.5/1e-9/linear_exact", a}); err != nil {
		t.Fatal(err)
	}
	ref := readPNG(filepath.Join(dir, "a.png"))
	for i, v := range ref.Pix {
		if (v == 255) != (want.Pix[i] > 100) || (v != 0 && v != 255) {
			t.Fatalf("thresholded pixel %d = %d (stored %d)", i, v, want.Pix[i])
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-display", "-png", out, "-window", "40", a}, "want CENTER/WIDTH"},
		{[]string{"-display", "-png", out, "-window", "40/0.5", a}, "LINEAR window needs a width of at least 1"},
		{[]string{"-display", "-png", out, "-window", "40/400/LOG", a}, `"LOG" is not supported`},
		{[]string{"-png", out, "-window", "40/400", a}, "need -display -png"},
		{[]string{"-display", a}, "-display needs -npy or -png"},
	} {
		if err := runDicom(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
}

// A 16-bit CT renders with an automatic window; MR_small with its own.
func TestDicomDisplayPNG16Bit(t *testing.T) {
	for _, name := range []string{"CT_small.dcm", "MR_small_implicit.dcm"} {
		in := filepath.Join("..", "..", "..", "shared", "data", "dicom", name)
		if _, err := os.Stat(in); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("shared test file missing (CI=true): %v", err)
			}
			t.Skipf("shared test file missing: %v", err)
		}
		out := filepath.Join(t.TempDir(), "x.png")
		var buf bytes.Buffer
		if err := dicomOne(&buf, in, 1, "", true, out, dicom.DisplayOptions{}); err != nil {
			t.Fatal(err)
		}
		wantLine := map[string]string{"CT_small.dcm": "auto window (percentiles 0.5-99.5)", "MR_small_implicit.dcm": "600/1600 LINEAR file window 1 of 1"}[name]
		if !strings.Contains(buf.String(), wantLine) {
			t.Errorf("%s: output lacks %q:\n%s", name, wantLine, buf.String())
		}
		want, err := dicom.ReadGray8File(in)
		if err != nil {
			t.Fatal(err)
		}
		fh, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		m, err := png.Decode(fh)
		fh.Close()
		if g, ok := m.(*image.Gray); err != nil || !ok || !bytes.Equal(g.Pix, want.Pix) {
			t.Errorf("%s: PNG differs from ReadGray8File (%v)", name, err)
		}
	}
}
