package siim_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/lungo-ml/lungo/data/siim"
)

func ExampleDecodeRLE() {
	// A 3 x 4 image walked column-major: skip 1 pixel, paint 2, skip 3, paint 1.
	m, err := siim.DecodeRLE("1 2 3 1", 3, 4)
	if err != nil {
		panic(err)
	}
	for y := range m.H {
		fmt.Println(m.Pix[y*m.W : (y+1)*m.W])
	}
	fmt.Println(siim.EncodeRLE(m), "|", siim.EncodeRLEAbsolute(m))
	_, err = siim.DecodeRLE("1 2 x 1", 3, 4)
	fmt.Println(err)
	// Output:
	// [0 0 1 0]
	// [1 0 0 0]
	// [1 0 0 0]
	// 1 2 3 1 | 2 2 7 1
	// siim: rle: token 3 ("x"): not an integer
}

func ExampleEvaluate() {
	truth, _ := siim.ReadLabels(strings.NewReader("ImageId, EncodedPixels\na, -1\nb, 0 4\nb, 2 4\n"), 4, 4)
	pred, _ := siim.ReadLabels(strings.NewReader("ImageId,EncodedPixels\na,-1\nb,0 5\n"), 4, 4)
	ev, _ := siim.Evaluate(truth, pred, 4, 4)
	for _, is := range ev.Images {
		fmt.Printf("%s Dice %.3f\n", is.ImageID, is.Dice)
	}
	fmt.Printf("score %.3f\n", ev.Score)
	// Output:
	// a Dice 1.000
	// b Dice 0.909
	// score 0.955
}

func ExampleWriteSubmission() {
	m := siim.NewMask(4, 4)
	m.Pix[0], m.Pix[4] = 1, 1 // rows 0 and 1 of column 0
	siim.WriteSubmission(os.Stdout, []siim.Prediction{{ImageID: "a", Mask: m}, {ImageID: "b", Mask: siim.NewMask(4, 4)}})
	// Output:
	// ImageId,EncodedPixels
	// a,0 2
	// b,-1
}
