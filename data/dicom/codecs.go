package dicom

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/lungo-ml/lungo/data/dicom/jpeg2k"
	"github.com/lungo-ml/lungo/data/dicom/jpegls"
	"github.com/lungo-ml/lungo/data/dicom/ljpeg"
)

// A codec decodes one frame of encapsulated pixel data: config reads only
// the headers (so sizes are checked before decode allocates), decode the
// samples, row-major, components interleaved.
type codec struct {
	name   string
	config func([]byte) (rows, cols, comps, prec int, err error)
	decode func([]byte) (rows, cols, comps int, pix []int32, err error)
}

// codecs are the compressed syntaxes whose frames decode to samples by a
// codec package (8-bit JPEG baseline has its own path: decodeJPEG).
var codecs = map[string]*codec{}

func init() {
	lj := &codec{"JPEG",
		func(b []byte) (int, int, int, int, error) { return ljpeg.DecodeConfig(b) },
		func(b []byte) (int, int, int, []int32, error) {
			im, err := ljpeg.Decode(b)
			if err != nil {
				return 0, 0, 0, nil, err
			}
			return im.Rows, im.Cols, im.Components, im.Pix, nil
		}}
	ls := &codec{"JPEG-LS",
		func(b []byte) (int, int, int, int, error) { return jpegls.DecodeConfig(b) },
		func(b []byte) (int, int, int, []int32, error) {
			im, err := jpegls.Decode(b)
			if err != nil {
				return 0, 0, 0, nil, err
			}
			return im.Rows, im.Cols, im.Components, im.Pix, nil
		}}
	j2k := &codec{"JPEG 2000",
		func(b []byte) (int, int, int, int, error) {
			r, c, k, p, _, err := jpeg2k.DecodeConfig(b)
			return r, c, k, p, err
		},
		func(b []byte) (int, int, int, []int32, error) {
			im, err := jpeg2k.Decode(b)
			if err != nil {
				return 0, 0, 0, nil, err
			}
			return im.Rows, im.Cols, im.Components, im.Pix, nil
		}}
	codecs[JPEGExtended12Bit] = lj // 16-bit allocated: 12-bit DCT
	codecs["1.2.840.10008.1.2.4.57"] = lj
	codecs["1.2.840.10008.1.2.4.70"] = lj
	codecs["1.2.840.10008.1.2.4.80"] = ls
	codecs["1.2.840.10008.1.2.4.81"] = ls
	codecs["1.2.840.10008.1.2.4.90"] = j2k
	codecs["1.2.840.10008.1.2.4.91"] = j2k
}

// decodeFrames decodes every frame with c into little-endian stored values
// of p's BitsAllocated. Each frame's header must agree with the image pixel
// module (size, one component, precision within BitsAllocated) before its
// samples are decoded.
func decodeFrames(c *codec, frames [][]byte, p *Pixels) ([]byte, error) {
	bps := p.BitsAllocated / 8
	raw := make([]byte, 0, p.Len()*bps)
	for i, fr := range frames {
		rows, cols, comps, prec, err := c.config(fr)
		if err != nil {
			return nil, frameError(c, i, err)
		}
		if comps != 1 {
			return nil, &UnsupportedError{Msg: fmt.Sprintf("%s frame %d has %d components: only greyscale images are supported", c.name, i, comps)}
		}
		if rows != p.Rows || cols != p.Cols {
			return nil, fmt.Errorf("%s frame %d is %dx%d, the data set says %dx%d (Rows x Columns)", c.name, i, rows, cols, p.Rows, p.Cols)
		}
		if prec > p.BitsAllocated {
			return nil, fmt.Errorf("%s frame %d has %d-bit samples, more than BitsAllocated %d", c.name, i, prec, p.BitsAllocated)
		}
		_, _, _, pix, err := c.decode(fr)
		if err != nil {
			return nil, frameError(c, i, err)
		}
		if len(pix) != rows*cols {
			return nil, fmt.Errorf("%s frame %d decoded to %d samples, want %d", c.name, i, len(pix), rows*cols)
		}
		if bps == 1 {
			for _, v := range pix {
				raw = append(raw, byte(v))
			}
		} else {
			for _, v := range pix {
				raw = binary.LittleEndian.AppendUint16(raw, uint16(v))
			}
		}
	}
	return raw, nil
}

// frameError names the codec and frame of a decoding error; a well-formed
// stream using a feature the codec lacks is an UnsupportedError.
func frameError(c *codec, frame int, err error) error {
	var lsu *jpegls.UnsupportedError
	if errors.Is(err, ljpeg.ErrUnsupported) || errors.As(err, &lsu) {
		return &UnsupportedError{Msg: fmt.Sprintf("%s frame %d: %v", c.name, frame, err)}
	}
	return fmt.Errorf("%s frame %d: %w", c.name, frame, err)
}
