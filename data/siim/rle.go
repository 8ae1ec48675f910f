package siim

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/lungo-ml/lungo/tensor"
)

// DefaultSize is the side of a SIIM-ACR radiograph and of its masks: 1024.
const DefaultSize = 1024

// Mask is a binary segmentation mask of H rows and W columns. Pix is
// row-major (Pix[y*W+x]) and holds 0 or 1; 1 marks pneumothorax.
type Mask struct {
	H, W int
	Pix  []uint8
}

// NewMask returns an empty (all zero) h x w mask. It panics if h or w is
// not positive.
func NewMask(h, w int) *Mask {
	if h <= 0 || w <= 0 {
		panicf("NewMask: size %dx%d must be positive", h, w)
	}
	return &Mask{H: h, W: w, Pix: make([]uint8, h*w)}
}

// Count returns the number of set pixels.
func (m *Mask) Count() int {
	n := 0
	for _, p := range m.Pix {
		if p != 0 {
			n++
		}
	}
	return n
}

// Empty reports whether no pixel is set.
func (m *Mask) Empty() bool {
	for _, p := range m.Pix {
		if p != 0 {
			return false
		}
	}
	return true
}

// Or sets every pixel of m that is set in o (the union of two masks). It
// panics if the sizes differ.
func (m *Mask) Or(o *Mask) {
	m.mustSameSize("Or", o)
	for i, p := range o.Pix {
		if p != 0 {
			m.Pix[i] = 1
		}
	}
}

// Equal reports whether m and o have the same size and the same set pixels.
func (m *Mask) Equal(o *Mask) bool {
	if m.H != o.H || m.W != o.W {
		return false
	}
	for i, p := range m.Pix {
		if (p != 0) != (o.Pix[i] != 0) {
			return false
		}
	}
	return true
}

// Clone returns a deep copy of m.
func (m *Mask) Clone() *Mask {
	return &Mask{H: m.H, W: m.W, Pix: append([]uint8(nil), m.Pix...)}
}

func (m *Mask) mustSameSize(op string, o *Mask) {
	if m.H != o.H || m.W != o.W {
		panicf("%s: mask sizes differ: %dx%d and %dx%d", op, m.H, m.W, o.H, o.W)
	}
}

// The SIIM encodings walk the image column-major: flat index k is row
// k mod H, column k div H. These two helpers map between k and Pix.

func (m *Mask) setFlat(k int) {
	m.Pix[(k%m.H)*m.W+k/m.H] = 1
}

// RLEError is a malformed run-length encoding. Token is the 1-based index
// of the offending integer in the space-separated list (0 when the error
// concerns the whole string, such as an odd count).
type RLEError struct {
	Token int
	Text  string // the offending token, if any
	Msg   string
}

func (e *RLEError) Error() string {
	if e.Token == 0 {
		return "siim: rle: " + e.Msg
	}
	return fmt.Sprintf("siim: rle: token %d (%q): %s", e.Token, e.Text, e.Msg)
}

// isEmptyRLE reports whether s encodes an empty mask: "-1" or nothing,
// ignoring surrounding spaces (the stage-1 files write " -1").
func isEmptyRLE(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || s == "-1"
}

// forEachRun parses s as (a, b) integer pairs and calls run(tok, a, b)
// for each, tok being the 1-based index of a. It rejects non-integers,
// negative numbers and an odd count. Bounds are the caller's job.
func forEachRun(s string, run func(tok int, a, b int) error) error {
	fields := strings.Fields(s)
	if len(fields)%2 != 0 {
		return &RLEError{Msg: fmt.Sprintf("odd number of integers (%d): runs come in pairs", len(fields))}
	}
	for i := 0; i < len(fields); i += 2 {
		var v [2]int
		for j := range 2 {
			f := fields[i+j]
			n, err := strconv.Atoi(f)
			if err != nil {
				return &RLEError{Token: i + j + 1, Text: f, Msg: "not an integer"}
			}
			if n < 0 {
				return &RLEError{Token: i + j + 1, Text: f, Msg: "negative"}
			}
			v[j] = n
		}
		if err := run(i+1, v[0], v[1]); err != nil {
			return err
		}
	}
	return nil
}

// DecodeRLE decodes the SIIM "relative" run-length form into a new h x w
// mask. s is a list of (gap, length) integer pairs: a cursor starts at flat
// index 0, moves forward by gap, paints length pixels and continues after
// them. Flat index k is row k mod h, column k div h (column-major). "-1" or
// an empty string is an empty mask. Malformed input (odd count, a negative
// number, a non-integer, a run past the last pixel) returns an *RLEError
// naming the token.
func DecodeRLE(s string, h, w int) (*Mask, error) {
	m := NewMask(h, w)
	if err := DecodeRLEInto(m, s); err != nil {
		return nil, err
	}
	return m, nil
}

