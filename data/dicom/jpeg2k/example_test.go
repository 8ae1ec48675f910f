package jpeg2k_test

import (
	"fmt"
	"os"

	"github.com/lungo-ml/lungo/data/dicom/jpeg2k"
)

func ExampleDecode() {
	data, err := os.ReadFile("testdata/streams/lossless_g12.j2k")
	if err != nil {
		fmt.Println(err)
		return
	}
	// Check the size before decoding, as a DICOM reader would against its
	// Rows, Columns and BitsStored.
	rows, cols, comps, prec, signed, err := jpeg2k.DecodeConfig(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rows, cols, comps, prec, signed)
	img, err := jpeg2k.Decode(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(img.Pix[:4])
	// Output:
	// 37 45 1 12 false
	// [8 152 269 202]
}
