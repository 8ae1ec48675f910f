package seg

import (
	"bytes"
	"image"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom"
)

// outlineRef is the definition, pixel by pixel: a mask pixel with a pixel
// outside the mask or outside the image within chessboard distance w.
func outlineRef(mask []uint8, rows, cols, w int) []bool {
	out := make([]bool, rows*cols)
	for y := range rows {
		for x := range cols {
			if mask[y*cols+x] == 0 {
				continue
			}
		search:
			for dy := -w; dy <= w; dy++ {
				for dx := -w; dx <= w; dx++ {
					yy, xx := y+dy, x+dx
					if yy < 0 || yy >= rows || xx < 0 || xx >= cols || mask[yy*cols+xx] == 0 {
						out[y*cols+x] = true
						break search
					}
				}
			}
		}
	}
	return out
}

func TestOutlineMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sz := range [][2]int{{1, 1}, {1, 9}, {9, 1}, {3, 3}, {7, 11}, {16, 16}, {23, 31}} {
		for _, p := range []float64{0, 0.5, 0.9, 1} {
			mask := randomMask(rng, sz[0], sz[1], p)
			for w := 1; w <= 4; w++ {
				got := outline(mask, sz[0], sz[1], w)
				want := outlineRef(mask, sz[0], sz[1], w)
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%dx%d p=%g w=%d: pixel (%d,%d) outline %v, want %v", sz[0], sz[1], p, w, i/sz[1], i%sz[1], got[i], want[i])
					}
				}
			}
		}
	}
}

// A filled square in a 20x20 image: a ring of width 2 inside it is red,
// its inside and everything outside stay the radiograph's grey.
func TestRenderOverlaySquare(t *testing.T) {
	const n = 20
	gray := image.NewGray(image.Rect(0, 0, n, n))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i)
	}
	mask := make([]uint8, n*n)
	for y := 5; y < 15; y++ {
		for x := 4; x < 16; x++ {
			mask[y*n+x] = 1
		}
	}
	img, err := RenderOverlay(gray, mask, 2)
	if err != nil {
		t.Fatal(err)
	}
	for y := range n {
		for x := range n {
			c := img.RGBAAt(x, y)
			inside := y >= 5 && y < 15 && x >= 4 && x < 16
			ring := inside && (y < 7 || y >= 13 || x < 6 || x >= 14)
			v := gray.Pix[y*n+x]
			switch {
			case ring && c != OutlineColor:
				t.Fatalf("(%d,%d) = %v, want the outline colour", y, x, c)
			case !ring && (c.R != v || c.G != v || c.B != v || c.A != 255):
				t.Fatalf("(%d,%d) = %v, want grey %d", y, x, c, v)
			}
		}
	}
}

// A mask touching the image's edge is outlined along the edge; the
// default width is min(rows, cols)/512, at least 1; a sub-image works.
func TestRenderOverlayEdgeAndDefaults(t *testing.T) {
	big := image.NewGray(image.Rect(0, 0, 12, 10))
	gray := big.SubImage(image.Rect(2, 1, 10, 7)).(*image.Gray) // 6 rows x 8 cols
	for i := range big.Pix {
		big.Pix[i] = 100
	}
	gray.SetGray(0, 1, gray.GrayAt(0, 1)) // keep the compiler honest about sub-images
	mask := make([]uint8, 6*8)
	for i := range mask {
		mask[i] = 1 // everything
	}
	img, err := RenderOverlay(gray, mask, 0)
	if err != nil {
		t.Fatal(err)
	}
	for y := range 6 {
		for x := range 8 {
			edge := y == 0 || y == 5 || x == 0 || x == 7
			if red := img.RGBAAt(x, y) == OutlineColor; red != edge {
				t.Fatalf("(%d,%d): red %v, want %v", y, x, red, edge)
			}
			if !edge && img.RGBAAt(x, y).R != 100 {
				t.Fatalf("(%d,%d) = %v, want grey 100 from the sub-image", y, x, img.RGBAAt(x, y))
			}
		}
	}
	if _, err := RenderOverlay(gray, mask[1:], 1); err == nil || !strings.Contains(err.Error(), "mask has 47 values") {
		t.Errorf("short mask: %v", err)
	}
	if _, err := RenderOverlay(nil, mask, 1); err == nil {
		t.Error("nil image: no error")
	}
}

