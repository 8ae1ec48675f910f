//go:build gc && !purego

package asm

//go:generate sh -c "cd _asm && go run ./elementwise -out ../elementwise_amd64.s -stubs ../elementwise_stubs_amd64.go -pkg asm"

// Flat elementwise kernels (AVX2) over the first n = len(y) elements, n a
// multiple of 8; the caller handles the tail. A destination may be one of
// the sources.

// ReLUAVX2 computes y[k] = max(x[k], 0) for k < len(y), except that
// max(-0, 0) gives -0 (NaN propagates). It requires len(y)%8 == 0,
// len(x) >= len(y), and AVX2.
func ReLUAVX2(y, x []float32) {
	checkFlat("ReLUAVX2", 8, len(y), len(x))
	if len(y) > 0 {
		reluAVX2(y, x)
	}
}

// ReLUBackwardAVX2 computes dx[k] = dy[k] if y[k] > 0, else 0 (NaN y gives
// 0), for k < len(dx). It requires len(dx)%8 == 0, len(dy), len(y) >=
// len(dx), and AVX2.
func ReLUBackwardAVX2(dx, dy, y []float32) {
	checkFlat("ReLUBackwardAVX2", 8, len(dx), len(dy), len(y))
	if len(dx) > 0 {
		reluBackwardAVX2(dx, dy, y)
	}
}

// AddAVX2 computes y[k] = a[k] + b[k] for k < len(y). It requires
// len(y)%8 == 0, len(a), len(b) >= len(y), and AVX2.
func AddAVX2(y, a, b []float32) {
	checkFlat("AddAVX2", 8, len(y), len(a), len(b))
	if len(y) > 0 {
		addAVX2(y, a, b)
	}
}
