package kernels

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// Winograd F(4x4,3x3): the transforms (assembly where built, and Go)
// against the plain matrix products in float64, and whole convolutions
// against the float64 direct sum.

var (
	winoBT = [6][6]float64{{4, 0, -5, 0, 1, 0}, {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
		{0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}}
	winoG = [6][3]float64{{1.0 / 4, 0, 0}, {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}}
	winoAT = [4][6]float64{{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}}

	winoBT2 = [][]float64{{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}}
	winoG2  = [][]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}
	winoAT2 = [][]float64{{1, 1, 1, 0}, {0, 1, -1, -1}}
)

// winoRef returns M x M^T for the m x q matrix M (rows of mat) applied to
// the q x q tile x (element (a, b) = get(a, b)), and the same with |.|.
func winoRef(mat [][]float64, get func(a, b int) float64) (out, abs [][]float64) {
	m, q := len(mat), len(mat[0])
	out, abs = make([][]float64, m), make([][]float64, m)
	for i := range m {
		out[i], abs[i] = make([]float64, m), make([]float64, m)
		for j := range m {
			for a := range q {
				for b := range q {
					t := mat[i][a] * get(a, b) * mat[j][b]
					out[i][j] += t
					abs[i][j] += math.Abs(t)
				}
			}
		}
	}
	return out, abs
}

func rowsOf6(m [6][6]float64) [][]float64 {
	r := make([][]float64, 6)
	for i := range m {
		r[i] = m[i][:]
	}
	return r
}

func rowsOf3(m [6][3]float64) [][]float64 {
	r := make([][]float64, 6)
	for i := range m {
		r[i] = m[i][:]
	}
	return r
}

// winoTransformSets are the transforms under test: Go, and the assembly
// (with its Go tail) where this build has it, for both tiles.
func winoTransformSets() map[string]*winoTransforms {
	s := map[string]*winoTransforms{"go4": &winoGo, "go2": &winoGo2}
	if winoSIMD != nil {
		s["simd4"], s["simd2"] = winoSIMD, winoSIMD2
	}
	if winoAVX512 != nil {
		s["avx512-4"], s["avx512-2"] = winoAVX512, winoAVX512x2
	}
	return s
}

func TestWinogradTransforms(t *testing.T) {
	for name, tr := range winoTransformSets() {
		bt, gm, at := rowsOf6(winoBT), rowsOf3(winoG), [][]float64{winoAT[0][:], winoAT[1][:], winoAT[2][:], winoAT[3][:]}
		if tr.m == 2 {
			bt, gm, at = winoBT2, winoG2, winoAT2
		}
		a, m := tr.m+2, tr.m
		ne := a * a
		g := tensor.NewRNG(3)
		for i, n := range []int{1, 7, 8, 9, 15, 16, 17, 24, 31, 33, 48, 64} {
			off := offsets[i%len(offsets)]
			// Input: an a x a window inside a wider row-major image.
			sb, sa := n+i%3, 9*(n+i%3)+1
			src := guardedFrom(randSlice(g, (a-1)*(sa+sb)+n), off)
			ds := n + 2*(i%2)
			dst := guarded((ne-1)*ds+n, (off+1)%4)
			fs := freeze("src", src.s())
			tr.in(dst.s(), ds, src.s(), sa, sb, n)
			dst.check(t, name+" input dst")
			fs.check(t)
			for c := 0; c < n; c++ {
				want, abs := winoRef(bt, func(p, q int) float64 { return float64(src.s()[p*sa+q*sb+c]) })
				for e := 0; e < ne; e++ {
					checkWinoElem(t, name+" input", dst.s()[e*ds+c], want[e/a][e%a], abs[e/a][e%a], n, c, e)
				}
			}
			// Weights: a 3x3 tap grid.
			wsrc := guardedFrom(randSlice(g, 2*sa+2*sb+n), off)
			wdst := guarded((ne-1)*ds+n, (off+2)%4)
			tr.wt(wdst.s(), ds, wsrc.s(), sa, sb, n)
			wdst.check(t, name+" weight dst")
			for c := 0; c < n; c++ {
				want, abs := winoRef(gm, func(p, q int) float64 { return float64(wsrc.s()[p*sa+q*sb+c]) })
				for e := 0; e < ne; e++ {
					checkWinoElem(t, name+" weight", wdst.s()[e*ds+c], want[e/a][e%a], abs[e/a][e%a], n, c, e)
				}
			}
			// Output: ne elements ds apart into an m x m window of rows da apart.
			msrc := randSlice(g, (ne-1)*ds+n)
			mcopy := append([]float32(nil), msrc...)
			bias := guardedFrom(randSlice(g, n), off)
			db, da := n+1, 7*(n+1)
			out := guarded((m-1)*(da+db)+n, (off+3)%4)
			for k := range out.s() {
				out.s()[k] = 42 // cells between the window's must stay
			}
			tr.out(out.s(), da, db, msrc, ds, bias.s(), n)
			out.check(t, name+" output dst")
			for c := 0; c < n; c++ {
				want, abs := winoRef(at, func(p, q int) float64 { return float64(mcopy[(p*a+q)*ds+c]) })
				for e := 0; e < m*m; e++ {
					bc := float64(bias.s()[c])
					checkWinoElem(t, name+" output", out.s()[e/m*da+e%m*db+c], want[e/m][e%m]+bc, abs[e/m][e%m]+math.Abs(bc), n, c, e)
				}
			}
			for k, v := range out.s() {
				i, j, c := k/da, k%da/db, k%da%db
				if (i >= m || j >= m || c >= n) && v != 42 {
					t.Fatalf("%s output n=%d: cell %d outside the tile written", name, n, k)
				}
			}
		}
	}
}

