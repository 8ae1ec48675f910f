package kernels

import (
	"math"
	"slices"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// Shared helpers of the conformance suites: every suite runs its body once
// per implementation this CPU can run (forEachImpl), writes outputs into
// slices surrounded by NaN guard cells (guarded) and checks that inputs are
// left unmodified (frozen).

// forEachImpl runs fn as a sub-test "impl=<name>" with each implementation
// in Available() active, the generic reference last.
func forEachImpl(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	names := Available()
	slices.SortStableFunc(names, func(a, b string) int {
		switch {
		case a == "generic" && b != "generic":
			return 1
		case b == "generic" && a != "generic":
			return -1
		}
		return 0
	})
	for _, name := range names {
		t.Run("impl="+name, func(t *testing.T) {
			if err := Use(name, func() { fn(t) }); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// guardLen is the number of NaN cells before and after a guarded slice.
const guardLen = 8

// guardedBuf is a slice of n elements starting off elements into a buffer
// whose other cells are NaN, to catch out-of-bounds writes (by assembly)
// and reads of uninitialised destinations.
type guardedBuf struct {
	buf    []float32
	off, n int
}

// guarded returns a guarded slice of n elements at offset off (0-3 in the
// suites), filled with NaN like its guards.
func guarded(n, off int) *guardedBuf {
	buf := make([]float32, guardLen+off+n+guardLen)
	for i := range buf {
		buf[i] = float32(math.NaN())
	}
	return &guardedBuf{buf: buf, off: guardLen + off, n: n}
}

// guardedFrom is guarded filled with a copy of src.
func guardedFrom(src []float32, off int) *guardedBuf {
	g := guarded(len(src), off)
	copy(g.s(), src)
	return g
}

// s returns the guarded slice (capacity clipped to its length).
func (g *guardedBuf) s() []float32 { return g.buf[g.off : g.off+g.n : g.off+g.n] }

// check fails t if any guard cell is no longer NaN.
func (g *guardedBuf) check(t *testing.T, name string) {
	t.Helper()
	for i, v := range g.buf {
		if i >= g.off && i < g.off+g.n {
			continue
		}
		if !math.IsNaN(float64(v)) {
			t.Errorf("%s: guard cell %d (slice at %d, len %d) overwritten with %v", name, i, g.off, g.n, v)
			return
		}
	}
}

// frozen remembers the bits of an input to check later it was not written.
type frozen struct {
	name string
	s    []float32
	bits []uint32
}

func freeze(name string, s []float32) frozen {
	b := make([]uint32, len(s))
	for i, v := range s {
		b[i] = math.Float32bits(v)
	}
	return frozen{name, s, b}
}

func (f frozen) check(t *testing.T) {
	t.Helper()
	for i, v := range f.s {
		if math.Float32bits(v) != f.bits[i] {
			t.Errorf("input %s modified at %d: %v, was %v", f.name, i, v, math.Float32frombits(f.bits[i]))
			return
		}
	}
}

// randSlice returns n values uniform in [-1, 1).
func randSlice(g *tensor.RNG, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = g.Uniform(-1, 1)
	}
	return s
}

// eps32 is float32's unit roundoff.
const eps32 = 1.0 / (1 << 24)

// tolFactor scales the reduction tolerance: a result that sums L terms
// t_i must satisfy |got - want| <= tolFactor*eps32*sqrt(L)*sum|t_i| + tiny,
// where want and sum|t_i| are computed in float64. Recursive float32
// summation of random-sign terms errs by about eps32*sum|t_i| in practice
// (L*eps32*sum|t_i| is the worst-case bound), while a missing or doubled
// term is off by about sum|t_i|/L: detectable for L up to ~15000.
const tolFactor = 8

// reductionTol returns the tolerance for a sum of l terms with absolute sum abs.
func reductionTol(l int, abs float64) float64 {
	return tolFactor*eps32*math.Sqrt(float64(max(l, 1)))*abs + 1e-30
}

// compareReduction checks got against the float64 reference want whose
// terms had absolute sums abs, each a sum of l terms.
func compareReduction(t *testing.T, name string, got []float32, want, abs []float64, l int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", name, len(got), len(want))
	}
	bad := 0
	for i := range got {
		d := math.Abs(float64(got[i]) - want[i])
		if !(d <= reductionTol(l, abs[i])) {
			if bad < 5 {
				t.Errorf("%s[%d] = %v, want %v (diff %.3g, tol %.3g, L=%d)", name, i, got[i], want[i], d, reductionTol(l, abs[i]), l)
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d of %d elements out of tolerance", name, bad, len(got))
	}
}

// compareExact checks got == want bit for bit (NaNs compare equal).
func compareExact(t *testing.T, name string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", name, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))) {
			t.Errorf("%s[%d] = %v, want %v", name, i, got[i], want[i])
			return
		}
	}
}

// mustPanic fails t unless fn panics with a *tensor.ShapeError from kernels.
func mustPanic(t *testing.T, what string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		e, ok := r.(*tensor.ShapeError)
		if !ok || e.Pkg != "kernels" {
			t.Errorf("%s: recovered %v, want a kernels *tensor.ShapeError", what, r)
		}
	}()
	fn()
}

// offsets are the slice offsets the suites cycle through.
var offsets = []int{0, 1, 2, 3}

// vecSizes are lengths around vector widths and unroll factors.
var vecSizes = []int{0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65}

// withThreads runs fn with the worker pool set to n threads.
func withThreads(n int, fn func()) {
	old := Threads()
	SetThreads(n)
	defer SetThreads(old)
	fn()
}
