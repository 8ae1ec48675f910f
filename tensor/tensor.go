package tensor

import (
	"fmt"
	"math"
	"strings"
)

// Tensor is a dense float32 array: Data holds Numel(Shape) values in
// row-major (C) order. A zero-dimensional tensor (empty Shape) holds one value.
type Tensor struct {
	Shape []int
	Data  []float32
}

// ShapeError is the value lungo packages panic with on programmer errors such
// as mismatched shapes. Its message is prefixed with the package name.
type ShapeError struct {
	Pkg string // package that raised it, e.g. "tensor"
	Msg string
}

func (e *ShapeError) Error() string { return e.Pkg + ": " + e.Msg }

// Panicf panics with a *ShapeError for package pkg.
func Panicf(pkg, format string, args ...any) {
	panic(&ShapeError{Pkg: pkg, Msg: fmt.Sprintf(format, args...)})
}

// Numel returns the number of elements of a tensor with the given shape.
// It panics on a negative dimension.
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			Panicf("tensor", "negative dimension in shape %v", shape)
		}
		n *= d
	}
	return n
}

// New returns a zero-filled tensor of the given shape.
func New(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, Numel(shape))}
}

// FromData wraps data (not copied) as a tensor of the given shape.
// It panics if len(data) does not match the shape.
func FromData(data []float32, shape ...int) *Tensor {
	if n := Numel(shape); n != len(data) {
		Panicf("tensor", "FromData: %d values for shape %v (%d elements)", len(data), shape, n)
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}
}

// Full returns a tensor of the given shape filled with v.
func Full(v float32, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.Data {
		t.Data[i] = v
	}
	return t
}

// Scalar returns a zero-dimensional tensor holding v.
func Scalar(v float32) *Tensor { return &Tensor{Shape: []int{}, Data: []float32{v}} }

// Numel returns the number of elements of t.
func (t *Tensor) Numel() int { return len(t.Data) }

// Dim returns the number of dimensions of t.
func (t *Tensor) Dim() int { return len(t.Shape) }

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// Reshape returns a tensor sharing t's data with a new shape. One dimension
// may be -1 and is then inferred. It panics if the sizes differ.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	shape = append([]int(nil), shape...)
	infer, known := -1, 1
	for i, d := range shape {
		if d == -1 {
			if infer >= 0 {
				Panicf("tensor", "Reshape: more than one -1 in %v", shape)
			}
			infer = i
			continue
		}
		known *= d
	}
	if infer >= 0 {
		if known == 0 || len(t.Data)%known != 0 {
			Panicf("tensor", "Reshape: cannot infer %v from %d elements", shape, len(t.Data))
		}
		shape[infer] = len(t.Data) / known
	}
	if Numel(shape) != len(t.Data) {
		Panicf("tensor", "Reshape: shape %v does not hold %d elements of %v", shape, len(t.Data), t.Shape)
	}
	return &Tensor{Shape: shape, Data: t.Data}
}

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// MustSameShape panics with a package-prefixed message if a and b differ.
func MustSameShape(pkg, op string, a, b []int) {
	if !SameShape(a, b) {
		Panicf(pkg, "%s: shape mismatch %v vs %v", op, a, b)
	}
}

// Strides returns the row-major strides (in elements) of shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// Offset returns the flat index of idx; it panics when idx is out of range.
func (t *Tensor) Offset(idx ...int) int {
	if len(idx) != len(t.Shape) {
		Panicf("tensor", "index %v has %d dims, tensor has %d", idx, len(idx), len(t.Shape))
	}
	off := 0
	for i, v := range idx {
		if v < 0 || v >= t.Shape[i] {
			Panicf("tensor", "index %v out of range for shape %v", idx, t.Shape)
		}
		off = off*t.Shape[i] + v
	}
	return off
}

// At returns the element at idx.
func (t *Tensor) At(idx ...int) float32 { return t.Data[t.Offset(idx...)] }

// Set stores v at idx.
func (t *Tensor) Set(v float32, idx ...int) { t.Data[t.Offset(idx...)] = v }

// Fill sets every element of t to v.
func (t *Tensor) Fill(v float32) {
	for i := range t.Data {
		t.Data[i] = v
	}
}

// Zero sets every element of t to 0.
func (t *Tensor) Zero() { clear(t.Data) }

// CopyFrom copies src's data into t; shapes must match.
func (t *Tensor) CopyFrom(src *Tensor) {
	MustSameShape("tensor", "CopyFrom", t.Shape, src.Shape)
	copy(t.Data, src.Data)
}

// String prints the shape and, for small tensors, the values; large tensors
// are summarised by their first and last values.
func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v[", t.Shape)
	const head = 6
	n := len(t.Data)
	for i := 0; i < n; i++ {
		if n > 2*head && i == head {
			b.WriteString(" ...")
			i = n - head
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.6g", t.Data[i])
	}
	b.WriteByte(']')
	return b.String()
}

// AllClose reports whether a and b have the same shape and every pair of
// elements satisfies |a-b| <= atol + rtol*|b| (numpy's rule; b is the
// reference). NaNs are never close.
func AllClose(a, b *Tensor, atol, rtol float64) bool {
	if !SameShape(a.Shape, b.Shape) {
		return false
	}
	_, _, ok := MaxDiff(a.Data, b.Data, atol, rtol)
	return ok
}

// MaxDiff compares got against want element by element with the AllClose
// rule. It returns the index of the worst element (by excess over the
// tolerance), its absolute difference, and whether all elements pass.
func MaxDiff(got, want []float32, atol, rtol float64) (worst int, diff float64, ok bool) {
	if len(got) != len(want) {
		Panicf("tensor", "MaxDiff: lengths %d vs %d", len(got), len(want))
	}
	ok = true
	worst = -1
	excess := math.Inf(-1)
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		d := math.Abs(g - w)
		tol := atol + rtol*math.Abs(w)
		e := d - tol
		if math.IsNaN(d) {
			e = math.Inf(1)
		}
		if e > excess {
			excess, worst, diff = e, i, d
		}
		if !(d <= tol) {
			ok = false
		}
	}
	return worst, diff, ok
}
