package dicom_test

import (
	"bytes"
	"fmt"
	"image"

	"github.com/lungo-ml/lungo/data/dicom"
)

// Write a SIIM-style JPEG Secondary Capture, then read its tags and pixels.
func ExampleWriteJPEGSecondaryCapture() {
	img := image.NewGray(image.Rect(0, 0, 32, 16)) // 16 rows x 32 cols
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	var buf bytes.Buffer
	err := dicom.WriteJPEGSecondaryCapture(&buf, img, dicom.SecondaryCapture{
		SOPInstanceUID: "1.2.3.4.1", StudyInstanceUID: "1.2.3.4.2", SeriesInstanceUID: "1.2.3.4.3",
		PatientID: "p1", PatientSex: "F", PatientAge: "62", ViewPosition: "PA",
		PixelSpacing: [2]float64{0.168, 0.168},
	})
	if err != nil {
		panic(err)
	}
	f, err := dicom.Parse(buf.Bytes())
	if err != nil {
		panic(err)
	}
	p, err := f.Pixels()
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Syntax)
	fmt.Println(f.String(dicom.Modality), f.String(dicom.ViewPosition), f.String(dicom.PatientAge), f.Floats(dicom.PixelSpacing))
	fmt.Printf("%d frame(s) of %dx%d, %d bits, pixel[0] = %d\n", p.Frames, p.Rows, p.Cols, p.BitsStored, p.U8[0])
	// Output:
	// 1.2.840.10008.1.2.4.50 (JPEG Baseline (Process 1))
	// CR PA 62 [0.168 0.168]
	// 1 frame(s) of 16x32, 8 bits, pixel[0] = 128
}
