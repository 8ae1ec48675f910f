package dicom

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"

	"github.com/lungo-ml/lungo/data/dicom/ljpeg"
)

// decodeJPEG decodes one 8-bit grayscale JPEG frame of rows x cols and
// appends its samples to dst. Sequential Huffman streams (baseline and
// extended 8-bit, the DICOM norm) are decoded by package ljpeg, bit-exact
// with libjpeg's default ISLOW IDCT; others (progressive) by image/jpeg,
// whose IDCT puts ~1-2% of samples off by 1 from libjpeg. A stream too short
// for the image is refused before anything is allocated, and the frame size
// is checked against the JPEG header, so forged headers cannot force large
// allocations.
func decodeJPEG(dst, frame []byte, rows, cols int) ([]byte, error) {
	// A Huffman-coded 8x8 block takes at least 2 bits (DC and EOB codes):
	// 256 pixels per byte at most.
	if int64(rows)*int64(cols) > 256*int64(len(frame))+4096 {
		return dst, fmt.Errorf("a %d-byte JPEG stream cannot hold %dx%d pixels", len(frame), rows, cols)
	}
	h, w, comps, prec, err := ljpeg.DecodeConfig(frame)
	if errors.Is(err, ljpeg.ErrUnsupported) {
		return decodeJPEGGo(dst, frame, rows, cols)
	}
	if err != nil {
		return dst, err
	}
	switch {
	case comps != 1:
		return dst, &UnsupportedError{Msg: fmt.Sprintf("JPEG with %d components: only greyscale images are supported", comps)}
	case prec != 8:
		return dst, fmt.Errorf("JPEG has %d-bit samples, the data set says 8", prec)
	case h != rows || w != cols:
		return dst, fmt.Errorf("JPEG is %dx%d, the data set says %dx%d (rows x cols)", h, w, rows, cols)
	}
	img, err := ljpeg.Decode(frame)
	if errors.Is(err, ljpeg.ErrUnsupported) {
		return decodeJPEGGo(dst, frame, rows, cols)
	}
	if err != nil {
		return dst, err
	}
	for _, v := range img.Pix {
		dst = append(dst, byte(v))
	}
	return dst, nil
}

// decodeJPEGGo decodes a grayscale JPEG frame with image/jpeg.
func decodeJPEGGo(dst, frame []byte, rows, cols int) ([]byte, error) {
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
