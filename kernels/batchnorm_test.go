package kernels

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// Batch-norm kernels against float64 formulas; the training-mode gradient
// formula itself is checked against central differences of a float64
// forward pass.

var bnShapes = [][2]int{{1, 1}, {2, 3}, {7, 8}, {9, 15}, {100, 16}, {33, 17}, {5000, 33}, {64, 64}, {1000, 65}, {20000, 2}, {3, 24}, {300, 71}, {2100, 64}, {17, 520}}

// bnRef64 returns mean, biased variance and invstd of x [m, c] in float64.
func bnRef64(x []float32, m, c int, eps float64) (mu, v, is []float64) {
	mu, v, is = make([]float64, c), make([]float64, c), make([]float64, c)
	for i := 0; i < m; i++ {
		for j := 0; j < c; j++ {
			mu[j] += float64(x[i*c+j]) / float64(m)
		}
	}
	for i := 0; i < m; i++ {
		for j := 0; j < c; j++ {
			d := float64(x[i*c+j]) - mu[j]
			v[j] += d * d / float64(m)
		}
	}
	for j := range is {
		is[j] = 1 / math.Sqrt(v[j]+eps)
	}
	return
}

func TestBatchNormStats(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(20)
		for i, sh := range bnShapes {
			m, c := sh[0], sh[1]
			off := offsets[i%len(offsets)]
			xs := randSlice(g, m*c)
			for j := range xs {
				xs[j] = 1000 + 0.01*xs[j] // large mean, small spread
			}
			x := guardedFrom(xs, off)
			fx := freeze("x", x.s())
			mean, vr, is := guarded(c, 3-off), guarded(c, off), guarded(c, (off+1)%4)
			const eps = 1e-5
			BatchNormStats(mean.s(), vr.s(), is.s(), x.s(), m, c, eps)
			mean.check(t, "mean")
			vr.check(t, "variance")
			is.check(t, "invstd")
			fx.check(t)
			wm, wv, wi := bnRef64(x.s(), m, c, eps)
			// float64 two-pass: each result is the reference rounded once.
			for j := 0; j < c; j++ {
				for _, q := range []struct {
					name      string
					got, want float64
				}{{"mean", float64(mean.s()[j]), wm[j]}, {"var", float64(vr.s()[j]), wv[j]}, {"invstd", float64(is.s()[j]), wi[j]}} {
					if math.Abs(q.got-q.want) > 2*eps32*math.Abs(q.want)+1e-12 {
						t.Errorf("%dx%d %s[%d] = %v, want %v", m, c, q.name, j, q.got, q.want)
					}
				}
			}
		}
	})
}

func TestBatchNormApply(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(21)
		for i, sh := range bnShapes {
			m, c := sh[0], sh[1]
			off := offsets[i%len(offsets)]
			x := guardedFrom(randSlice(g, m*c), off)
			mean, is := randSlice(g, c), randSlice(g, c)
			for j := range is {
				is[j] = 0.5 + is[j]*is[j]
			}
			gamma, beta := randSlice(g, c), randSlice(g, c)
			for k, gb := range [][2][]float32{{gamma, beta}, {nil, beta}, {gamma, nil}, {nil, nil}} {
				fx := freeze("x", x.s())
				y := guarded(m*c, (off+k)%4)
				BatchNormApply(y.s(), x.s(), mean, is, gb[0], gb[1], m, c)
				y.check(t, "y")
				fx.check(t)
				want, abs := make([]float64, m*c), make([]float64, m*c)
				for r := 0; r < m; r++ {
					for j := 0; j < c; j++ {
						ga, be := 1.0, 0.0
						if gb[0] != nil {
							ga = float64(gb[0][j])
						}
						if gb[1] != nil {
							be = float64(gb[1][j])
						}
						xh := (float64(x.s()[r*c+j]) - float64(mean[j])) * float64(is[j])
						want[r*c+j] = xh*ga + be
						abs[r*c+j] = math.Abs(xh*ga) + math.Abs(be) + math.Abs(float64(mean[j])*float64(is[j])*ga)
					}
				}
				compareReduction(t, fmt.Sprintf("BatchNormApply %dx%d case %d", m, c, k), y.s(), want, abs, 4)
			}
			// In place.
			y := make([]float32, m*c)
			BatchNormApply(y, x.s(), mean, is, gamma, beta, m, c)
			xc := append([]float32(nil), x.s()...)
			BatchNormApply(xc, xc, mean, is, gamma, beta, m, c)
			compareExact(t, "BatchNormApply in place", xc, y)
		}
	})
}