// The Secondary Capture: attributes, references, and pixels equal to
// RenderOverlay's, from the caller's image or from the source's own pixels.
func TestWriteOverlay(t *testing.T) {
	const rows, cols = 9, 11
	src := testSource(t, rows, cols, func(d *dataSet) {
		d.str(dicom.LossyImageCompression, "CS", "01")
		d.str(dicom.LossyImageCompressionMeth, "CS", "ISO_10918_1")
		d.str(tagLaterality, "CS", "")
	})
	mask := randomMask(rand.New(rand.NewPCG(8, 9)), rows, cols, 0.6)
	own, err := src.Gray8()
	if err != nil {
		t.Fatal(err)
	}
	other := image.NewGray(image.Rect(0, 0, cols, rows))
	for i := range other.Pix {
		other.Pix[i] = 200
	}
	for _, gray := range []*image.Gray{nil, other} {
		var buf bytes.Buffer
		uid, err := WriteOverlay(&buf, src, gray, mask, rows, cols, testOptions(11))
		if err != nil {
			t.Fatal(err)
		}
		f, err := dicom.Parse(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		for tag, want := range map[dicom.Tag]string{
			dicom.SOPClassUID:               SecondaryCaptureSOPClass,
			dicom.SOPInstanceUID:            uid,
			dicom.Modality:                  "DX",
			dicom.ConversionType:            "WSD",
			dicom.StudyInstanceUID:          testStudyUID,
			dicom.PatientName:               "Doe^Jane",
			dicom.PatientAge:                "056Y",
			dicom.SeriesNumber:              "9902",
			dicom.ImageType:                 `DERIVED\SECONDARY`,
			dicom.PhotometricInterpretation: "RGB",
			dicom.SamplesPerPixel:           "3",
			dicom.PlanarConfiguration:       "0",
			dicom.BitsAllocated:             "8",
			dicom.LossyImageCompression:     "01",
			dicom.LossyImageCompressionMeth: "ISO_10918_1",
			dicom.PatientOrientation:        `L\F`,
			tagBurnedInAnnotation:           "NO",
			tagLaterality:                   "",
			dicom.DerivationDescription:     "pneumothorax outline by lungo 1.2.3 (model sha256 deadbeef)",
		} {
			if got := f.String(tag); got != want {
				t.Errorf("%v = %q, want %q", tag, got, want)
			}
		}
		if _, ok := f.Get(tagLaterality); !ok {
			t.Error("the source's (empty) Laterality is not carried over")
		}
		if f.String(dicom.SeriesInstanceUID) == testSeriesUID {
			t.Error("the overlay reuses the source's series")
		}
		for _, seq := range []dicom.Tag{tagSourceImageSeq, dicom.ReferencedImageSeq} {
			it := item(t, f.DataSet, seq)
			if it.String(tagReferencedSOPInstanceUID) != testSOPUID || it.String(tagReferencedSOPClassUID) != SecondaryCaptureSOPClass {
				t.Errorf("%v does not reference the source", seq)
			}
		}
		want := own
		if gray != nil {
			want = gray
		}
		img, err := RenderOverlay(want, mask, 0)
		if err != nil {
			t.Fatal(err)
		}
		px, _ := f.Get(dicom.PixelData)
		if len(px.Value) != 3*rows*cols+1 { // 297 bytes padded to 298
			t.Fatalf("pixel data of %d bytes, want %d", len(px.Value), 3*rows*cols+1)
		}
		for i := range rows * cols {
			if !bytes.Equal(px.Value[3*i:3*i+3], img.Pix[4*i:4*i+3]) {
				t.Fatalf("pixel %d = % x, want % x", i, px.Value[3*i:3*i+3], img.Pix[4*i:4*i+3])
			}
		}
	}
	// A display image of the wrong size is an error.
	var buf bytes.Buffer
	if _, err := WriteOverlay(&buf, src, image.NewGray(image.Rect(0, 0, rows, cols)), mask, rows, cols, testOptions(1)); err == nil || !strings.Contains(err.Error(), "display image is 11x9") {
		t.Errorf("transposed display image: %v", err)
	}
	// A source whose pixels cannot be decoded, without a display image, is
	// an error naming why.
	bare := testSource(t, 2, 2, func(d *dataSet) { d.del(dicom.PixelData) })
	if _, err := WriteOverlay(&buf, bare, nil, make([]uint8, 4), 2, 2, testOptions(1)); err == nil || !strings.Contains(err.Error(), "8-bit display image") {
		t.Errorf("source without pixels: %v", err)
	}
}