// DecodeRLEInto ORs the relative encoding s (see DecodeRLE) into m, so
// several rows for one image can be decoded into the same mask. On error m
// may be partly painted.
func DecodeRLEInto(m *Mask, s string) error {
	if isEmptyRLE(s) {
		return nil
	}
	n := m.H * m.W
	cur := 0
	return forEachRun(s, func(tok, gap, length int) error {
		if gap > n-cur {
			return &RLEError{Token: tok, Text: strconv.Itoa(gap), Msg: fmt.Sprintf("gap moves the cursor from %d past the image (%d pixels)", cur, n)}
		}
		cur += gap
		if length > n-cur {
			return &RLEError{Token: tok + 1, Text: strconv.Itoa(length), Msg: fmt.Sprintf("run from %d overflows the image (%d pixels)", cur, n)}
		}
		for k := cur; k < cur+length; k++ {
			m.setFlat(k)
		}
		cur += length
		return nil
	})
}

// ValidateRLE checks the relative encoding s against an h x w image
// without painting a mask. It returns the error DecodeRLE would.
func ValidateRLE(s string, h, w int) error {
	if isEmptyRLE(s) {
		return nil
	}
	n := h * w
	cur := 0
	return forEachRun(s, func(tok, gap, length int) error {
		if gap > n-cur {
			return &RLEError{Token: tok, Text: strconv.Itoa(gap), Msg: fmt.Sprintf("gap moves the cursor from %d past the image (%d pixels)", cur, n)}
		}
		cur += gap
		if length > n-cur {
			return &RLEError{Token: tok + 1, Text: strconv.Itoa(length), Msg: fmt.Sprintf("run from %d overflows the image (%d pixels)", cur, n)}
		}
		cur += length
		return nil
	})
}

// columnMajor returns the pixels in column-major order, as 0 or 1.
func (m *Mask) columnMajor() []uint8 {
	col := make([]uint8, len(m.Pix))
	const bs = 32 // transpose in blocks to stay in cache
	for y0 := 0; y0 < m.H; y0 += bs {
		for x0 := 0; x0 < m.W; x0 += bs {
			for y := y0; y < min(y0+bs, m.H); y++ {
				row := m.Pix[y*m.W : (y+1)*m.W]
				for x := x0; x < min(x0+bs, m.W); x++ {
					if row[x] != 0 {
						col[x*m.H+y] = 1
					}
				}
			}
		}
	}
	return col
}

// runs calls fn(start, length) for each maximal run of set pixels of m in
// column-major flat order.
func (m *Mask) runs(fn func(start, length int)) {
	n := m.H * m.W
	col := m.columnMajor()
	start := -1
	for k := 0; k < n; {
		if start < 0 {
			j := bytes.IndexByte(col[k:], 1)
			if j < 0 {
				return
			}
			start = k + j
			k = start + 1
			continue
		}
		j := bytes.IndexByte(col[k:], 0)
		if j < 0 {
			break
		}
		fn(start, k+j-start)
		start = -1
		k += j + 1
	}
	// The reference encoder (Kaggle's mask2rle) drops a run that reaches
	// the last pixel; this one does not.
	if start >= 0 {
		fn(start, n-start)
	}
}

// EncodeRLE encodes m in the SIIM relative form (see DecodeRLE): (gap,
// length) pairs, gap counted from the end of the previous run. An empty
// mask encodes as "-1". Runs are maximal, so EncodeRLE(DecodeRLE(s)) == s
// for any s whose gaps after the first are positive and whose lengths are
// positive (every row of the SIIM files).
func EncodeRLE(m *Mask) string {
	var b strings.Builder
	prev := 0
	m.runs(func(start, length int) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(start - prev))
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(length))
		prev = start + length
	})
	if b.Len() == 0 {
		return "-1"
	}
	return b.String()
}

// DecodeRLEAbsolute decodes the standard Kaggle run-length form into a new
// h x w mask: (start, length) pairs with 1-based absolute starts over the
// same column-major flat order as DecodeRLE. Runs may come in any order and
// overlap. "-1" or an empty string is an empty mask. A start of 0 or a run
// past the last pixel returns an *RLEError.
func DecodeRLEAbsolute(s string, h, w int) (*Mask, error) {
	m := NewMask(h, w)
	if isEmptyRLE(s) {
		return m, nil
	}
	n := h * w
	err := forEachRun(s, func(tok, start, length int) error {
		if start < 1 || start > n {
			return &RLEError{Token: tok, Text: strconv.Itoa(start), Msg: fmt.Sprintf("start must be in [1, %d]", n)}
		}
		k0 := start - 1
		if length > n-k0 {
			return &RLEError{Token: tok + 1, Text: strconv.Itoa(length), Msg: fmt.Sprintf("run from %d overflows the image (%d pixels)", start, n)}
		}
		for k := k0; k < k0+length; k++ {
			m.setFlat(k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// EncodeRLEAbsolute encodes m in the standard Kaggle form (see
// DecodeRLEAbsolute) with maximal runs in increasing order. An empty mask
// encodes as "-1".
func EncodeRLEAbsolute(m *Mask) string {
	var b strings.Builder
	m.runs(func(start, length int) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(start + 1))
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(length))
	})
	if b.Len() == 0 {
		return "-1"
	}
	return b.String()
}

// panicf reports a programmer error (a bad argument, not bad data).
func panicf(format string, args ...any) {
	tensor.Panicf("siim", format, args...)
}
