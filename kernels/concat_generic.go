package kernels

// Generic channel concatenation: rows split across the worker pool, one
// copy per part and row.

func concatChannelsGeneric(y []float32, xs [][]float32, m int, cs []int, total int) {
	Parallel(m, max(1, ewGrain/max(1, total)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			o := r * total
			for i, x := range xs {
				c := cs[i]
				copy(y[o:o+c], x[r*c:(r+1)*c])
				o += c
			}
		}
	})
}

func splitChannelsGeneric(dxs [][]float32, dy []float32, m int, cs []int, total int) {
	Parallel(m, max(1, ewGrain/max(1, total)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			o := r * total
			for i, dx := range dxs {
				c := cs[i]
				if dx != nil {
					copy(dx[r*c:(r+1)*c], dy[o:o+c])
				}
				o += c
			}
		}
	})
}
