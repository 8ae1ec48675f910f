//go:build gc && !purego

package asm

// Flat elementwise kernels (NEON) over the first n = len(y) elements, n a
// multiple of 4; the caller handles the tail. A destination may be one of
// the sources.

// ReLUNEON computes y[k] = max(x[k], 0) for k < len(y) (FMAX: as Go's
// max, NaN propagates and max(-0, 0) is +0). It requires len(y)%4 == 0,
// len(x) >= len(y), and ASIMD.
func ReLUNEON(y, x []float32) {
	checkFlat("ReLUNEON", 4, len(y), len(x))
	if len(y) > 0 {
		reluNEON(y, x)
	}
}

//go:noescape
func reluNEON(y, x []float32)

// ReLUBackwardNEON computes dx[k] = dy[k] if y[k] > 0, else 0 (NaN y gives
// 0), for k < len(dx). It requires len(dx)%4 == 0, len(dy), len(y) >=
// len(dx), and ASIMD.
func ReLUBackwardNEON(dx, dy, y []float32) {
	checkFlat("ReLUBackwardNEON", 4, len(dx), len(dy), len(y))
	if len(dx) > 0 {
		reluBackwardNEON(dx, dy, y)
	}
}

//go:noescape
func reluBackwardNEON(dx, dy, y []float32)

// AddNEON computes y[k] = a[k] + b[k] for k < len(y). It requires
// len(y)%4 == 0, len(a), len(b) >= len(y), and ASIMD.
func AddNEON(y, a, b []float32) {
	checkFlat("AddNEON", 4, len(y), len(a), len(b))
	if len(y) > 0 {
		addNEON(y, a, b)
	}
}

//go:noescape
func addNEON(y, a, b []float32)
