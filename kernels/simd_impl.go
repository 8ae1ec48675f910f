package kernels

// simdImpl is a SIMD implementation: a list of micro-kernels, the preferred
// one first, from which each call picks the one that wastes least on its
// column count.
type simdImpl struct {
	kernels []*microKernel
	// sumRows is sumRowsGeneric, with assembly column sums where the
	// architecture has them (the same bits).
	sumRows func(out, x []float32, m, c int)
}

// impl returns the registry entry for s.
func (s *simdImpl) impl(name string, available bool, priority int) *impl {
	im := &impl{
		Name:      name,
		Available: available,
		Priority:  priority,
		Sgemm:     s.sgemm,

		Conv2D:                s.conv2D,
		Conv2DBackwardData:    s.conv2DBackwardData,
		Conv2DBackwardWeights: s.conv2DBackwardWeights,
		Adam:                  adamSIMD(name),
	}
	fillStream(im)
	s.sumRows = sumRowsFor(name)
	return im
}

// pick returns the micro-kernel for a product with n columns: the first
// (preferred) one unless a later one has a narrower tile that n does not
// fill beyond (n <= its nr, as for 1..16 output channels on a 32-wide tile).
func (s *simdImpl) pick(n int) *microKernel {
	best := s.kernels[0]
	for _, mk := range s.kernels[1:] {
		if n <= mk.nr && mk.nr < best.nr {
			best = mk
		}
	}
	return best
}

func (s *simdImpl) sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmSIMD(s.pick(n), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
