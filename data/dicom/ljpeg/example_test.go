package ljpeg_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/lungo-ml/lungo/data/dicom/ljpeg"
)

// Decode one frame: check its size with DecodeConfig first, then decode.
func Example() {
	data, err := os.ReadFile("testdata/dcmtk_p16_sv7.jpg") // lossless, predictor 7
	if err != nil {
		fmt.Println(err)
		return
	}
	rows, cols, comps, prec, err := ljpeg.DecodeConfig(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%dx%d, %d component(s), %d bits\n", rows, cols, comps, prec)
	img, err := ljpeg.Decode(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(img.Pix[:4])

	// Unsupported processes are told apart from corrupt data.
	_, err = ljpeg.Decode([]byte{0xFF, 0xD8, 0xFF, 0xC2, 0, 11, 8, 0, 8, 0, 8, 1, 1, 0x11, 0})
	fmt.Println(err, errors.Is(err, ljpeg.ErrUnsupported))
	// Output:
	// 24x40, 1 component(s), 16 bits
	// [156 124 370 425]
	// ljpeg: SOF2 at offset 2: progressive DCT (T.81 Annex G) is not supported true
}
