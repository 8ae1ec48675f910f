package dicom

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
)

// decodeJPEG decodes one 8-bit grayscale JPEG frame of rows x cols with
// image/jpeg and appends its samples to dst. The frame size is checked
// against the JPEG header before decoding, and a stream that is too short
// for the image is refused, so forged headers cannot force large
// allocations. Go's IDCT rounds differently from libjpeg's ISLOW: about 1-2%
// of samples may differ by 1.
func decodeJPEG(dst, frame []byte, rows, cols int) ([]byte, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(frame))
	if err != nil {
		if _, ok := err.(jpeg.UnsupportedError); ok {
			return dst, &UnsupportedError{Msg: err.Error()}
		}
		return dst, err
	}
	if cfg.Width != cols || cfg.Height != rows {
		return dst, fmt.Errorf("JPEG is %dx%d, the data set says %dx%d (rows x cols)", cfg.Height, cfg.Width, rows, cols)
	}
	// A baseline Huffman-coded 8x8 block takes at least 2 bits (DC and
	// EOB codes): 256 pixels per byte at most.
	if int64(rows)*int64(cols) > 256*int64(len(frame))+4096 {
		return dst, fmt.Errorf("a %d-byte JPEG stream cannot hold %dx%d pixels", len(frame), rows, cols)
	}
	img, err := jpeg.Decode(bytes.NewReader(frame))
	if err != nil {
		if _, ok := err.(jpeg.UnsupportedError); ok {
			return dst, &UnsupportedError{Msg: err.Error()}
		}
		return dst, err
	}
	g, ok := img.(*image.Gray)
	if !ok {
		return dst, &UnsupportedError{Msg: fmt.Sprintf("JPEG decodes to %T, not a single-component grayscale image", img)}
	}
	for y := range rows {
		off := y * g.Stride
		dst = append(dst, g.Pix[off:off+cols]...)
	}
	return dst, nil
}