func checkWinoElem(t *testing.T, name string, got float32, want, abs float64, n, c, e int) {
	t.Helper()
	if d := math.Abs(float64(got) - want); !(d <= 16*eps32*abs+1e-30) {
		t.Fatalf("%s n=%d c=%d element %d: got %v, want %v (diff %.3g, abs %.3g)", name, n, c, e, got, want, d, abs)
	}
}

// goMicroKernel is a Go micro-kernel (4x8) for running winogradConv
// without assembly.
var goMicroKernel = &microKernel{name: "go-4x8", mr: 4, nr: 8,
	fn: func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
		for i := 0; i < 4; i++ {
			for j := 0; j < 8; j++ {
				s := c[i*ldc+j]
				for p := 0; p < k; p++ {
					s += a[i*lda+p] * b[p*ldb+j]
				}
				c[i*ldc+j] = s
			}
		}
	}}

// winoCases are 3x3 stride-1 shapes: tails (H, W not multiples of 4),
// padding 0-2, channels around the vector width, several images and
// tile blocks.
func winoCases() []ConvParams {
	std := func(n, h, w, c, k, pad int) ConvParams {
		return ConvParams{N: n, H: h, W: w, C: c, K: k, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: pad, PadW: pad, DilH: 1, DilW: 1}
	}
	return []ConvParams{
		std(1, 8, 8, 16, 16, 1),
		std(2, 7, 9, 17, 33, 1),
		std(1, 13, 11, 9, 8, 0),
		std(1, 5, 6, 24, 40, 2),
		std(3, 3, 3, 1, 3, 1),
		std(1, 30, 29, 32, 65, 1),
		std(2, 18, 17, 64, 31, 1),
		{N: 1, H: 10, W: 9, C: 8, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 0, PadW: 2, DilH: 1, DilW: 1},
		std(2, 6, 7, 136, 100, 1), // few tiles, many channels: convFew by default
	}
}

// winoTol is the tolerance of a Winograd result against the float64 sum
// of its terms: the transforms multiply the rounding of the products by
// the norms of their matrices (up to ~100 for F(4x4,3x3)), so the bound is
// the direct path's reductionTol times 64.
func winoTol(l int, abs float64) float64 { return 64 * reductionTol(l, abs) }

func compareWino(t *testing.T, name string, got []float32, want, abs []float64, l int) {
	t.Helper()
	bad := 0
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= winoTol(l, abs[i])) {
			if bad < 5 {
				t.Errorf("%s[%d] = %v, want %v (diff %.3g, tol %.3g)", name, i, got[i], want[i], d, winoTol(l, abs[i]))
			}
			bad++
		}
	}
}

