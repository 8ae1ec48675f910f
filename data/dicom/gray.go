package dicom

import (
	"fmt"
	"image"
)

// ReadGray8File reads a single-frame 8-bit grayscale DICOM file (any
// transfer syntax Pixels supports) and returns its display pixels:
// stored values, inverted (255-v, or 2^BitsStored-1-v) for MONOCHROME1 so
// that bright means dense. The rescale tags are ignored (8-bit images
// carry display values). Other images give an error saying what they are.
func ReadGray8File(path string) (*image.Gray, error) {
	f, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	img, err := f.Gray8()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// Gray8 returns the display pixels of a single-frame 8-bit grayscale image;
// see ReadGray8File.
func (f *File) Gray8() (*image.Gray, error) {
	p, err := f.Pixels()
	if err != nil {
		return nil, err
	}
	if p.BitsAllocated != 8 || p.Signed || p.Frames != 1 {
		return nil, fmt.Errorf("dicom: want a single-frame unsigned 8-bit image, have %d frames of %d-bit %s values", p.Frames, p.BitsAllocated, map[bool]string{true: "signed", false: "unsigned"}[p.Signed])
	}
	img := image.NewGray(image.Rect(0, 0, p.Cols, p.Rows))
	copy(img.Pix, p.U8)
	if p.Photometric == "MONOCHROME1" {
		top := uint8(1<<p.BitsStored - 1)
		for i, v := range img.Pix {
			img.Pix[i] = top - v
		}
	}
	return img, nil
}
