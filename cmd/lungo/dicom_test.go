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
	if err := dicomOne(&out, a, 1, one, false, ""); err != nil {
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
