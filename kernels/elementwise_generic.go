package kernels

import "math"

// ewGrain is the smallest number of elements worth a thread for a
// streaming elementwise kernel.
const ewGrain = 1 << 15

// reduceBlock is the block length of the deterministic float64 reductions:
// each block is summed on its own, then the block sums are added in order,
// so results do not depend on the thread count.
const reduceBlock = 1 << 14

func reluGeneric(y, x []float32) {
	Parallel(len(x), ewGrain, func(lo, hi int) {
		xs, ys := x[lo:hi], y[lo:hi]
		ys = ys[:len(xs)]
		for i, v := range xs {
			ys[i] = max(v, 0) // NaN propagates; no branch to mispredict
		}
	})
}

// reluMask returns all ones if y > 0 (+Inf included), else 0 (zeros,
// negatives, NaNs), from y's bits without a branch: a compare that feeds
// a branch mispredicts on every other sign of random data.
func reluMask(y float32) uint32 {
	b := int64(int32(math.Float32bits(y))) // > 0 for +0 < y or positive NaNs
	pos := -b >> 63                        // all ones iff b > 0
	notNaN := (b - 0x7f800001) >> 63       // all ones iff b <= bits of +Inf
	return uint32(pos & notNaN)
}

func reluBackwardGeneric(dx, dy, y []float32) {
	Parallel(len(dy), ewGrain, func(lo, hi int) { reluBackwardRange(dx[lo:hi], dy[lo:hi], y[lo:hi]) })
}

// reluBackwardRange is reluBackwardGeneric on one range, without threads.
// It is a function of its own, not the closure's body: calls inside a
// closure of a function inlined into its caller (ReLUBackward) were left
// uninlined (math.Float32bits called per element, 4x slower).
func reluBackwardRange(dx, dy, y []float32) {
	y, dx = y[:len(dy)], dx[:len(dy)]
	for i, g := range dy {
		dx[i] = math.Float32frombits(math.Float32bits(g) & reluMask(y[i]))
	}
}

// sigmoid32 is the numerically stable logistic function: exp is only ever
// evaluated at a non-positive argument, so it cannot overflow.
func sigmoid32(v float32) float32 {
	if v >= 0 {
		return float32(1 / (1 + math.Exp(-float64(v))))
	}
	e := math.Exp(float64(v))
	return float32(e / (1 + e))
}

func sigmoidGeneric(y, x []float32) {
	Parallel(len(x), ewGrain/4, func(lo, hi int) {
		xs, ys := x[lo:hi], y[lo:hi]
		for i, v := range xs {
			ys[i] = sigmoid32(v)
		}
	})
}

func sigmoidBackwardGeneric(dx, dy, y []float32) {
	Parallel(len(dy), ewGrain, func(lo, hi int) {
		dys, ys, dxs := dy[lo:hi], y[lo:hi], dx[lo:hi]
		for i, g := range dys {
			s := ys[i]
			dxs[i] = g * s * (1 - s)
		}
	})
}

func addGeneric(y, a, b []float32) {
	Parallel(len(a), ewGrain, func(lo, hi int) {
		as, bs, ys := a[lo:hi], b[lo:hi], y[lo:hi]
		for i, v := range as {
			ys[i] = v + bs[i]
		}
	})
}

func mulGeneric(y, a, b []float32) {
	Parallel(len(a), ewGrain, func(lo, hi int) {
		as, bs, ys := a[lo:hi], b[lo:hi], y[lo:hi]
		for i, v := range as {
			ys[i] = v * bs[i]
		}
	})
}

func scaleGeneric(y []float32, alpha float32, x []float32) {
	Parallel(len(x), ewGrain, func(lo, hi int) {
		xs, ys := x[lo:hi], y[lo:hi]
		for i, v := range xs {
			ys[i] = alpha * v
		}
	})
}

func axpyGeneric(y []float32, alpha float32, x []float32) {
	Parallel(len(x), ewGrain, func(lo, hi int) {
		xs, ys := x[lo:hi], y[lo:hi]
		for i, v := range xs {
			ys[i] += alpha * v
		}
	})
}

// blockSums returns f applied to each reduceBlock-long block of [0, n),
// computed in parallel.
func blockSums(n int, f func(lo, hi int) float64) []float64 {
	nb := (n + reduceBlock - 1) / reduceBlock
	part := make([]float64, nb)
	Parallel(nb, 1, func(blo, bhi int) {
		for b := blo; b < bhi; b++ {
			part[b] = f(b*reduceBlock, min((b+1)*reduceBlock, n))
		}
	})
	return part
}

func sumGeneric(x []float32) float64 {
	var s float64
	for _, p := range blockSums(len(x), func(lo, hi int) float64 {
		var s float64
		for _, v := range x[lo:hi] {
			s += float64(v)
		}
		return s
	}) {
		s += p
	}
	return s
}

func dotGeneric(x, y []float32) float64 {
	var s float64
	for _, p := range blockSums(len(x), func(lo, hi int) float64 {
		var s float64
		ys := y[lo:hi]
		for i, v := range x[lo:hi] {
			s += float64(v) * float64(ys[i])
		}
		return s
	}) {
		s += p
	}
	return s
}

func addBiasGeneric(y, b []float32, m, c int) {
	if c == 0 {
		return
	}
	Parallel(m, max(1, ewGrain/c), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := y[i*c : i*c+c]
			for j, v := range b {
				row[j] += v
			}
		}
	})
}

// colSums64 adds, for each block of rows of x [M, C], the column sums of
// that block in float64 and returns them summed over the blocks in block
// order: out[j] = sum_i f(i, j) where f reads row i. The row blocks have a
// length fixed by m and c alone, so the result is thread-count independent.
// rowFn must add row i's contributions into acc (len c).
func colSums64(m, c int, rowFn func(acc []float64, i int)) []float64 {
	return colSums64Blocks(m, c, func(acc []float64, lo, hi int) {
		for i := lo; i < hi; i++ {
			rowFn(acc, i)
		}
	})
}

// colSums64Blocks is colSums64 with a function that adds the rows [lo, hi)
// of one block into acc (len c, zero at first) in row order; the blocks
// and their final sum in block order are colSums64's.
func colSums64Blocks(m, c int, blockFn func(acc []float64, lo, hi int)) []float64 {
	rows := max(1, reduceBlock/max(1, c))
	rows = max(rows, (m+63)/64) // at most 64 partial vectors
	nb := (m + rows - 1) / rows
	pb := getScratch64(nb * c)
	defer putScratch64(pb)
	part := (*pb)[:nb*c]
	Parallel(nb, 1, func(blo, bhi int) {
		for b := blo; b < bhi; b++ {
			blockFn(part[b*c:b*c+c], b*rows, min((b+1)*rows, m))
		}
	})
	out := make([]float64, c)
	for b := 0; b < nb; b++ {
		for j, v := range part[b*c : b*c+c] {
			out[j] += v
		}
	}
	return out
}

func sumRowsGeneric(out, x []float32, m, c int) {
	s := colSums64(m, c, func(acc []float64, i int) {
		for j, v := range x[i*c : i*c+c] {
			acc[j] += float64(v)
		}
	})
	for j, v := range s {
		out[j] = float32(v)
	}
}
