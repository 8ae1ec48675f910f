package npy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/lungo-ml/lungo/tensor"
)

// magic opens every .npy file.
const magic = "\x93NUMPY"

// maxHeader bounds the header length a reader accepts (NumPy writes < 4 KiB).
const maxHeader = 1 << 20

// WriteFloat32 writes data, a C-ordered array of the given shape, as an .npy
// file with dtype <f4. len(data) must equal the product of shape.
func WriteFloat32(w io.Writer, shape []int, data []float32) error {
	checkLen(shape, len(data))
	buf := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	return write(w, "<f4", shape, buf)
}

// WriteUint8 writes data, a C-ordered array of the given shape, with dtype |u1.
func WriteUint8(w io.Writer, shape []int, data []uint8) error {
	checkLen(shape, len(data))
	return write(w, "|u1", shape, data)
}

// WriteUint16 writes data, a C-ordered array of the given shape, with dtype <u2.
func WriteUint16(w io.Writer, shape []int, data []uint16) error {
	checkLen(shape, len(data))
	buf := make([]byte, 2*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint16(buf[2*i:], v)
	}
	return write(w, "<u2", shape, buf)
}

// WriteInt16 writes data, a C-ordered array of the given shape, with dtype <i2.
func WriteInt16(w io.Writer, shape []int, data []int16) error {
	checkLen(shape, len(data))
	buf := make([]byte, 2*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint16(buf[2*i:], uint16(v))
	}
	return write(w, "<i2", shape, buf)
}

// checkLen panics unless n equals the product of shape.
func checkLen(shape []int, n int) {
	want := 1
	for _, d := range shape {
		if d < 0 {
			tensor.Panicf("npy", "negative dimension in shape %v", shape)
		}
		want *= d
	}
	if want != n {
		tensor.Panicf("npy", "shape %v holds %d elements, data has %d", shape, want, n)
	}
}

// header returns the full preamble (magic, version, length, dict, padding)
// for a version 1.0 file, or 2.0 if the dict does not fit in 65535 bytes.
func header(descr string, shape []int) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, tuple)
	pre, lenBytes := 8, 2
	if len(dict)+1+pre+lenBytes > 65535 {
		lenBytes = 4
	}
	total := pre + lenBytes + len(dict) + 1
	pad := (64 - total%64) % 64
	hlen := len(dict) + pad + 1
	out := make([]byte, 0, total+pad)
	out = append(out, magic...)
	if lenBytes == 2 {
		out = append(out, 1, 0)
		out = binary.LittleEndian.AppendUint16(out, uint16(hlen))
	} else {
		out = append(out, 2, 0)
		out = binary.LittleEndian.AppendUint32(out, uint32(hlen))
	}
	out = append(out, dict...)
	for range pad {
		out = append(out, ' ')
	}
	return append(out, '\n')
}

func write(w io.Writer, descr string, shape []int, payload []byte) error {
	if _, err := w.Write(header(descr, shape)); err != nil {
		return fmt.Errorf("npy: write header: %w", err)
	}
	if _, err := w.Write(payload); err != nil {
		return fmt.Errorf("npy: write data: %w", err)
	}
	return nil
}

// Header is the parsed dictionary of an .npy file.
type Header struct {
	Descr string // dtype, e.g. "<f4", "|u1", ">i2"
	Shape []int  // C order
}

// ReadHeader reads the magic, version and header dictionary from r, leaving r
// at the first data byte.
func ReadHeader(r io.Reader) (Header, error) {
	var h Header
	pre := make([]byte, 8)
	if _, err := io.ReadFull(r, pre); err != nil {
		return h, fmt.Errorf("npy: read magic: %w", err)
	}
	if string(pre[:6]) != magic {
		return h, fmt.Errorf("npy: bad magic %q at offset 0 (not an .npy file)", pre[:6])
	}
	var hlen int
	switch pre[6] {
	case 1:
		b := make([]byte, 2)
		if _, err := io.ReadFull(r, b); err != nil {
			return h, fmt.Errorf("npy: read header length at offset 8: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint16(b))
	case 2, 3:
		b := make([]byte, 4)
		if _, err := io.ReadFull(r, b); err != nil {
			return h, fmt.Errorf("npy: read header length at offset 8: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint32(b))
	default:
		return h, fmt.Errorf("npy: unsupported format version %d.%d at offset 6", pre[6], pre[7])
	}
	if hlen > maxHeader {
		return h, fmt.Errorf("npy: header length %d exceeds %d", hlen, maxHeader)
	}
	dict := make([]byte, hlen)
	if _, err := io.ReadFull(r, dict); err != nil {
		return h, fmt.Errorf("npy: read %d-byte header: %w", hlen, err)
	}
	return parseDict(string(dict))
}

// parseDict parses NumPy's header dictionary, a Python literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
func parseDict(s string) (Header, error) {
	var h Header
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return h, fmt.Errorf("npy: header %q is not a dict", s)
	}
	body := s[1 : len(s)-1]
	seen := map[string]bool{}
	for len(strings.TrimSpace(body)) > 0 {
		body = strings.TrimSpace(body)
		key, rest, err := quoted(body)
		if err != nil {
			return h, fmt.Errorf("npy: header key: %w", err)
		}
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, ":") {
			return h, fmt.Errorf("npy: header: missing ':' after %q", key)
		}
		rest = strings.TrimSpace(rest[1:])
		switch key {
		case "descr":
			h.Descr, rest, err = quoted(rest)
			if err != nil {
				return h, fmt.Errorf("npy: header descr: %w", err)
			}
		case "fortran_order":
			switch {
			case strings.HasPrefix(rest, "False"):
				rest = rest[5:]
			case strings.HasPrefix(rest, "True"):
				return h, errors.New("npy: fortran_order True is not supported (write C order)")
			default:
				return h, fmt.Errorf("npy: header fortran_order: bad value %.10q", rest)
			}
		case "shape":
			h.Shape, rest, err = tuple(rest)
			if err != nil {
				return h, fmt.Errorf("npy: header shape: %w", err)
			}
		default:
			return h, fmt.Errorf("npy: header: unknown key %q", key)
		}
		seen[key] = true
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, ",") {
			rest = rest[1:]
		} else if strings.TrimSpace(rest) != "" {
			return h, fmt.Errorf("npy: header: expected ',' before %.10q", rest)
		}
		body = rest
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, fmt.Errorf("npy: header lacks key %q", k)
		}
	}
	return h, nil
}

