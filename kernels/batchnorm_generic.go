package kernels

import "math"

// Generic batch normalisation: the per-channel sums go through colSums64
// (float64, row blocks of a fixed size, thread-count independent); the
// elementwise passes are split over rows.

func batchNormStatsGeneric(mean, variance, invstd, x []float32, m, c int, eps float32) {
	s := colSums64(m, c, func(acc []float64, i int) {
		xs := x[i*c : i*c+c]
		acc = acc[:len(xs)] // bounds-check elimination in the loop
		for j, v := range xs {
			acc[j] += float64(v)
		}
	})
	mu := make([]float64, c)
	for j := range mu {
		mu[j] = s[j] / float64(m)
	}
	q := colSums64(m, c, func(acc []float64, i int) {
		xs := x[i*c : i*c+c]
		acc, mu := acc[:len(xs)], mu[:len(xs)]
		for j, v := range xs {
			d := float64(v) - mu[j]
			acc[j] += d * d
		}
	})
	bnStatsFinish(mean, variance, invstd, mu, q, m, eps)
}

// bnStatsFinish writes mean = mu, variance = q/m and invstd =
// 1/sqrt(variance + eps), rounding float64 results once.
func bnStatsFinish(mean, variance, invstd []float32, mu, q []float64, m int, eps float32) {
	for j := range mu {
		v := q[j] / float64(m)
		mean[j] = float32(mu[j])
		variance[j] = float32(v)
		invstd[j] = float32(1 / math.Sqrt(v+float64(eps)))
	}
}

// bnScaleShift returns invstd*gamma and beta per channel (nil gamma and
// beta are 1 and 0).
func bnScaleShift(invstd, gamma, beta []float32) (scale, shift []float32) {
	scale, shift = make([]float32, len(invstd)), make([]float32, len(invstd))
	for j := range scale {
		scale[j] = invstd[j]
		if gamma != nil {
			scale[j] *= gamma[j]
		}
		if beta != nil {
			shift[j] = beta[j]
		}
	}
	return scale, shift
}

func batchNormApplyGeneric(y, x, res, mean, invstd, gamma, beta []float32, m, c int, relu bool) {
	scale, shift := bnScaleShift(invstd, gamma, beta)
	Parallel(m, max(1, ewGrain/c), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			xs, ys := x[i*c:i*c+c], y[i*c:i*c+c]
			mean, scale, shift := mean[:len(xs)], scale[:len(xs)], shift[:len(xs)]
			var rs []float32
			if res != nil {
				rs = res[i*c : i*c+c]
			}
			bnApplyRow(ys, xs, rs, mean, scale, shift, relu)
		}
	})
}

// bnApplyRow is one row of batchNormApplyGeneric: ys = (xs - mean)*scale +
// shift (+ rs unless nil) (ReLU'd if relu), all of one length.
func bnApplyRow(ys, xs, rs, mean, scale, shift []float32, relu bool) {
	ys, mean, scale, shift = ys[:len(xs)], mean[:len(xs)], scale[:len(xs)], shift[:len(xs)]
	switch {
	case rs == nil && !relu:
		for j, v := range xs {
			ys[j] = (v-mean[j])*scale[j] + shift[j]
		}
	case rs == nil:
		for j, v := range xs {
			ys[j] = max((v-mean[j])*scale[j]+shift[j], 0)
		}
	default:
		rs = rs[:len(xs)]
		for j, v := range xs {
			z := (v-mean[j])*scale[j] + shift[j]
			z += rs[j]
			if relu {
				z = max(z, 0)
			}
			ys[j] = z
		}
	}
}

func batchNormBackwardGeneric(dx, dgamma, dbeta, dy, x, mean, invstd, gamma []float32, m, c int, training bool) {
	// sums[j] = sum dy, sums[c+j] = sum dy*(x-mean).
	sums := colSums64(m, 2*c, func(acc []float64, i int) {
		xs, gs := x[i*c:i*c+c], dy[i*c:i*c+c]
		s0, s1 := acc[:c], acc[c:2*c]
		xs, mean, s0, s1 := xs[:len(gs)], mean[:len(gs)], s0[:len(gs)], s1[:len(gs)]
		for j, g := range gs {
			s0[j] += float64(g)
			s1[j] += float64(g) * (float64(xs[j]) - float64(mean[j]))
		}
	})
	a, b, d := bnGradCoefs(dgamma, dbeta, sums, invstd, gamma, m, c, training)
	Parallel(m, max(1, ewGrain/c), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			xs, gs, ds := x[i*c:i*c+c], dy[i*c:i*c+c], dx[i*c:i*c+c]
			xs, ds, mean, a, b, d := xs[:len(gs)], ds[:len(gs)], mean[:len(gs)], a[:len(gs)], b[:len(gs)], d[:len(gs)]
			for j, g := range gs {
				ds[j] = a[j]*g + b[j]*(xs[j]-mean[j]) + d[j]
			}
		}
	})
}

// bnGradCoefs writes dbeta = sums[:c] and dgamma = sums[c:]*invstd (each
// if non-nil) and returns the per-channel a, b, d of dx = a*dy +
// b*(x-mean) + d, from the float64 sums of dy and dy*(x-mean).
func bnGradCoefs(dgamma, dbeta []float32, sums []float64, invstd, gamma []float32, m, c int, training bool) (a, b, d []float32) {
	a, b, d = make([]float32, c), make([]float32, c), make([]float32, c)
	for j := 0; j < c; j++ {
		is := float64(invstd[j])
		g := 1.0
		if gamma != nil {
			g = float64(gamma[j])
		}
		if dbeta != nil {
			dbeta[j] = float32(sums[j])
		}
		if dgamma != nil {
			dgamma[j] = float32(sums[c+j] * is)
		}
		a[j] = float32(g * is)
		if training {
			b[j] = float32(-g * is * is * is * sums[c+j] / float64(m))
			d[j] = float32(-g * is * sums[j] / float64(m))
		}
	}
	return a, b, d
}
