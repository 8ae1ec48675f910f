package seg_test

import (
	"bytes"
	"fmt"
	"image"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/data/dicom/seg"
)

// Write a SEG of a finding over a radiograph, then read the mask back.
func ExampleWriteSegmentation() {
	// A source radiograph: here a small SIIM-style file, 6 rows x 10 cols.
	var raw bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, 10, 6))
	err := dicom.WriteJPEGSecondaryCapture(&raw, img, dicom.SecondaryCapture{
		SOPInstanceUID: "1.2.3.4.1", StudyInstanceUID: "1.2.3.4.2", SeriesInstanceUID: "1.2.3.4.3",
		PatientID: "p1", PatientSex: "F", PatientAge: "062Y", ViewPosition: "PA",
	})
	if err != nil {
		panic(err)
	}
	src, err := dicom.Parse(raw.Bytes())
	if err != nil {
		panic(err)
	}

	// The model's mask, [rows, cols] row-major: a 3x4 block.
	mask := make([]uint8, 6*10)
	for y := 1; y < 4; y++ {
		for x := 2; x < 6; x++ {
			mask[y*10+x] = 1
		}
	}
	var out bytes.Buffer
	opt := seg.Options{AlgorithmVersion: "0.9.0", ModelHash: "3f2a..."}
	if _, err := seg.WriteSegmentation(&out, src, mask, 6, 10, opt); err != nil {
		panic(err)
	}

	f, err := dicom.Parse(out.Bytes())
	if err != nil {
		panic(err)
	}
	rows, cols, back, err := seg.ReadMask(f)
	if err != nil {
		panic(err)
	}
	fmt.Println(f.String(dicom.Modality), f.String(dicom.StudyInstanceUID) == "1.2.3.4.2", f.String(dicom.SeriesInstanceUID) != "1.2.3.4.3")
	fmt.Printf("%dx%d, same mask: %v\n", rows, cols, bytes.Equal(back, mask))
	// Output:
	// SEG true true
	// 6x10, same mask: true
}
