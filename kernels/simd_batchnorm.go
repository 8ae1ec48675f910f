//go:build gc && !purego && (amd64 || arm64)

package kernels

// The SIMD batch-norm and elementwise passes: the generic algorithms (the
// same row blocks, the same float64 sums in the same order) with assembly
// row kernels over the channels up to the last multiple of the vector
// width and Go loops over the rest. Each kernel call covers at most
// streamBlock elements, so goroutines return to Go often (assembly is not
// preemptible).

// streamBlock is the most elements one assembly call of a parallel
// elementwise pass handles.
const streamBlock = 1 << 16

// streamKernels are one architecture's row and flat kernels (package asm's
// ColSum64*, ColSqDev64*, ColGradSums64*, BNApplyRows*, BNGradRows*,
// ReLU*, ReLUBackward*, Add*) and the width their column counts must be a
// multiple of.
type streamKernels struct {
	lanes        int
	colSum       func(acc []float64, x []float32, rows, ld int)
	colSqDev     func(acc, mu []float64, x []float32, rows, ld int)
	colGradSums  func(s0, s1, mu []float64, dy, x []float32, rows, ld int)
	applyRows    func(y, x, res, mean, scale, shift []float32, rows, ld, flags int)
	gradRows     func(dx, dy, x, mean, a, b, d []float32, rows, ld int)
	relu         func(y, x []float32)
	reluBackward func(dx, dy, y []float32)
	add          func(y, a, b []float32)
}

// fillStream sets im's batch-norm and elementwise entries to the kernels
// of the implementation of the same name on this architecture, if it has
// them (simdImpl.impl calls it).
func fillStream(im *impl) {
	k := streamSIMD(im.Name)
	if k == nil {
		return
	}
	if im.BatchNormStats == nil {
		im.BatchNormStats = k.batchNormStats
	}
	if im.BatchNormApply == nil {
		im.BatchNormApply = k.batchNormApply
	}
	if im.BatchNormBackward == nil {
		im.BatchNormBackward = k.batchNormBackward
	}
	if im.ReLU == nil {
		im.ReLU = k.reluFlat
	}
	if im.ReLUBackward == nil {
		im.ReLUBackward = k.reluBackwardFlat
	}
	if im.Add == nil {
		im.Add = k.addFlat
	}
}

// sumRowsFor returns SumRows' sums for the implementation of the given
// name: with its assembly column sums if it has them.
func sumRowsFor(name string) func(out, x []float32, m, c int) {
	if k := streamSIMD(name); k != nil {
		return k.sumRows
	}
	return sumRowsGeneric
}

// sumRows is sumRowsGeneric (the same row blocks, each column summed in
// float64 in the same order: the same bits) with the column sums in
// assembly: a convolution's bias gradient, 4% of 3x3 64->64 @128x128
// forward and backward on one thread in Go.
func (k *streamKernels) sumRows(out, x []float32, m, c int) {
	for j, v := range k.colSums(x, m, c) {
		out[j] = float32(v)
	}
}

// colSums returns the float64 column sums of x [m, c] in the row blocks
// and order of colSums64Blocks (the bits of sumRowsGeneric's sums).
func (k *streamKernels) colSums(x []float32, m, c int) []float64 {
	cv := k.vecCols(c)
	return colSums64Blocks(m, c, func(acc []float64, lo, hi int) {
		if cv > 0 {
			k.colSum(acc[:cv], x[lo*c:hi*c], hi-lo, c)
		}
		for i := lo; i < hi && cv < c; i++ {
			for j, v := range x[i*c+cv : i*c+c] {
				acc[cv+j] += float64(v)
			}
		}
	})
}

// vecCols returns the channels of c the row kernels take: the largest
// multiple of the width.
func (k *streamKernels) vecCols(c int) int { return c - c%k.lanes }

func (k *streamKernels) batchNormStats(mean, variance, invstd, x []float32, m, c int, eps float32) {
	cv := k.vecCols(c)
	s := k.colSums(x, m, c)
	mu := make([]float64, c)
	for j := range mu {
		mu[j] = s[j] / float64(m)
	}
	q := colSums64Blocks(m, c, func(acc []float64, lo, hi int) {
		if cv > 0 {
			k.colSqDev(acc[:cv], mu[:cv], x[lo*c:hi*c], hi-lo, c)
		}
		for i := lo; i < hi && cv < c; i++ {
			for j, v := range x[i*c+cv : i*c+c] {
				d := float64(v) - mu[cv+j]
				acc[cv+j] += d * d
			}
		}
	})
	bnStatsFinish(mean, variance, invstd, mu, q, m, eps)
}

// rowBlocks calls fn on the row ranges of [lo, hi) of at most streamBlock
// elements (and at least one row) of an [M, c] matrix.
func rowBlocks(lo, hi, c int, fn func(lo, hi int)) {
	step := max(1, streamBlock/c)
	for ; lo < hi; lo += step {
		fn(lo, min(lo+step, hi))
	}
}