// bnBackwardRef64 is the float64 gradient of L = sum dy*BN(x) in training
// mode (statistics of x) or eval mode (given mean/invstd).
func bnBackwardRef64(dy, x []float32, mu, is, gamma []float64, m, c int, training bool) (dx, dg, db, abs, dgAbs, dbAbs []float64) {
	dx, abs = make([]float64, m*c), make([]float64, m*c)
	dg, db = make([]float64, c), make([]float64, c)
	dgAbs, dbAbs = make([]float64, c), make([]float64, c)
	for j := 0; j < c; j++ {
		for i := 0; i < m; i++ {
			g := float64(dy[i*c+j])
			db[j] += g
			dbAbs[j] += math.Abs(g)
			dg[j] += g * (float64(x[i*c+j]) - mu[j]) * is[j]
			dgAbs[j] += math.Abs(g * (float64(x[i*c+j]) - mu[j]) * is[j])
		}
		for i := 0; i < m; i++ {
			g := float64(dy[i*c+j])
			xh := (float64(x[i*c+j]) - mu[j]) * is[j]
			if training {
				dx[i*c+j] = gamma[j] * is[j] * (g - db[j]/float64(m) - xh*dg[j]/float64(m))
				abs[i*c+j] = math.Abs(gamma[j]*is[j]) * (math.Abs(g) + math.Abs(db[j]/float64(m)) + math.Abs(xh*dg[j]/float64(m)))
			} else {
				dx[i*c+j] = gamma[j] * is[j] * g
				abs[i*c+j] = math.Abs(dx[i*c+j])
			}
		}
	}
	return
}

// TestBatchNormGradFormula checks bnBackwardRef64 (training mode) against
// central differences of the float64 forward pass, so the kernel test below
// compares against a verified formula.
func TestBatchNormGradFormula(t *testing.T) {
	const m, c, eps = 6, 3, 1e-5
	g := tensor.NewRNG(22)
	x, dy, gamma := randSlice(g, m*c), randSlice(g, m*c), randSlice(g, c)
	gam := make([]float64, c)
	for j := range gam {
		gam[j] = float64(gamma[j])
	}
	loss := func(x64 []float64) float64 {
		var l float64
		for j := 0; j < c; j++ {
			var mu, v float64
			for i := 0; i < m; i++ {
				mu += x64[i*c+j] / m
			}
			for i := 0; i < m; i++ {
				v += (x64[i*c+j] - mu) * (x64[i*c+j] - mu) / m
			}
			for i := 0; i < m; i++ {
				l += float64(dy[i*c+j]) * gam[j] * (x64[i*c+j] - mu) / math.Sqrt(v+eps)
			}
		}
		return l
	}
	mu, _, is := bnRef64(x, m, c, eps)
	dx, _, _, _, _, _ := bnBackwardRef64(dy, x, mu, is, gam, m, c, true)
	x64 := make([]float64, m*c)
	for i, v := range x {
		x64[i] = float64(v)
	}
	const h = 1e-6
	for i := range x64 {
		o := x64[i]
		x64[i] = o + h
		lp := loss(x64)
		x64[i] = o - h
		lm := loss(x64)
		x64[i] = o
		if fd := (lp - lm) / (2 * h); math.Abs(fd-dx[i]) > 1e-6*(1+math.Abs(fd)) {
			t.Errorf("dx[%d] = %v, finite difference %v", i, dx[i], fd)
		}
	}
}

func TestBatchNormBackward(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(23)
		for i, sh := range bnShapes {
			m, c := sh[0], sh[1]
			off := offsets[i%len(offsets)]
			x := guardedFrom(randSlice(g, m*c), off)
			dy := guardedFrom(randSlice(g, m*c), (off+1)%4)
			gamma := randSlice(g, c)
			for _, training := range []bool{true, false} {
				mean, vr, is := make([]float32, c), make([]float32, c), make([]float32, c)
				BatchNormStats(mean, vr, is, x.s(), m, c, 1e-5)
				if !training { // running statistics: anything
					for j := range mean {
						mean[j] += 0.1
						is[j] *= 0.9
					}
				}
				mu64, is64, gam64 := make([]float64, c), make([]float64, c), make([]float64, c)
				for j := range mu64 {
					mu64[j], is64[j], gam64[j] = float64(mean[j]), float64(is[j]), float64(gamma[j])
				}
				wdx, wdg, wdb, adx, adg, adb := bnBackwardRef64(dy.s(), x.s(), mu64, is64, gam64, m, c, training)
				fx, fdy := freeze("x", x.s()), freeze("dy", dy.s())
				dx, dg, db := guarded(m*c, 3-off), guarded(c, off), guarded(c, (off+2)%4)
				BatchNormBackward(dx.s(), dg.s(), db.s(), dy.s(), x.s(), mean, is, gamma, m, c, training)
				dx.check(t, "dx")
				dg.check(t, "dgamma")
				db.check(t, "dbeta")
				fx.check(t)
				fdy.check(t)
				name := fmt.Sprintf("%dx%d training=%v", m, c, training)
				compareReduction(t, "dx "+name, dx.s(), wdx, adx, 8)
				// float64 sums: within a few roundings of the sum of |terms|.
				compareReduction(t, "dbeta "+name, db.s(), wdb, adb, 1)
				compareReduction(t, "dgamma "+name, dg.s(), wdg, adg, 1)
				// nil gamma, dgamma, dbeta; dx aliasing dy.
				ones := make([]float32, c)
				for j := range ones {
					ones[j] = 1
				}
				want := make([]float32, m*c)
				BatchNormBackward(want, nil, nil, dy.s(), x.s(), mean, is, ones, m, c, training)
				got := append([]float32(nil), dy.s()...)
				BatchNormBackward(got, nil, nil, got, x.s(), mean, is, nil, m, c, training)
				compareExact(t, "nil gamma, in place "+name, got, want)
			}
		}
	})
}

