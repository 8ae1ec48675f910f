// Package npy reads and writes NumPy .npy files (format versions 1.0, 2.0
// and 3.0) holding C-ordered little-endian arrays.
//
// Writers take the shape (row-major, C order, as NumPy prints it) and a flat
// slice whose length is the product of the shape; a mismatch is a programmer
// error and panics with an "npy: " prefix. ReadFloat32 accepts the common
// numeric dtypes (|u1 |i1 <u2 <i2 <u4 <i4 <f4 <f8, and big-endian variants)
// and converts them to float32, so `lungo predict -input X.npy` can take
// what NumPy or `lungo dicom -npy` wrote. .npy files are untrusted input:
// header fields are validated and allocations grow with the bytes actually
// read, never with a forged shape.
package npy
