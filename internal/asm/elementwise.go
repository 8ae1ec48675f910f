package asm

import "fmt"

// The flat elementwise kernels, one set per ISA (ReLUAVX2 in
// elementwise_amd64.go, ReLUNEON in elementwise_arm64.go, ...), over the
// first n elements of their slices, n = the destination's length, a
// multiple of the ISA's lanes; the caller handles the tail. A destination
// may be one of the sources. Each function below checks the slices for
// one kernel and reports whether there is work (n > 0); the wrappers call
// the assembly only then.

// checkReLU checks the slices for ReLU<ISA>, which computes y[k] =
// max(x[k], 0) for k < len(y), NaN propagating (the per-ISA files say what
// max(-0, 0) gives). It requires len(y)%lanes == 0, len(x) >= len(y), and
// the ISA.
func checkReLU(s isa, y, x []float32) bool {
	checkFlat("ReLU", s, len(y), len(x))
	return len(y) > 0
}

// checkReLUBackward checks the slices for ReLUBackward<ISA>, which
// computes dx[k] = dy[k] if y[k] > 0, else 0 (NaN y gives 0), for k <
// len(dx). It requires len(dx)%lanes == 0, len(dy), len(y) >= len(dx), and
// the ISA.
func checkReLUBackward(s isa, dx, dy, y []float32) bool {
	checkFlat("ReLUBackward", s, len(dx), len(dy), len(y))
	return len(dx) > 0
}

// checkAdd checks the slices for Add<ISA>, which computes y[k] = a[k] +
// b[k] for k < len(y). It requires len(y)%lanes == 0, len(a), len(b) >=
// len(y), and the ISA.
func checkAdd(s isa, y, a, b []float32) bool {
	checkFlat("Add", s, len(y), len(a), len(b))
	return len(y) > 0
}

// checkFlat panics unless every length in ns is at least n, a multiple of
// s.lanes, for the kernel op+s.name.
func checkFlat(op string, s isa, n int, ns ...int) {
	ok := n%s.lanes == 0 && n >= 0
	for _, m := range ns {
		ok = ok && m >= n
	}
	if !ok {
		panic(fmt.Sprintf("asm: %s%s: n=%d (want a multiple of %d), lengths %v", op, s.name, n, s.lanes, append([]int(nil), ns...)))
	}
}
