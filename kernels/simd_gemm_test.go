package kernels

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// gemmCase is one Sgemm call of the conformance suite.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	padA, padB     int // lda/ldb beyond the column count
	padC           int // ldc beyond n
	off            int // slice offset of a, b and c (0-3)
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%v beta=%v pads=%d,%d,%d off=%d",
		tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.padA, tc.padB, tc.padC, tc.off)
}

// runGemmCase runs Sgemm on tc with random data and checks it against a
// float64 reference: C inside the [m, n] window within reductionTol, the
// gap cells between rows (ldc > n) and the guards untouched (NaN), beta == 0
// ignoring NaNs in C, and A and B unmodified.
func runGemmCase(t *testing.T, rng *tensor.RNG, tc gemmCase) {
	t.Helper()
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	lda, ldb, ldc := ac+tc.padA, bc+tc.padB, tc.n+tc.padC
	mat := func(rows, cols, ld int) *guardedBuf {
		g := guarded(max(0, (rows-1)*ld+cols), tc.off)
		s := g.s()
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				s[i*ld+j] = rng.Uniform(-1, 1)
			}
		}
		return g
	}
	ga, gb := mat(ar, ac, lda), mat(br, bc, ldb)
	gc := guarded(max(0, (tc.m-1)*ldc+tc.n), tc.off)
	c := gc.s()
	c0 := make([]float32, len(c))
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			if tc.beta != 0 || (i+j)%5 != 0 { // leave some NaNs in C when beta == 0
				c[i*ldc+j] = rng.Uniform(-1, 1)
			}
		}
	}
	copy(c0, c)
	fa, fb := freeze("a", ga.s()), freeze("b", gb.s())
	a, b := ga.s(), gb.s()
	want := make([]float64, tc.m*tc.n)
	abs := make([]float64, tc.m*tc.n)
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			var s, sa float64
			for p := 0; p < tc.k; p++ {
				var av, bv float32
				if tc.transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if tc.transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				sa += math.Abs(float64(av) * float64(bv))
			}
			w, wa := float64(tc.alpha)*s, math.Abs(float64(tc.alpha))*sa
			if tc.beta != 0 {
				w += float64(tc.beta) * float64(c0[i*ldc+j])
				wa += math.Abs(float64(tc.beta) * float64(c0[i*ldc+j]))
			}
			want[i*tc.n+j], abs[i*tc.n+j] = w, wa
		}
	}
	Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
	got := make([]float32, tc.m*tc.n)
	for i := 0; i < tc.m; i++ {
		copy(got[i*tc.n:(i+1)*tc.n], c[i*ldc:i*ldc+tc.n])
		for j := tc.n; j < ldc && i < tc.m-1; j++ {
			if !math.IsNaN(float64(c[i*ldc+j])) {
				t.Fatalf("%v: gap cell c[%d, %d] written", tc, i, j)
			}
		}
	}
	compareReduction(t, tc.String(), got, want, abs, tc.k+1)
	gc.check(t, tc.String())
	fa.check(t)
	fb.check(t)
}

var gemmSizes = []int{0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65}

