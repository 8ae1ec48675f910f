package dicom

import (
	"fmt"
	"image"
)

// ReadGray8File reads a single-frame grayscale DICOM file (any transfer
// syntax Pixels supports, 8 or 16 bits, signed or unsigned, MONOCHROME1 or
// 2) and returns it as a viewer shows it, in 8 bits: the image the
// SIIM-ACR models take as input. It is ReadDisplay8File with the default
// DisplayOptions (see File.DisplayPixels8): the file's Modality LUT and VOI
// LUT (window) are applied, MONOCHROME1 is inverted, and an unsigned 8-bit
// image without a window (SIIM's) keeps its stored values (255-v for
// MONOCHROME1). Multi-frame images give an error; use Display8 for them.
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

// Gray8 returns the 8-bit display image of a single-frame grayscale image;
// see ReadGray8File.
func (f *File) Gray8() (*image.Gray, error) {
	p, err := f.Pixels()
	if err != nil {
		return nil, err
	}
	if p.Frames != 1 {
		return nil, fmt.Errorf("dicom: want a single-frame image, have %d frames (use Display8 with DisplayOptions.Frame)", p.Frames)
	}
	return f.DisplayPixels8(p, 0, DisplayOptions{})
}