func TestWinogradConv(t *testing.T) {
	g := tensor.NewRNG(11)
	// check runs every case through conv (forward) and convBD
	// (backward-data) and compares with the float64 sums.
	check := func(t *testing.T, name string, conv func(y, x, w, bias []float32, p ConvParams), convBD func(dx, dy, w []float32, p ConvParams)) {
		defer func(old int) { winoSchedule = old }(winoSchedule)
		for i, p := range winoCases() {
			off := offsets[i%len(offsets)]
			x := guardedFrom(randSlice(g, p.N*p.H*p.W*p.C), off)
			w := guardedFrom(randSlice(g, p.K*p.C*9), (off+1)%4)
			var bias []float32
			if i%2 == 0 {
				bias = randSlice(g, p.K)
			}
			fx, fw := freeze("x", x.s()), freeze("w", w.s())
			dy := guardedFrom(randSlice(g, p.N*p.OutH()*p.OutW()*p.K), off)
			fdy := freeze("dy", dy.s())
			want, abs := refConv(x.s(), w.s(), bias, p)
			wdx, adx, _, _, _, _ := refConvBackward(x.s(), w.s(), dy.s(), p)
			// Every schedule: tile blocks (run), few tiles (convFew),
			// panel split (runPanels).
			for _, sched := range []int{1, 2, 3} {
				winoSchedule = sched
				sn := fmt.Sprintf("%s schedule %d", name, sched)
				y := guarded(p.N*p.OutH()*p.OutW()*p.K, (off+2)%4)
				withThreads(1+(i+sched)%2, func() { conv(y.s(), x.s(), w.s(), bias, p) })
				y.check(t, sn+" y "+p.String())
				compareWino(t, sn+" forward "+p.String(), y.s(), want, abs, p.C*9)

				dx := guarded(len(x.s()), (off+3)%4)
				withThreads(2-(i+sched)%2, func() { convBD(dx.s(), dy.s(), w.s(), p) })
				dx.check(t, sn+" dx "+p.String())
				compareWino(t, sn+" backward-data "+p.String(), dx.s(), wdx, adx, p.K*9)
			}
			fx.check(t)
			fw.check(t)
			fdy.check(t)
		}
	}
	// Pure Go: a Go micro-kernel and the Go transforms.
	for _, tr := range []*winoTransforms{&winoGo, &winoGo2} {
		name := fmt.Sprintf("go/F%d", tr.m)
		t.Run(name, func(t *testing.T) {
			check(t, name, func(y, x, w, bias []float32, p ConvParams) {
				winogradConv(goMicroKernel, tr, y, x, w, bias, p.geom(), false)
			}, func(dx, dy, w []float32, p ConvParams) {
				winogradConv(goMicroKernel, tr, dx, dy, w, nil, winoBackwardGeom(p), true)
			})
		})
	}
	// Every implementation through its Conv2D dispatch, Winograd forced
	// for every shape it applies to, both tiles.
	defer func(old bool) { winoForce = old }(winoForce)
	defer SetWinograd(SetWinograd(true))
	defer SetWinogradTile(SetWinogradTile(2))
	winoForce = true
	for _, m := range []int{2, 4} {
		SetWinogradTile(m)
		forEachImpl(t, func(t *testing.T) {
			check(t, fmt.Sprintf("%s/F%d", Active().Name, m), Conv2D, Conv2DBackwardData)
		})
	}
}