func (k *streamKernels) batchNormApply(y, x, res, mean, invstd, gamma, beta []float32, m, c int, relu bool) {
	scale, shift := bnScaleShift(invstd, gamma, beta)
	cv := k.vecCols(c)
	flags := 0
	if res != nil {
		flags |= bnResidual
	}
	if relu {
		flags |= bnReLU
	}
	Parallel(m, max(1, ewGrain/c), func(lo, hi int) {
		rowBlocks(lo, hi, c, func(lo, hi int) {
			var rs []float32
			if res != nil {
				rs = res[lo*c : hi*c]
			}
			if cv > 0 {
				k.applyRows(y[lo*c:hi*c], x[lo*c:hi*c], rs, mean[:cv], scale[:cv], shift[:cv], hi-lo, c, flags)
			}
			for i := lo; i < hi && cv < c; i++ {
				var rt []float32
				if res != nil {
					rt = res[i*c+cv : i*c+c]
				}
				bnApplyRow(y[i*c+cv:i*c+c], x[i*c+cv:i*c+c], rt, mean[cv:], scale[cv:], shift[cv:], relu)
			}
		})
	})
}

func (k *streamKernels) batchNormBackward(dx, dgamma, dbeta, dy, x, mean, invstd, gamma []float32, m, c int, training bool) {
	cv := k.vecCols(c)
	mu := make([]float64, c)
	for j, v := range mean {
		mu[j] = float64(v)
	}
	// sums[j] = sum dy, sums[c+j] = sum dy*(x-mean), as the generic adds them.
	sums := colSums64Blocks(m, 2*c, func(acc []float64, lo, hi int) {
		s0, s1 := acc[:c], acc[c:2*c]
		if cv > 0 {
			k.colGradSums(s0[:cv], s1[:cv], mu[:cv], dy[lo*c:hi*c], x[lo*c:hi*c], hi-lo, c)
		}
		for i := lo; i < hi && cv < c; i++ {
			xs := x[i*c+cv : i*c+c]
			for j, g := range dy[i*c+cv : i*c+c] {
				s0[cv+j] += float64(g)
				s1[cv+j] += float64(g) * (float64(xs[j]) - mu[cv+j])
			}
		}
	})
	a, b, d := bnGradCoefs(dgamma, dbeta, sums, invstd, gamma, m, c, training)
	Parallel(m, max(1, ewGrain/c), func(lo, hi int) {
		rowBlocks(lo, hi, c, func(lo, hi int) {
			if cv > 0 {
				k.gradRows(dx[lo*c:hi*c], dy[lo*c:hi*c], x[lo*c:hi*c], mean[:cv], a[:cv], b[:cv], d[:cv], hi-lo, c)
			}
			for i := lo; i < hi && cv < c; i++ {
				xs, ds := x[i*c+cv:i*c+c], dx[i*c+cv:i*c+c]
				for j, g := range dy[i*c+cv : i*c+c] {
					ds[j] = a[cv+j]*g + b[cv+j]*(xs[j]-mean[cv+j]) + d[cv+j]
				}
			}
		})
	})
}

// flatBlocks calls fn on [lo, hi) in pieces of at most streamBlock
// elements, each split at its last multiple of the width: fn(lo, v, e)
// hands [lo, v) to the assembly and [v, e) to a Go loop.
func (k *streamKernels) flatBlocks(lo, hi int, fn func(lo, v, e int)) {
	for ; lo < hi; lo += streamBlock {
		e := min(lo+streamBlock, hi)
		fn(lo, e-(e-lo)%k.lanes, e)
	}
}

func (k *streamKernels) reluFlat(y, x []float32) {
	Parallel(len(x), ewGrain, func(lo, hi int) {
		k.flatBlocks(lo, hi, func(lo, v, e int) {
			k.relu(y[lo:v], x[lo:v])
			for i := v; i < e; i++ {
				y[i] = max(x[i], 0)
			}
		})
	})
}

func (k *streamKernels) reluBackwardFlat(dx, dy, y []float32) {
	Parallel(len(dy), ewGrain, func(lo, hi int) {
		k.flatBlocks(lo, hi, func(lo, v, e int) {
			k.reluBackward(dx[lo:v], dy[lo:v], y[lo:v])
			for i := v; i < e; i++ {
				g := dy[i]
				if !(y[i] > 0) {
					g = 0
				}
				dx[i] = g
			}
		})
	})
}

func (k *streamKernels) addFlat(y, a, b []float32) {
	Parallel(len(a), ewGrain, func(lo, hi int) {
		k.flatBlocks(lo, hi, func(lo, v, e int) {
			k.add(y[lo:v], a[lo:v], b[lo:v])
			for i := v; i < e; i++ {
				y[i] = a[i] + b[i]
			}
		})
	})
}
