package kernels_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/lungo-ml/lungo/kernels"
)

// Oracle tests: Sgemm and Conv2D of every implementation this CPU has
// against gonum's BLAS, an implementation written independently of lungo's
// (gonum's float32 Sgemm is generated from its Dgemm). They use only the
// exported API, so they hold whatever the kernels are called inside.
//
// Tolerance: gonum and lungo both round in float32, so an element may
// differ by the error of two sums of L terms: oracleTol*eps32*sqrt(L)*
// sum|terms|, with the absolute sums computed by gonum from |A| and |B|.
// A missing or doubled term is off by about sum|terms|/L: detected for L up
// to ~10000 (the largest k here is 2049).

const (
	eps32     = 1.0 / (1 << 24)
	oracleTol = 16 // twice the float64-reference suites' factor
)

var blas32 gonum.Implementation

// eachImpl runs fn as a sub-test "impl=<name>" for every implementation in
// kernels.Available(), generic last.
func eachImpl(t *testing.T, fn func(t *testing.T)) {
	names := kernels.Available()
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
			if err := kernels.Use(name, func() { fn(t) }); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func trans(b bool) blas.Transpose {
	if b {
		return blas.Trans
	}
	return blas.NoTrans
}

func randn(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func absOf(s []float32) []float32 {
	a := make([]float32, len(s))
	for i, v := range s {
		a[i] = float32(math.Abs(float64(v)))
	}
	return a
}

// compareOracle checks got against gonum's want element by element, abs
// being the absolute sums of each element's l terms.
func compareOracle(t *testing.T, name string, got, want, abs []float32, l int) {
	t.Helper()
	bad := 0
	for i := range want {
		tol := oracleTol*eps32*math.Sqrt(float64(max(l, 1)))*float64(abs[i]) + 1e-30
		if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= tol) {
			if bad < 3 {
				t.Errorf("%s: [%d] = %v, gonum %v (diff %.3g, tol %.3g, L=%d)", name, i, got[i], want[i], d, tol, l)
			}
			bad++
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d of %d elements out of tolerance", name, bad, len(want))
	}
}

type oracleCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	pad, off       int // extra leading-dimension columns; slice offset in its buffer
}

func (c oracleCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%v beta=%v pad=%d off=%d", c.transA, c.transB, c.m, c.n, c.k, c.alpha, c.beta, c.pad, c.off)
}

// runOracle runs one case through kernels.Sgemm and gonum. C lies in a
// buffer whose cells outside the m x n matrix (row gaps and 8 guards either
// side) are NaN and must stay so; when beta is 0 the matrix cells start NaN
// too, which BLAS says are not read.
func runOracle(t *testing.T, r *rand.Rand, c oracleCase) {
	t.Helper()
	ar, ac := c.m, c.k
	if c.transA {
		ar, ac = ac, ar
	}
	br, bc := c.k, c.n
	if c.transB {
		br, bc = bc, br
	}
	lda, ldb, ldc := max(ac, 1)+c.pad, max(bc, 1)+c.pad, max(c.n, 1)+c.pad
	a, b := randn(r, ar*lda), randn(r, br*ldb)
	c0 := randn(r, c.m*ldc)
	const guard = 8
	buf := make([]float32, guard+c.off+len(c0)+guard)
	for i := range buf {
		buf[i] = float32(math.NaN())
	}
	got := buf[guard+c.off : guard+c.off+len(c0) : guard+c.off+len(c0)]
	for i := range c.m {
		for j := range c.n {
			if c.beta != 0 {
				got[i*ldc+j] = c0[i*ldc+j]
			}
		}
	}
	want := slices.Clone(got)
	aCopy, bCopy := slices.Clone(a), slices.Clone(b)

	kernels.Sgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, got, ldc)
	blas32.Sgemm(trans(c.transA), trans(c.transB), c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, want, ldc)
	abs := absOf(c0)
	blas32.Sgemm(trans(c.transA), trans(c.transB), c.m, c.n, c.k, float32(math.Abs(float64(c.alpha))), absOf(a), lda, absOf(b), ldb, float32(math.Abs(float64(c.beta))), abs, ldc)

	if !slices.Equal(a, aCopy) || !slices.Equal(b, bCopy) {
		t.Fatalf("%v: A or B modified", c)
	}
	for i, v := range buf {
		in := i - guard - c.off
		if in >= 0 && in < len(c0) && in%ldc < c.n {
			continue
		}
		if !math.IsNaN(float64(v)) {
			t.Fatalf("%v: cell %d outside C (buffer index %d) written: %v", c, in, i, v)
		}
	}
	pick := func(s []float32) []float32 {
		out := make([]float32, 0, c.m*c.n)
		for i := range c.m {
			out = append(out, s[i*ldc:i*ldc+c.n]...)
		}
		return out
	}
	compareOracle(t, c.String(), pick(got), pick(want), pick(abs), c.k+1)
}