// TestWinogradThreadsBitwise: thread counts and schedules do not change
// the result.
func TestWinogradThreadsBitwise(t *testing.T) {
	p := ConvParams{N: 2, H: 21, W: 34, C: 24, K: 40, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
	g := tensor.NewRNG(5)
	x, w := randSlice(g, p.N*p.H*p.W*p.C), randSlice(g, p.K*p.C*9)
	defer func(old bool) { winoForce = old }(winoForce)
	defer SetWinograd(SetWinograd(true))
	winoForce = true
	defer func(old int) { winoSchedule = old }(winoSchedule)
	forEachImpl(t, func(t *testing.T) {
		// Thread counts and schedules (tile blocks, few tiles, panel
		// split, automatic) give the same bits.
		y1 := make([]float32, p.N*p.OutH()*p.OutW()*p.K)
		winoSchedule = 1
		withThreads(1, func() { Conv2D(y1, x, w, nil, p) })
		for _, sched := range []int{1, 2, 3, 0} {
			winoSchedule = sched
			for _, th := range []int{1, 2, 3} {
				y2 := make([]float32, len(y1))
				withThreads(th, func() { Conv2D(y2, x, w, nil, p) })
				compareExact(t, fmt.Sprintf("schedule %d, %d threads vs schedule 1, 1 thread", sched, th), y2, y1)
			}
		}
	})
}

// winoBenchShapes are the 3x3 stride-1 shapes of issue #3 (C = K, H = W).
var winoBenchShapes = [][2]int{{64, 128}, {64, 64}, {128, 32}, {256, 16}, {512, 8}, {16, 256}, {32, 256}}

// BenchmarkWinograd compares, under the active implementation, Conv2D and
// Conv2DBackwardData with the direct path, F(2x2,3x3) and F(4x4,3x3)
// (forced where it applies) on 1 and 2 threads:
// go test ./kernels -run X -bench Winograd -count 5.
func BenchmarkWinograd(b *testing.B) {
	for _, op := range []string{"fwd", "bwd-data"} {
		for _, sh := range winoBenchShapes {
			c, hw := sh[0], sh[1]
			p := ConvParams{N: 1, H: hw, W: hw, C: c, K: c, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
			for _, th := range []int{1, 2} {
				for _, m := range []int{0, 2, 4} {
					name := fmt.Sprintf("%s/shape=%dx%d/threads=%d/wino=F%d", op, c, hw, th, m)
					b.Run(name, func(b *testing.B) {
						g := tensor.NewRNG(1)
						x, w, bias := randSlice(g, p.N*p.H*p.W*p.C), randSlice(g, p.K*p.C*9), randSlice(g, p.K)
						y := make([]float32, p.N*p.OutH()*p.OutW()*p.K)
						defer func(old bool) { winoForce = old }(winoForce)
						defer SetWinograd(SetWinograd(m > 0))
						defer SetWinogradTile(SetWinogradTile(max(m, 2)))
						winoForce = m > 0
						withThreads(th, func() {
							b.ReportAllocs()
							for b.Loop() {
								if op == "fwd" {
									Conv2D(y, x, w, bias, p)
								} else {
									Conv2DBackwardData(x, y, w, p)
								}
							}
						})
						reportGFLOPs(b, p.flops())
					})
				}
			}
		}
	}
}

// BenchmarkWinogradSchedule compares the two schedules of winogradConv,
// tile blocks (run) and few tiles (convFew), through Conv2D under the
// active implementation (Winograd forced, tile per shape) on 1 and 2
// threads: go test ./kernels -run X -bench WinogradSchedule -count 5.
func BenchmarkWinogradSchedule(b *testing.B) {
	for _, sh := range winoBenchShapes {
		c, hw := sh[0], sh[1]
		p := ConvParams{N: 1, H: hw, W: hw, C: c, K: c, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
		for _, th := range []int{1, 2} {
			for sched, name := range []string{1: "blocks", 2: "few", 3: "panels"} {
				if sched == 0 {
					continue
				}
				b.Run(fmt.Sprintf("shape=%dx%d/threads=%d/%s", c, hw, th, name), func(b *testing.B) {
					g := tensor.NewRNG(1)
					x, w, bias := randSlice(g, p.N*p.H*p.W*p.C), randSlice(g, p.K*p.C*9), randSlice(g, p.K)
					y := make([]float32, p.N*p.OutH()*p.OutW()*p.K)
					defer func(old bool) { winoForce = old }(winoForce)
					defer func(old int) { winoSchedule = old }(winoSchedule)
					defer SetWinograd(SetWinograd(true))
					defer SetWinogradTile(SetWinogradTile(0))
					winoForce, winoSchedule = true, sched
					withThreads(th, func() {
						b.ReportAllocs()
						for b.Loop() {
							Conv2D(y, x, w, bias, p)
						}
					})
					reportGFLOPs(b, p.flops())
				})
			}
		}
	}
}

// TestWinogradError measures, on the shapes of BenchmarkWinograd with
// He-initialised weights (std sqrt(2/(9C))) and unit normal inputs, the
// error of the direct path, F(2x2,3x3) and F(4x4,3x3) against the float64
// sum (every 5th output position): the largest and the RMS error, both
// relative to the RMS of the output. It logs them (go test -v -run
// WinogradError) and fails if F(2x2) errs more than 2x, or F(4x4) more than
// 16x, the direct path's RMS (or above 1e-5 and 1e-4 of the RMS output).
func TestWinogradError(t *testing.T) {
	if Active().Name == "generic" || winoSIMD == nil {
		t.Skip("no SIMD Winograd in this build")
	}
	defer func(old bool) { winoForce = old }(winoForce)
	defer SetWinograd(SetWinograd(true))
	defer SetWinogradTile(SetWinogradTile(2))
	winoForce = true
	for _, sh := range winoBenchShapes {
		c, hw := sh[0], sh[1]
		p := ConvParams{N: 1, H: hw, W: hw, C: c, K: c, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
		g := tensor.NewRNG(uint64(c))
		x, w := make([]float32, p.N*p.H*p.W*p.C), make([]float32, p.K*p.C*9)
		for i := range x {
			x[i] = g.Normal()
		}
		std := float32(math.Sqrt(2 / float64(9*c)))
		for i := range w {
			w[i] = std * g.Normal()
		}
		// The float64 reference at every 5th output position.
		ref := map[int][]float64{}
		var ss float64
		for pos := 0; pos < hw*hw; pos += 5 {
			oy, ox := pos/hw, pos%hw
			r := make([]float64, c)
			for k := range r {
				var s float64
				for ky := 0; ky < 3; ky++ {
					for kx := 0; kx < 3; kx++ {
						iy, ix := oy-1+ky, ox-1+kx
						if iy < 0 || iy >= hw || ix < 0 || ix >= hw {
							continue
						}
						xs := x[(iy*hw+ix)*c:][:c]
						for ci, v := range xs {
							s += float64(v) * float64(w[((k*c+ci)*3+ky)*3+kx])
						}
					}
				}
				r[k] = s
				ss += s * s
			}
			ref[pos] = r
		}
		rms := math.Sqrt(ss / float64(len(ref)*c))
		y := make([]float32, len(x))
		var rmsErr [3]float64
		for vi, m := range []int{0, 2, 4} {
			SetWinograd(m > 0)
			if m > 0 {
				SetWinogradTile(m)
			}
			Conv2D(y, x, w, nil, p)
			var maxE, se float64
			for pos, r := range ref {
				for k, v := range r {
					d := math.Abs(float64(y[pos*c+k]) - v)
					maxE = max(maxE, d)
					se += d * d
				}
			}
			rmsErr[vi] = math.Sqrt(se/float64(len(ref)*c)) / rms
			name := "direct"
			if m > 0 {
				name = fmt.Sprintf("F(%dx%d,3x3)", m, m)
			}
			t.Logf("%dx%d %-12s max %.2e  rms %.2e (relative to the RMS output %.3f)", c, hw, name, maxE/rms, rmsErr[vi], rms)
		}
		if rmsErr[1] > 2*rmsErr[0] || rmsErr[1] > 1e-5 {
			t.Errorf("%dx%d: F(2x2) RMS error %.2e against the direct path's %.2e", c, hw, rmsErr[1], rmsErr[0])
		}
		if rmsErr[2] > 16*rmsErr[0] || rmsErr[2] > 1e-4 {
			t.Errorf("%dx%d: F(4x4) RMS error %.2e against the direct path's %.2e", c, hw, rmsErr[2], rmsErr[0])
		}
	}
}

// goSetKernelOf returns goMicroKernelOf(mr, nr) with fnSet, and with a
// tail kernel of mrTail rows (both the Go loop that sets C and adds bias).
func goSetKernelOf(mr, nr, mrTail int) *microKernel {
	set := func(rows int) func(k int, a []float32, lda int, b []float32, ldb int, bias, c []float32, ldc int) {
		return func(k int, a []float32, lda int, b []float32, ldb int, bias, c []float32, ldc int) {
			for i := 0; i < rows; i++ {
				for j := 0; j < nr; j++ {
					var s float32
					for p := 0; p < k; p++ {
						s += a[i*lda+p] * b[p*ldb+j]
					}
					if len(bias) > 0 {
						s += bias[j]
					}
					c[i*ldc+j] = s
				}
			}
		}
	}
	mk := goMicroKernelOf(mr, nr)
	mk.name += "-set"
	mk.fnSet, mk.fnSetTail, mk.mrTail = set(mr), set(mrTail), mrTail
	return mk
}

// tailKernels are the micro-kernels with a tail kernel that TestWinoRows
// checks: a Go one, and the SIMD ones this CPU runs (added by
// architecture-specific test files).
var tailKernels = []*microKernel{goSetKernelOf(6, 8, 2)}

// TestWinoRows checks that winoRows with a tail kernel gives, for every
// row count up to mr, the bits of the full-tile kernel in the rows it
// computes, computes rows up to a multiple of mrTail only, and writes no
// other cell of c (NaN guards).
func TestWinoRows(t *testing.T) {
	nan := float32(math.NaN())
	g := tensor.NewRNG(9)
	for _, mk := range tailKernels {
		full := *mk
		full.fnSetTail, full.mrTail = nil, 0
		for _, k := range []int{1, 5, 64} {
			for _, np := range []int{1, 3} {
				for rows := 1; rows <= mk.mr; rows++ {
					lda, ldc := k+3, np*mk.nr+5
					a := randSlice(g, mk.mr*lda)
					clear(a[rows*lda:]) // rows past the last are zero, as in tileBlocks
					b := randSlice(g, np*k*mk.nr)
					got, want := make([]float32, mk.mr*ldc), make([]float32, mk.mr*ldc)
					for i := range got {
						got[i], want[i] = nan, nan
					}
					winoRows(mk, k, a, lda, rows, b, np, got, ldc)
					winoRows(&full, k, a, lda, rows, b, np, want, ldc)
					done := roundUp(rows, mk.mrTail)
					if rows == mk.mr {
						done = mk.mr
					}
					for i := range got {
						r, j := i/ldc, i%ldc
						name := fmt.Sprintf("%s k=%d np=%d rows=%d: c[%d][%d]", mk.name, k, np, rows, r, j)
						switch {
						case r < done && j < np*mk.nr:
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("%s = %v, want %v (full tile)", name, got[i], want[i])
							}
						case !math.IsNaN(float64(got[i])):
							t.Fatalf("%s = %v, written outside the rows computed", name, got[i])
						}
					}
				}
			}
		}
	}
}

// TestTransposeInto checks transposeInto, with winoTranspose8 where this build
// has it and without, against its loop, over row counts around the 8- and
// 4-row blocks and column counts around the 8-column tails, from an offset
// into src, with NaN guards in dst.
func TestTransposeInto(t *testing.T) {
	g := tensor.NewRNG(11)
	nan := float32(math.NaN())
	asmT := winoTranspose8
	defer func() { winoTranspose8 = asmT }()
	for _, tr := range []func(dst []float32, ldd int, src []float32, lds, q int){nil, asmT} {
		winoTranspose8 = tr
		for _, kn := range []int{1, 3, 4, 5, 7, 8, 9, 12, 13, 16, 32} {
			for _, q := range []int{1, 8, 9, 72, 77} {
				ldw, off, ldd := q+13, 5, kn+3
				w := randSlice(g, (kn-1)*ldw+off+q)
				dst := make([]float32, (q-1)*ldd+kn+4)
				for i := range dst {
					dst[i] = nan
				}
				want := slices.Clone(dst)
				for k := 0; k < kn; k++ {
					for i := 0; i < q; i++ {
						want[i*ldd+k] = w[k*ldw+off+i]
					}
				}
				transposeInto(dst, ldd, w[off:], ldw, kn, q)
				for i := range dst {
					if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
						t.Fatalf("asm %v kn=%d q=%d: dst[%d] = %v, want %v", tr != nil, kn, q, i, dst[i], want[i])
					}
				}
			}
		}
	}
}