func TestSgemmImpls(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := tensor.NewRNG(7)
		i := 0
		next := func() int { i++; return i }
		// Every m x n around the tile sizes, with k cycling through sizes,
		// transposes, scalars, strides and offsets.
		scal := [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}, {2, 0}, {0, 0.5}}
		for _, m := range gemmSizes {
			for _, n := range gemmSizes {
				j := next()
				tc := gemmCase{
					transA: j%2 == 1, transB: j/2%2 == 1,
					m: m, n: n, k: gemmSizes[j%len(gemmSizes)],
					alpha: scal[j%5][0], beta: scal[j%5][1],
					padA: j % 3, padB: (j / 3) % 3, padC: j % 4, off: j % 4,
				}
				runGemmCase(t, rng, tc)
			}
		}
		// Every k, and blocks larger than mc, kc and nc.
		for _, k := range append(gemmSizes, 255, 256, 257, 511, 600) {
			for tr := 0; tr < 4; tr++ {
				runGemmCase(t, rng, gemmCase{transA: tr&1 == 1, transB: tr&2 == 2, m: 13, n: 35, k: k, alpha: 1, beta: 1, padA: 1, padC: 2, off: k % 4})
			}
		}
		for tr := 0; tr < 4; tr++ {
			runGemmCase(t, rng, gemmCase{transA: tr&1 == 1, transB: tr&2 == 2, m: 301, n: 333, k: 519, alpha: 0.75, beta: -1, padA: 3, padB: 1, padC: 5, off: tr})
			runGemmCase(t, rng, gemmCase{transA: tr&1 == 1, transB: tr&2 == 2, m: 1100, n: 40, k: 70, alpha: 1, beta: 0, off: tr})
			runGemmCase(t, rng, gemmCase{transA: tr&1 == 1, transB: tr&2 == 2, m: 5, n: 1300, k: 40, alpha: 1, beta: 0, padB: 2, off: tr})
			// Few rows on several threads: the columns are split too (B
			// packed per kc block, and packed whole).
			runGemmCase(t, rng, gemmCase{transA: tr&1 == 1, transB: tr&2 == 2, m: 7, n: 1500, k: 200, alpha: 1, beta: 1, off: tr})
			runGemmCase(t, rng, gemmCase{transA: tr&1 == 1, transB: tr&2 == 2, m: 7, n: 300, k: 600, alpha: -1, beta: 0, padA: 1, off: tr})
			// Few columns: A read in place (not transposed, alpha 1) but
			// for the partial last row tile; with k > kc, B packed whole
			// on several threads.
			runGemmCase(t, rng, gemmCase{transA: tr&1 == 1, transB: tr&2 == 2, m: 61, n: 64, k: 600, alpha: 1, beta: 0, padA: 3, off: tr})
			runGemmCase(t, rng, gemmCase{transA: tr&1 == 1, transB: tr&2 == 2, m: 150, n: 20, k: 77, alpha: 1, beta: 1, padA: 1, padC: 1, off: tr})
		}
	})
}

// TestSgemmThreadsBitwise checks that the thread count does not change a
// single bit of the result: every element is reduced in the same order.
func TestSgemmThreadsBitwise(t *testing.T) {
	rng := tensor.NewRNG(3)
	const m, k = 200, 300
	for _, n := range []int{150, 50} { // 50: A read in place
		a, b := randSlice(rng, m*k), randSlice(rng, k*n)
		forEachImpl(t, func(t *testing.T) {
			var c1, c2 []float32
			for _, th := range []int{1, 2} {
				c := make([]float32, m*n)
				withThreads(th, func() { Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n) })
				if th == 1 {
					c1 = c
				} else {
					c2 = c
				}
			}
			compareExact(t, fmt.Sprintf("n=%d: 2 threads vs 1", n), c2, c1)
		})
	}
}

// TestSgemmSIMDMatchesGeneric compares every impl's Sgemm with
// SgemmGeneric on a product whose rounding differs between them only by
// the order of additions.
func TestSgemmSIMDMatchesGeneric(t *testing.T) {
	rng := tensor.NewRNG(11)
	const m, n, k = 67, 93, 129
	a, b := randSlice(rng, m*k), randSlice(rng, k*n)
	want := make([]float32, m*n)
	SgemmGeneric(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
	forEachImpl(t, func(t *testing.T) {
		got := make([]float32, m*n)
		Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, got, n)
		for i := range got {
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-4 {
				t.Fatalf("c[%d] = %v, generic %v", i, got[i], want[i])
			}
		}
	})
}

func TestSgemmPick(t *testing.T) {
	wide := &microKernel{name: "wide", mr: 12, nr: 32}
	narrow := &microKernel{name: "narrow", mr: 6, nr: 16}
	s := &simdImpl{kernels: []*microKernel{wide, narrow}}
	for _, tc := range []struct {
		n    int
		want *microKernel
	}{{1, narrow}, {16, narrow}, {17, wide}, {64, wide}, {1000, wide}} {
		if got := s.pick(tc.n); got != tc.want {
			t.Errorf("pick(%d) = %s, want %s", tc.n, got.name, tc.want.name)
		}
	}
}