// TestSgemmOracle: odd shapes around the register tiles (m, n in 1..65),
// every transpose, alpha/beta including 0, padded leading dimensions and
// offset slices; then shapes past the cache blocks and a long k.
func TestSgemmOracle(t *testing.T) {
	sizes := []int{1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65}
	ks := []int{0, 1, 3, 8, 13, 16, 17, 31, 64, 100}
	scal := [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}, {2, 0}, {0, 0.5}, {0.7, -1}}
	eachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(19, 1))
		j := 0
		for _, m := range sizes {
			for _, n := range sizes {
				for tr := range 4 {
					j++
					runOracle(t, r, oracleCase{transA: tr&1 == 1, transB: tr&2 == 2, m: m, n: n, k: ks[j%len(ks)],
						alpha: scal[j%len(scal)][0], beta: scal[j%len(scal)][1], pad: j % 3, off: j % 4})
				}
			}
		}
		for tr := range 4 {
			tA, tB := tr&1 == 1, tr&2 == 2
			runOracle(t, r, oracleCase{transA: tA, transB: tB, m: 129, n: 67, k: 300, alpha: 1, beta: 0, pad: 1, off: tr})
			runOracle(t, r, oracleCase{transA: tA, transB: tB, m: 301, n: 257, k: 513, alpha: 0.75, beta: -1, pad: 3, off: 1})
			runOracle(t, r, oracleCase{transA: tA, transB: tB, m: 17, n: 33, k: 2049, alpha: 1, beta: 1, off: 2})
			runOracle(t, r, oracleCase{transA: tA, transB: tB, m: 5, n: 1031, k: 40, alpha: -1, beta: 0, pad: 2})
		}
	})
}

// im2col returns the [N*OutH*OutW, C*R*S] matrix of the patches of x
// [N, H, W, C] (zeros in the padding), columns ordered like w's [K, C, R, S].
func im2col(x []float32, p kernels.ConvParams) []float32 {
	oh, ow, crs := p.OutH(), p.OutW(), p.C*p.R*p.S
	col := make([]float32, p.N*oh*ow*crs)
	for n := range p.N {
		for oy := range oh {
			for ox := range ow {
				row := col[((n*oh+oy)*ow+ox)*crs:][:crs]
				for c := range p.C {
					for r := range p.R {
						for s := range p.S {
							iy, ix := oy*p.StrideH-p.PadH+r*p.DilH, ox*p.StrideW-p.PadW+s*p.DilW
							if iy >= 0 && iy < p.H && ix >= 0 && ix < p.W {
								row[(c*p.R+r)*p.S+s] = x[((n*p.H+iy)*p.W+ix)*p.C+c]
							}
						}
					}
				}
			}
		}
	}
	return col
}

// TestConv2DOracle checks kernels.Conv2D against im2col and gonum's Sgemm
// (y = col * w^T + bias) on odd channel counts, strides 1-3, padding 0-2,
// dilation 2, a 1x1 and 5x5 kernel, and 3x3 shapes large enough for the
// Winograd path: off (direct), then with the tile forced to F(2x2,3x3) and
// to F(4x4,3x3) by SetWinogradTile. The SIMD implementations take the
// 24x24 shape with F(4x4) and the 64-channel one with F(2x2) (each declines
// the other tile there and runs direct). F(4x4)'s float32 error is 4-8x the
// direct path's (SetWinogradTile's doc): its worst element used 16% of the
// tolerance, the direct path's 2%.
func TestConv2DOracle(t *testing.T) {
	shape := func(n, h, w, c, k, rs, stride, pad, dil int) kernels.ConvParams {
		return kernels.ConvParams{N: n, H: h, W: w, C: c, K: k, R: rs, S: rs, StrideH: stride, StrideW: stride,
			PadH: pad, PadW: pad, DilH: dil, DilW: dil}
	}
	shapes := []kernels.ConvParams{
		shape(2, 9, 7, 3, 5, 3, 1, 1, 1),
		shape(1, 11, 13, 17, 9, 3, 2, 1, 1),
		shape(1, 10, 10, 5, 7, 5, 3, 2, 1),
		shape(2, 8, 8, 33, 16, 1, 1, 0, 1),
		shape(1, 12, 12, 6, 8, 3, 1, 2, 2),
		shape(1, 7, 9, 19, 13, 3, 2, 0, 1),
		shape(1, 24, 24, 16, 24, 3, 1, 1, 1), // Winograd F(4x4) by default
		shape(1, 16, 16, 64, 32, 3, 1, 1, 1), // Winograd F(2x2) by default
	}
	eachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(19, 2))
		for _, p := range shapes {
			x, w, bias := randn(r, p.N*p.H*p.W*p.C), randn(r, p.K*p.C*p.R*p.S), randn(r, p.K)
			m, crs := p.N*p.OutH()*p.OutW(), p.C*p.R*p.S
			col := im2col(x, p)
			want, abs := make([]float32, m*p.K), make([]float32, m*p.K)
			blas32.Sgemm(blas.NoTrans, blas.Trans, m, p.K, crs, 1, col, crs, w, crs, 0, want, p.K)
			blas32.Sgemm(blas.NoTrans, blas.Trans, m, p.K, crs, 1, absOf(col), crs, absOf(w), crs, 0, abs, p.K)
			for i := range want {
				want[i] += bias[i%p.K]
				abs[i] += float32(math.Abs(float64(bias[i%p.K])))
			}
			for _, mode := range []struct {
				name string
				wino bool
				tile int
			}{{"direct", false, 0}, {"winograd F(2x2)", true, 2}, {"winograd F(4x4)", true, 4}} {
				prevOn, prevTile := kernels.SetWinograd(mode.wino), kernels.SetWinogradTile(mode.tile)
				got := make([]float32, m*p.K)
				kernels.Conv2D(got, x, w, bias, p)
				kernels.SetWinograd(prevOn)
				kernels.SetWinogradTile(prevTile)
				name := fmt.Sprintf("%s N=%d H=%d W=%d C=%d K=%d %dx%d stride %d pad %d dil %d", mode.name, p.N, p.H, p.W, p.C, p.K, p.R, p.S, p.StrideH, p.PadH, p.DilH)
				compareOracle(t, name, got, want, abs, crs+1)
			}
		}
	})
}