// TestBatchNormMatchesGeneric checks every implementation against the
// generic reference on the same inputs: bit for bit on amd64 (the SIMD
// kernels round as the Go loops do), within a few roundings elsewhere (Go
// fuses multiply-adds on arm64), with one and three threads.
func TestBatchNormMatchesGeneric(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		g := tensor.NewRNG(24)
		for i, sh := range bnShapes {
			m, c := sh[0], sh[1]
			off := offsets[i%len(offsets)]
			xs := randSlice(g, m*c)
			for j := range xs {
				xs[j] = 3 + 2*xs[j]
			}
			x := guardedFrom(xs, off)
			dy := guardedFrom(randSlice(g, m*c), (off+1)%4)
			res := guardedFrom(randSlice(g, m*c), (off+2)%4)
			gamma, beta := randSlice(g, c), randSlice(g, c)
			fx, fdy, fres := freeze("x", x.s()), freeze("dy", dy.s()), freeze("res", res.s())
			for _, threads := range []int{1, 3} {
				withThreads(threads, func() {
					name := fmt.Sprintf("%dx%d threads=%d", m, c, threads)
					mean, vr, is := guarded(c, off), guarded(c, 3-off), guarded(c, (off+1)%4)
					BatchNormStats(mean.s(), vr.s(), is.s(), x.s(), m, c, 1e-5)
					mean.check(t, "mean")
					vr.check(t, "variance")
					is.check(t, "invstd")
					wm, wv, wi := make([]float32, c), make([]float32, c), make([]float32, c)
					batchNormStatsGeneric(wm, wv, wi, x.s(), m, c, 1e-5)
					closeToGeneric(t, "mean "+name, mean.s(), wm)
					closeToGeneric(t, "variance "+name, vr.s(), wv)
					closeToGeneric(t, "invstd "+name, is.s(), wi)

					for k, rs := range [][]float32{nil, res.s()} {
						y := guarded(m*c, (off+k)%4)
						BatchNormApplyReLU(y.s(), x.s(), rs, wm, wi, gamma, beta, m, c)
						y.check(t, "y")
						want := make([]float32, m*c)
						batchNormApplyGeneric(want, x.s(), rs, wm, wi, gamma, beta, m, c, true)
						closeToGeneric(t, fmt.Sprintf("BatchNormApplyReLU res=%v %s", rs != nil, name), y.s(), want)
						// in place over the residual
						if rs != nil {
							got := append([]float32(nil), rs...)
							BatchNormApplyReLU(got, x.s(), got, wm, wi, gamma, beta, m, c)
							compareExact(t, "BatchNormApplyReLU over res "+name, got, y.s())
						}
					}
					y := guarded(m*c, off)
					BatchNormApply(y.s(), x.s(), wm, wi, nil, beta, m, c)
					y.check(t, "y")
					want := make([]float32, m*c)
					batchNormApplyGeneric(want, x.s(), nil, wm, wi, nil, beta, m, c, false)
					closeToGeneric(t, "BatchNormApply "+name, y.s(), want)

					for _, training := range []bool{true, false} {
						dx, dg, db := guarded(m*c, 3-off), guarded(c, off), guarded(c, (off+2)%4)
						BatchNormBackward(dx.s(), dg.s(), db.s(), dy.s(), x.s(), wm, wi, gamma, m, c, training)
						dx.check(t, "dx")
						dg.check(t, "dgamma")
						db.check(t, "dbeta")
						wdx, wdg, wdb := make([]float32, m*c), make([]float32, c), make([]float32, c)
						batchNormBackwardGeneric(wdx, wdg, wdb, dy.s(), x.s(), wm, wi, gamma, m, c, training)
						tn := fmt.Sprintf("%s training=%v", name, training)
						closeToGeneric(t, "dx "+tn, dx.s(), wdx)
						closeToGeneric(t, "dgamma "+tn, dg.s(), wdg)
						closeToGeneric(t, "dbeta "+tn, db.s(), wdb)
					}
				})
			}
			fx.check(t)
			fdy.check(t)
			fres.check(t)
		}
	})
}

