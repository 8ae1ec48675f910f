package jpegls_test

import (
	"fmt"
	"os"

	"github.com/lungo-ml/lungo/data/dicom/jpegls"
)

// Decode one JPEG-LS codestream (a DICOM frame of transfer syntax
// 1.2.840.10008.1.2.4.80 or .81), checking its size first.
func ExampleDecode() {
	data, err := os.ReadFile("testdata/charls/rgb8_line.jls")
	if err != nil {
		fmt.Println(err)
		return
	}
	rows, cols, nc, bits, err := jpegls.DecodeConfig(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d x %d, %d components of %d bits\n", rows, cols, nc, bits)
	img, err := jpegls.Decode(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Pix is [Rows][Cols][Components].
	fmt.Println("pixel (0, 0):", img.Pix[0:nc])

	_, err = jpegls.Decode(data[:len(data)/2])
	fmt.Println(err)
	// Output:
	// 33 x 45, 3 components of 8 bits
	// pixel (0, 0): [11 0 184]
	// jpegls: SOS at offset 21: entropy-coded data end at offset 953, in line 10 of 33 (truncated)
}