// quoted parses a Python string literal in single or double quotes.
func quoted(s string) (val, rest string, err error) {
	if len(s) == 0 || (s[0] != '\'' && s[0] != '"') {
		return "", s, fmt.Errorf("expected a quoted string at %.10q", s)
	}
	end := strings.IndexByte(s[1:], s[0])
	if end < 0 {
		return "", s, fmt.Errorf("unterminated string %.10q", s)
	}
	return s[1 : 1+end], s[2+end:], nil
}

// tuple parses a Python tuple of non-negative ints: (), (3,), (2, 3).
func tuple(s string) ([]int, string, error) {
	if !strings.HasPrefix(s, "(") {
		return nil, s, fmt.Errorf("expected '(' at %.10q", s)
	}
	end := strings.IndexByte(s, ')')
	if end < 0 {
		return nil, s, errors.New("unterminated tuple")
	}
	shape := []int{}
	for _, f := range strings.Split(s[1:end], ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		// NumPy 1.x on Windows may write 3L.
		f = strings.TrimSuffix(f, "L")
		d, err := strconv.Atoi(f)
		if err != nil || d < 0 {
			return nil, s, fmt.Errorf("bad dimension %q", f)
		}
		shape = append(shape, d)
	}
	return shape, s[end+1:], nil
}

// ReadFloat32 reads an .npy file and returns its shape and its values as
// float32 in C order. Integer and float64 dtypes are converted (float64
// rounds to nearest float32). Errors say which field or byte is wrong.
func ReadFloat32(r io.Reader) (shape []int, data []float32, err error) {
	br := bufio.NewReader(r)
	h, err := ReadHeader(br)
	if err != nil {
		return nil, nil, err
	}
	size, order, conv, err := dtype(h.Descr)
	if err != nil {
		return nil, nil, err
	}
	n := 1
	for _, d := range h.Shape {
		if d != 0 && n > math.MaxInt32/d {
			return nil, nil, fmt.Errorf("npy: shape %v has too many elements", h.Shape)
		}
		n *= d
	}
	// Grow with the bytes actually present, so a forged shape cannot force a
	// huge allocation.
	raw, err := io.ReadAll(io.LimitReader(br, int64(n)*int64(size)))
	if err != nil {
		return nil, nil, fmt.Errorf("npy: read data: %w", err)
	}
	if len(raw) != n*size {
		return nil, nil, fmt.Errorf("npy: shape %v dtype %s needs %d data bytes, file has %d", h.Shape, h.Descr, n*size, len(raw))
	}
	data = make([]float32, n)
	for i := range data {
		data[i] = conv(order, raw[i*size:])
	}
	return h.Shape, data, nil
}

type convFunc func(binary.ByteOrder, []byte) float32

// dtype maps a descr to its item size, byte order and converter.
func dtype(descr string) (int, binary.ByteOrder, convFunc, error) {
	if len(descr) < 3 {
		return 0, nil, nil, fmt.Errorf("npy: unsupported dtype %q", descr)
	}
	var order binary.ByteOrder = binary.LittleEndian
	switch descr[0] {
	case '<', '|', '=':
	case '>':
		order = binary.BigEndian
	default:
		return 0, nil, nil, fmt.Errorf("npy: unsupported dtype %q (byte order)", descr)
	}
	switch descr[1:] {
	case "u1", "b1":
		return 1, order, func(_ binary.ByteOrder, b []byte) float32 { return float32(b[0]) }, nil
	case "i1":
		return 1, order, func(_ binary.ByteOrder, b []byte) float32 { return float32(int8(b[0])) }, nil
	case "u2":
		return 2, order, func(o binary.ByteOrder, b []byte) float32 { return float32(o.Uint16(b)) }, nil
	case "i2":
		return 2, order, func(o binary.ByteOrder, b []byte) float32 { return float32(int16(o.Uint16(b))) }, nil
	case "u4":
		return 4, order, func(o binary.ByteOrder, b []byte) float32 { return float32(o.Uint32(b)) }, nil
	case "i4":
		return 4, order, func(o binary.ByteOrder, b []byte) float32 { return float32(int32(o.Uint32(b))) }, nil
	case "f4":
		return 4, order, func(o binary.ByteOrder, b []byte) float32 { return math.Float32frombits(o.Uint32(b)) }, nil
	case "f8":
		return 8, order, func(o binary.ByteOrder, b []byte) float32 { return float32(math.Float64frombits(o.Uint64(b))) }, nil
	}
	return 0, nil, nil, fmt.Errorf("npy: unsupported dtype %q", descr)
}

// WriteInt8 writes data, a C-ordered array of the given shape, with dtype |i1.
func WriteInt8(w io.Writer, shape []int, data []int8) error {
	checkLen(shape, len(data))
	buf := make([]byte, len(data))
	for i, v := range data {
		buf[i] = byte(v)
	}
	return write(w, "|i1", shape, buf)
}