// closeToGeneric checks got against the generic kernel's want: bit for bit
// on amd64, else within 4 roundings of the larger magnitude of the pair's
// neighbourhood (want's largest |value| over its row scale).
func closeToGeneric(t *testing.T, name string, got, want []float32) {
	t.Helper()
	if runtime.GOARCH == "amd64" {
		compareExact(t, name, got, want)
		return
	}
	var scale float64
	for _, w := range want {
		scale = max(scale, math.Abs(float64(w)))
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= 4*eps32*(scale+1e-30)) &&
			!(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))) {
			t.Errorf("%s[%d] = %v, generic %v", name, i, got[i], want[i])
			return
		}
	}
}

func TestBatchNormPanics(t *testing.T) {
	x, s := make([]float32, 12), make([]float32, 3)
	mustPanic(t, "m=0", func() { BatchNormStats(s, s, s, nil, 0, 3, 1e-5) })
	mustPanic(t, "x", func() { BatchNormStats(s, s, s, x[:11], 4, 3, 1e-5) })
	mustPanic(t, "gamma", func() { BatchNormApply(x, x, s, s, x, nil, 4, 3) })
	mustPanic(t, "res", func() { BatchNormApplyReLU(x, x, x[:11], s, s, nil, nil, 4, 3) })
	mustPanic(t, "dgamma", func() { BatchNormBackward(x, x, nil, x, x, s, s, nil, 4, 3, true) })
}

// BenchmarkBatchNorm runs each pass with every implementation (generic
// included, as the baseline); SetBytes counts the bytes each pass reads
// and writes, so MB/s is its memory bandwidth.
func BenchmarkBatchNorm(b *testing.B) {
	const m, c = 128 * 128, 64 // one 64-channel 128x128 image
	g := tensor.NewRNG(1)
	x, dy, res := randSlice(g, m*c), randSlice(g, m*c), randSlice(g, m*c)
	y, dx := make([]float32, m*c), make([]float32, m*c)
	mean, vr, is, gamma, beta := make([]float32, c), make([]float32, c), make([]float32, c), randSlice(g, c), randSlice(g, c)
	dg, db := make([]float32, c), make([]float32, c)
	BatchNormStats(mean, vr, is, x, m, c, 1e-5)
	for _, name := range Available() {
		for _, bc := range []struct {
			name  string
			bytes int
			fn    func()
		}{
			{"Stats", 8 * m * c, func() { BatchNormStats(mean, vr, is, x, m, c, 1e-5) }},
			{"Apply", 8 * m * c, func() { BatchNormApply(y, x, mean, is, gamma, beta, m, c) }},
			{"ApplyReLURes", 12 * m * c, func() { BatchNormApplyReLU(y, x, res, mean, is, gamma, beta, m, c) }},
			{"Backward", 20 * m * c, func() { BatchNormBackward(dx, dg, db, dy, x, mean, is, gamma, m, c, true) }},
		} {
			b.Run(bc.name+"/impl="+name+"/shape=64x128x128", func(b *testing.B) {
				if err := Use(name, func() {
					b.ReportAllocs()
					b.SetBytes(int64(bc.bytes))
					for b.Loop() {
						bc.fn()
					}
				}); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

// TestSumRowsForMatchesGeneric: every implementation's column sums (the
// SIMD convolutions' bias gradients) give the generic sums' bits, on 1
// and 3 threads, with guards.
func TestSumRowsForMatchesGeneric(t *testing.T) {
	g := tensor.NewRNG(31)
	for _, name := range append(Available(), "no-such-impl") {
		sum := sumRowsFor(name)
		for i, sh := range bnShapes {
			m, c := sh[0], sh[1]
			x := guardedFrom(randSlice(g, m*c), offsets[i%len(offsets)])
			want := make([]float32, c)
			sumRowsGeneric(want, x.s(), m, c)
			for _, threads := range []int{1, 3} {
				out := guarded(c, i%4)
				withThreads(threads, func() { sum(out.s(), x.s(), m, c) })
				out.check(t, "out")
				compareExact(t, fmt.Sprintf("%s %dx%d threads=%d", name, m, c, threads), out.s(), want)
			}
		}
	}
}
