package serve

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // registers JPEG for image.Decode
	_ "image/png"  // registers PNG for image.Decode
	"math"
	"mime"
	"strings"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/internal/npy"
)

// An input is a decoded request body: the 8-bit display image the model
// sees (resized) and what identifies it.
type input struct {
	id     string // SOP Instance UID of a DICOM body; "" otherwise
	format string // "dicom", "png", "jpeg", "npy"
	img    *image.Gray
}

// inputError is a body that cannot be used: answered 415 (unsupported
// type) or 422 (undecodable or unusable image), with its message.
type inputError struct {
	status int
	msg    string
}

func (e *inputError) Error() string { return e.msg }

func unusable(format string, args ...any) error {
	return &inputError{status: 422, msg: fmt.Sprintf(format, args...)}
}

// formatOf returns the body's format from its Content-Type, sniffing the
// bytes when the type is generic (application/octet-stream or absent).
func formatOf(contentType string, body []byte) (string, error) {
	mt := ""
	if contentType != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(contentType); err != nil {
			return "", &inputError{status: 415, msg: fmt.Sprintf("bad Content-Type %q: %v", contentType, err)}
		}
	}
	switch mt {
	case "application/dicom":
		return "dicom", nil
	case "image/png":
		return "png", nil
	case "image/jpeg":
		return "jpeg", nil
	case "application/x-npy", "application/npy":
		return "npy", nil
	case "", "application/octet-stream":
		switch {
		case len(body) >= 132 && string(body[128:132]) == "DICM":
			return "dicom", nil
		case bytes.HasPrefix(body, []byte("\x89PNG\r\n\x1a\n")):
			return "png", nil
		case bytes.HasPrefix(body, []byte{0xFF, 0xD8, 0xFF}):
			return "jpeg", nil
		case bytes.HasPrefix(body, []byte("\x93NUMPY")):
			return "npy", nil
		}
		return "", &inputError{status: 415, msg: "unrecognised body: send a DICOM file (application/dicom), PNG, JPEG or .npy (application/x-npy)"}
	}
	return "", &inputError{status: 415, msg: fmt.Sprintf("unsupported Content-Type %q: send application/dicom, image/png, image/jpeg or application/x-npy", mt)}
}

// decode turns body into the model's input image. Sizes are checked
// against maxPixels before any pixel buffer is allocated.
func decode(format string, body []byte, maxPixels int) (*input, error) {
	switch format {
	case "dicom":
		return decodeDICOM(body, maxPixels)
	case "png", "jpeg":
		return decodeImage(format, body, maxPixels)
	case "npy":
		return decodeNPY(body, maxPixels)
	}
	return nil, &inputError{status: 415, msg: "unsupported format " + format}
}

func checkSize(what string, w, h, maxPixels int) error {
	if w < 1 || h < 1 {
		return unusable("%s: image of %dx%d pixels", what, w, h)
	}
	if int64(w)*int64(h) > int64(maxPixels) {
		return unusable("%s: image of %dx%d pixels exceeds the limit of %d pixels", what, w, h, maxPixels)
	}
	return nil
}

func decodeDICOM(body []byte, maxPixels int) (*input, error) {
	f, err := dicom.Parse(body)
	if err != nil {
		return nil, unusable("DICOM: %v", err)
	}
	rows, _ := f.DataSet.Int(dicom.Rows)
	cols, _ := f.DataSet.Int(dicom.Columns)
	if err := checkSize("DICOM", cols, rows, maxPixels); err != nil {
		return nil, err
	}
	img, err := f.Gray8()
	if err != nil {
		// The reader's errors name the transfer syntax, bit depth or
		// offset that stopped it.
		return nil, unusable("DICOM (transfer syntax %s): %v", f.Syntax, err)
	}
	return &input{id: strings.TrimRight(f.DataSet.String(dicom.SOPInstanceUID), "\x00 "), format: "dicom", img: img}, nil
}

func decodeImage(format string, body []byte, maxPixels int) (*input, error) {
	cfg, name, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil {
		return nil, unusable("%s: %v", strings.ToUpper(format), err)
	}
	if err := checkSize(strings.ToUpper(name), cfg.Width, cfg.Height, maxPixels); err != nil {
		return nil, err
	}
	src, _, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		return nil, unusable("%s: %v", strings.ToUpper(name), err)
	}
	return &input{format: name, img: toGray(src)}, nil
}

// toGray converts any image to the 8-bit grey the model sees, as lungo
// predict -images does (siim.Gray8: colour to luma, 16-bit grey through the
// DICOM auto window).
func toGray(src image.Image) *image.Gray { return siim.Gray8(src) }

// decodeNPY reads a .npy body: a 2-D array [H, W] (or [1, H, W], [1, 1, H,
// W]) of display values in 0..255, any dtype npy.ReadFloat32 reads;
// values are rounded and clamped to 8 bits.
func decodeNPY(body []byte, maxPixels int) (*input, error) {
	h, err := npy.ReadHeader(bytes.NewReader(body))
	if err != nil {
		return nil, unusable(".npy: %v", err)
	}
	shape := h.Shape
	for len(shape) > 2 && shape[0] == 1 {
		shape = shape[1:]
	}
	if len(shape) != 2 {
		return nil, unusable(".npy: array of shape %v, want [H, W] of display values 0..255", h.Shape)
	}
	if err := checkSize(".npy", shape[1], shape[0], maxPixels); err != nil {
		return nil, err
	}
	_, data, err := npy.ReadFloat32(bytes.NewReader(body))
	if err != nil {
		return nil, unusable(".npy: %v", err)
	}
	if len(data) != shape[0]*shape[1] {
		return nil, unusable(".npy: %d values for shape %v", len(data), h.Shape)
	}
	g := image.NewGray(image.Rect(0, 0, shape[1], shape[0]))
	for i, v := range data {
		if math.IsNaN(float64(v)) {
			return nil, unusable(".npy: NaN at index %d", i)
		}
		g.Pix[i] = uint8(math.Round(math.Max(0, math.Min(255, float64(v)))))
	}
	return &input{format: "npy", img: g}, nil
}

var errBodyTooLarge = errors.New("body too large")