func BenchmarkSgemm(b *testing.B) {
	for _, name := range append(Available()[1:], "generic") {
		for _, n := range []int{64, 256, 512, 1024} {
			if name == "generic" && n > 512 && testing.Short() {
				continue
			}
			b.Run(fmt.Sprintf("impl=%s/n=%d", name, n), func(b *testing.B) {
				rng := tensor.NewRNG(1)
				x, y := randSlice(rng, n*n), randSlice(rng, n*n)
				c := make([]float32, n*n)
				Use(name, func() {
					Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, c, n)
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, c, n)
					}
				})
				b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkSgemmBlocking compares cache blockings (mc/kc/nc) for the
// preferred SIMD kernel on 1024^3, on one thread and two; "auto" is
// blockingFor's choice.
func BenchmarkSgemmBlocking(b *testing.B) {
	name := Active().Name
	if name == "generic" {
		b.Skip("no SIMD implementation")
	}
	const n = 1024
	rng := tensor.NewRNG(1)
	x, y := randSlice(rng, n*n), randSlice(rng, n*n)
	c := make([]float32, n*n)
	for _, th := range []int{1, 2} {
		for _, bl := range []gemmBlocking{{}, {120, 256, 1024}, {120, 256, 512}, {240, 256, 512}, {120, 192, 640}, {96, 384, 320}, {240, 128, 1024}} {
			label := "auto"
			if bl.kc > 0 {
				label = fmt.Sprintf("mc=%d/kc=%d/nc=%d", bl.mc, bl.kc, bl.nc)
			}
			b.Run(fmt.Sprintf("threads=%d/%s", th, label), func(b *testing.B) {
				blockingOverride = bl
				defer func() { blockingOverride = gemmBlocking{} }()
				withThreads(th, func() {
					b.ReportAllocs()
					for b.Loop() {
						Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, c, n)
					}
				})
				b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestSgemmAllocs: call state (with its methods bound as func values once),
// scratch and Parallel's jobs are recycled, so a steady-state SIMD Sgemm
// allocates nothing, on one thread or two, whatever its path (several kc
// and nc blocks, B packed whole, A packed and read in place).
func TestSgemmAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	rng := tensor.NewRNG(2)
	for _, sh := range [][3]int{{200, 150, 300}, {300, 40, 700}, {64, 5000, 40}, {512, 64, 4608}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, b, c := randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
		for _, th := range []int{1, 2} {
			limit := 0.0
			withThreads(th, func() {
				forEachImpl(t, func(t *testing.T) {
					if strings.Contains(t.Name(), "impl=generic") {
						return // the reference's scratch is its own business
					}
					call := func() { Sgemm(false, false, m, n, k, 1, a, k, b, n, 0.5, c, n) }
					for range 10 { // free lists filled
						call()
					}
					if got := testing.AllocsPerRun(20, call); got > limit {
						t.Errorf("%s %dx%dx%d on %d threads: %.1f allocations per call, want <= %.0f", t.Name(), m, n, k, th, got, limit)
					}
				})
			})
		}
	}
}

// TestGemmBiasAndPackedB checks the driver's internal entry points on Go
// micro-kernels of odd tile sizes, on one thread and two: gemmSIMD with a
// bias (C starts as NaN: it must not be read) and gemmPackedBRows with B
// packed by packedBIndex, over several kc blocks, partial row tiles and
// partial column panels, against a float64 reference. (Conv2D's 1x1 and
// few-positions tests run the same paths on every SIMD kernel.)
func TestGemmBiasAndPackedB(t *testing.T) {
	rng := tensor.NewRNG(5)
	for _, mk := range []*microKernel{goMicroKernelOf(5, 8), goMicroKernelOf(3, 4)} {
		kc := blockingFor(mk).kc
		for _, sh := range [][3]int{{1, 1, 1}, {13, 35, 70}, {61, 20, 2*kc + 37}, {100, 130, 3}, {50, 17, kc}} {
			m, n, k := sh[0], sh[1], sh[2]
			a, b, bias := randSlice(rng, m*k), randSlice(rng, k*n), randSlice(rng, n)
			want, abs := make([]float64, m*n), make([]float64, m*n)
			wantB, absB := make([]float64, m*n), make([]float64, m*n)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					var s, sa float64
					for p := 0; p < k; p++ {
						s += float64(a[i*k+p]) * float64(b[p*n+j])
						sa += math.Abs(float64(a[i*k+p]) * float64(b[p*n+j]))
					}
					want[i*n+j], abs[i*n+j] = s, sa
					wantB[i*n+j], absB[i*n+j] = s+float64(bias[j]), sa+math.Abs(float64(bias[j]))
				}
			}
			pb := make([]float32, roundUp(n, mk.nr)*k)
			for i := range pb {
				pb[i] = float32(math.NaN())
			}
			for p := 0; p < k; p++ {
				for j := 0; j < roundUp(n, mk.nr); j++ {
					v := float32(0)
					if j < n {
						v = b[p*n+j]
					}
					pb[packedBIndex(kc, mk.nr, n, k, p, j)] = v
				}
			}
			for i, v := range pb {
				if math.IsNaN(float64(v)) {
					t.Fatalf("%s: packedBIndex leaves pb[%d] unset for k=%d n=%d", mk.name, i, k, n)
				}
			}
			for _, th := range []int{1, 2} {
				name := fmt.Sprintf("%s %dx%dx%d threads=%d", mk.name, m, n, k, th)
				withThreads(th, func() {
					gc := guarded(m*n, th)
					gemmSIMD(mk, false, false, m, n, k, 1, a, k, b, n, 0, bias, gc.s(), n)
					compareReduction(t, name+" bias", gc.s(), wantB, absB, k+1)
					gc.check(t, name+" bias")

					// Rows in two ranges (split at a tile and, on two
					// "threads", one row past it), C set (beta 0, from
					// NaN) and added to (beta 1).
					gp := guarded(m*n, th+1)
					cp := gp.s()
					for i := range cp {
						cp[i] = float32(math.NaN())
					}
					split := min(m, roundUp(m/2, mk.mr)+th-1)
					gemmPackedBRows(mk, m, n, k, 0, split, a, k, pb, 0, cp, n)
					gemmPackedBRows(mk, m, n, k, split, m, a, k, pb, 0, cp, n)
					compareReduction(t, name+" packed B", cp, want, abs, k+1)
					gemmPackedBRows(mk, m, n, k, split, m, a, k, pb, 1, cp, n)
					gemmPackedBRows(mk, m, n, k, 0, split, a, k, pb, 1, cp, n)
					twice, abs2 := make([]float64, m*n), make([]float64, m*n)
					for i := range twice {
						twice[i], abs2[i] = 2*want[i], 2*abs[i]
					}
					compareReduction(t, name+" packed B beta 1", cp, twice, abs2, k+1)
					gp.check(t, name+" packed B")
				})
			}
		}
	}
}

// TestConvGemmPaths runs Conv2D's 1x1 path (bias fused into the GEMM) and
// its few-positions path (patches gathered into packed B panels, here
// over several kc blocks and a partial panel) on every implementation,
// with and without bias, on one thread and two, against a float64
// reference.
func TestConvGemmPaths(t *testing.T) {
	std := func(n, h, w, c, k, r, st, pad int) ConvParams {
		return ConvParams{N: n, H: h, W: w, C: c, K: k, R: r, S: r, StrideH: st, StrideW: st, PadH: pad, PadW: pad, DilH: 1, DilW: 1}
	}
	cases := []ConvParams{
		std(1, 13, 11, 64, 128, 1, 1, 0), // 1x1, partial row tiles
		std(2, 5, 7, 9, 70, 1, 1, 0),     // 1x1, K not a multiple of 16 or 32
		std(2, 8, 8, 16, 1, 1, 1, 0),     // 1x1 to one channel (sSE)
		std(3, 1, 1, 64, 4, 1, 1, 0),     // and on 1x1 images (cSE)
		std(3, 1, 1, 4, 64, 1, 1, 0),
		std(1, 5, 5, 64, 160, 3, 1, 1), // few positions: 25 of them, R*S*C = 576
		std(2, 4, 3, 70, 200, 3, 1, 1), // 24 positions over 2 images, R*S*C = 630
		{N: 1, H: 6, W: 5, C: 33, K: 130, R: 3, S: 2, StrideH: 2, StrideW: 1, PadH: 1, PadW: 0, DilH: 1, DilW: 2},
	}
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(9)
		for i, p := range cases {
			x, w := randSlice(g, p.N*p.H*p.W*p.C), randSlice(g, p.K*p.C*p.R*p.S)
			for _, withBias := range []bool{false, true} {
				var bias []float32
				if withBias {
					bias = randSlice(g, p.K)
				}
				want, abs := refConv(x, w, bias, p)
				for _, th := range []int{1, 2} {
					y := guarded(p.N*p.OutH()*p.OutW()*p.K, (i+th)%4)
					withThreads(th, func() { Conv2D(y.s(), x, w, bias, p) })
					name := fmt.Sprintf("%v bias=%v threads=%d", p, withBias, th)
					compareReduction(t, name, y.s(), want, abs, p.C*p.R*p.S+1)
					y.check(t, name)
				}
			}
		}
	})
}

// TestGemmGrid checks how gemmGrid splits products between threads: as
// many parts as threads when the tiles allow, rows when B is the smaller
// operand or comes packed, columns when A is.
func TestGemmGrid(t *testing.T) {
	mk := &microKernel{name: "12x32", mr: 12, nr: 32}
	for _, tc := range []struct {
		threads, m, n int
		packedB       bool
		tr, tc        int
	}{
		{1, 1024, 1024, false, 1, 1},
		{2, 4096, 128, false, 2, 1}, // the 1x1 convolution: rows
		{2, 512, 64, true, 2, 1},    // the few-positions convolution: rows
		{2, 512, 64, false, 2, 1},
		{2, 5, 1300, false, 1, 2},    // one row tile: columns
		{2, 300, 20, false, 2, 1},    // one column panel: rows
		{2, 12, 32, false, 1, 1},     // one tile
		{4, 600, 2000, false, 1, 4},  // A smaller: columns
		{4, 1000, 1000, false, 2, 2}, // both
		{3, 7, 1000, false, 1, 3},
	} {
		tr, tcol := gemmGrid(tc.threads, mk, tc.m, tc.n, tc.packedB)
		if tr != tc.tr || tcol != tc.tc {
			t.Errorf("gemmGrid(%d threads, %dx%d, packedB=%v) = %dx%d, want %dx%d", tc.threads, tc.m, tc.n, tc.packedB, tr, tcol, tc.tr, tc.tc)
		}
	}
}

// BenchmarkSgemmLeading compares 1024^3 with power-of-two leading
// dimensions against padded ones (lda = ldb = ldc = 1024 + pad): rows of
// a tile 4 KiB apart fall into one L1 set.
func BenchmarkSgemmLeading(b *testing.B) {
	const n = 1024
	for _, th := range []int{1, 2} {
		for _, pad := range []int{0, 16} {
			ld := n + pad
			rng := tensor.NewRNG(1)
			x, y := randSlice(rng, n*ld), randSlice(rng, n*ld)
			c := make([]float32, n*ld)
			b.Run(fmt.Sprintf("threads=%d/ld=%d", th, ld), func(b *testing.B) {
				withThreads(th, func() {
					for b.Loop() {
						Sgemm(false, false, n, n, n, 1, x, ld, y, ld, 0, c, ld)
					}
				})
				b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
