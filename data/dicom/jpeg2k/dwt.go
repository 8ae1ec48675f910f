package jpeg2k

import (
	"runtime"
	"sync"
)

// Inverse discrete wavelet transform (T.800 Annex F): for each resolution
// level from the lowest, the rows and then the columns of the region of the
// next resolution are interleaved from their low- and high-pass halves
// (F.3.3, 2D_INTERLEAVE) and filtered by lifting (F.3.8) with symmetric
// extension (F.3.7) at both ends. Columns are filtered in strips of
// colStrip so the lifting runs along rows of a small buffer.

const colStrip = 16

// The 9/7 lifting constants (Table F.4) and the scaling OpenJPEG applies
// (K for the low-pass, 2/K for the high-pass, the factor 2 being the band
// gain OpenJPEG leaves out of the step size; its historical value of 2/K,
// 1.625732422, is kept so that decodes match OpenJPEG's bit for bit).
const (
	alpha97   = float32(-1.586134342)
	beta97    = float32(-0.052980118)
	gamma97   = float32(0.882911075)
	delta97   = float32(0.443506852)
	k97       = float32(1.230174105)
	twoInvK97 = float32(1.625732422)
)

// inverseDWT transforms one tile-component in place.
func (d *tileDecoder) inverseDWT(tc *tileComp) {
	nl := len(tc.res) - 1
	for r := 1; r <= nl; r++ {
		res := &tc.res[r]
		lo := &tc.res[r-1]
		rw, rh := res.x1-res.x0, res.y1-res.y0
		if rw == 0 || rh == 0 {
			continue
		}
		snx, sny := lo.x1-lo.x0, lo.y1-lo.y0
		casx, casy := res.x0&1, res.y0&1
		if tc.cs.reversible {
			d.idwt53(tc.buf, tc.w, rw, rh, snx, sny, casx, casy)
		} else {
			d.idwt97(f32(tc.buf), tc.w, rw, rh, snx, sny, casx, casy)
		}
	}
}

// idwt53 is one level of the reversible 5/3 inverse (F.3.8.1, equations
// F-5 and F-6) over the rw x rh region of buf (row stride w).
func (d *tileDecoder) idwt53(buf []int32, w, rw, rh, snx, sny, casx, casy int) {
	need := max(rw, rh*colStrip)
	d.parallel(rh, rw*rh, func(wk, y0, y1 int) {
		tmp := scratch(&d.dwtI[wk], need)
		for y := y0; y < y1; y++ {
			row := buf[y*w : y*w+rw]
			x := tmp[:rw]
			for i := 0; i < snx; i++ {
				x[2*i+casx] = row[i]
			}
			for i := 0; i < rw-snx; i++ {
				x[2*i+1-casx] = row[snx+i]
			}
			lift53Row(x, casx)
			copy(row, x)
		}
	})
	strips := (rw + colStrip - 1) / colStrip
	d.parallel(strips, rw*rh, func(wk, s0, s1 int) {
		tmp := scratch(&d.dwtI[wk], need)
		for x0 := s0 * colStrip; x0 < min(s1*colStrip, rw); x0 += colStrip {
			sw := min(colStrip, rw-x0)
			t := tmp[:rh*sw]
			for i := 0; i < rh; i++ {
				k := 2*i + casy
				if i >= sny {
					k = 2*(i-sny) + 1 - casy
				}
				copy(t[k*sw:k*sw+sw], buf[i*w+x0:i*w+x0+sw])
			}
			lift53(t, sw, casy)
			for k := 0; k < rh; k++ {
				copy(buf[k*w+x0:k*w+x0+sw], t[k*sw:k*sw+sw])
			}
		}
	})
}

// scratch returns (*b)[:n], growing it when needed.
func scratch[T any](b *[]T, n int) []T {
	if cap(*b) < n {
		*b = make([]T, n)
	}
	return (*b)[:n]
}

// minParallelSamples is the size of a level below which the transform
// stays on one goroutine.
const minParallelSamples = 1 << 16

// parallel calls fn(worker, lo, hi) over [0, n) split into contiguous
// ranges, one per worker, on up to GOMAXPROCS goroutines when the level
// has at least minParallelSamples samples; worker indexes the scratch.
func (d *tileDecoder) parallel(n, samples int, fn func(wk, lo, hi int)) {
	workers := 1
	if samples >= minParallelSamples {
		workers = max(1, min(runtime.GOMAXPROCS(0), n))
	}
	for len(d.dwtI) < workers {
		d.dwtI = append(d.dwtI, nil)
		d.dwtF = append(d.dwtF, nil)
	}
	if workers == 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for wk := range workers {
		lo, hi := n*wk/workers, n*(wk+1)/workers
		wg.Go(func() { fn(wk, lo, hi) })
	}
	wg.Wait()
}

// lift53 inverts the 5/3 lifting on n = len(x)/lanes interleaved samples,
// each sample being lanes values; x[k] is low-pass when k+cas is even.
func lift53(x []int32, lanes, cas int) {
	n := len(x) / lanes
	if n == 1 {
		if cas == 1 { // F.3.7: a lone odd sample is halved
			for j := range x {
				x[j] /= 2
			}
		}
		return
	}
	// F-5: even (low-pass) samples
	for k := cas; k < n; k += 2 {
		l, r := k-1, k+1
		if l < 0 {
			l = 1
		}
		if r >= n {
			r = n - 2
		}
		xk, xl, xr := x[k*lanes:k*lanes+lanes], x[l*lanes:l*lanes+lanes], x[r*lanes:r*lanes+lanes]
		for j := range xk {
			xk[j] -= (xl[j] + xr[j] + 2) >> 2
		}
	}
	// F-6: odd (high-pass) samples
	for k := 1 - cas; k < n; k += 2 {
		l, r := k-1, k+1
		if l < 0 {
			l = 1
		}
		if r >= n {
			r = n - 2
		}
		xk, xl, xr := x[k*lanes:k*lanes+lanes], x[l*lanes:l*lanes+lanes], x[r*lanes:r*lanes+lanes]
		for j := range xk {
			xk[j] += (xl[j] + xr[j]) >> 1
		}
	}
}

// lift53Row is lift53 with one lane: the same arithmetic, for the rows.
func lift53Row(x []int32, cas int) {
	n := len(x)
	if n == 1 {
		if cas == 1 {
			x[0] /= 2
		}
		return
	}
	// F-5 on the low-pass samples k = cas, cas+2, ...: the first may
	// mirror its left neighbour, the last its right one.
	k := cas
	if k == 0 {
		x[0] -= (x[1] + x[1] + 2) >> 2
		k = 2
	}
	for ; k+1 < n; k += 2 {
		x[k] -= (x[k-1] + x[k+1] + 2) >> 2
	}
	if k < n {
		x[k] -= (x[k-1] + x[k-1] + 2) >> 2
	}
	// F-6 on the high-pass samples k = 1-cas, ...
	k = 1 - cas
	if k == 0 {
		x[0] += (x[1] + x[1]) >> 1
		k = 2
	}
	for ; k+1 < n; k += 2 {
		x[k] += (x[k-1] + x[k+1]) >> 1
	}
	if k < n {
		x[k] += (x[k-1] + x[k-1]) >> 1
	}
}

// idwt97 is one level of the irreversible 9/7 inverse (F.3.8.2) in float32
// with OpenJPEG's order of operations, so results agree bit for bit.
func (d *tileDecoder) idwt97(buf []float32, w, rw, rh, snx, sny, casx, casy int) {
	need := max(rw, rh*colStrip)
	d.parallel(rh, rw*rh, func(wk, y0, y1 int) {
		tmp := scratch(&d.dwtF[wk], need)
		for y := y0; y < y1; y++ {
			row := buf[y*w : y*w+rw]
			x := tmp[:rw]
			for i := 0; i < snx; i++ {
				x[2*i+casx] = row[i]
			}
			for i := 0; i < rw-snx; i++ {
				x[2*i+1-casx] = row[snx+i]
			}
			lift97Row(x, casx)
			copy(row, x)
		}
	})
	strips := (rw + colStrip - 1) / colStrip
	d.parallel(strips, rw*rh, func(wk, s0, s1 int) {
		tmp := scratch(&d.dwtF[wk], need)
		for x0 := s0 * colStrip; x0 < min(s1*colStrip, rw); x0 += colStrip {
			sw := min(colStrip, rw-x0)
			t := tmp[:rh*sw]
			for i := 0; i < rh; i++ {
				k := 2*i + casy
				if i >= sny {
					k = 2*(i-sny) + 1 - casy
				}
				copy(t[k*sw:k*sw+sw], buf[i*w+x0:i*w+x0+sw])
			}
			lift97(t, sw, casy)
			for k := 0; k < rh; k++ {
				copy(buf[k*w+x0:k*w+x0+sw], t[k*sw:k*sw+sw])
			}
		}
	})
}

// lift97 inverts the 9/7 lifting (F.3.8.2, Table F.4) on interleaved
// samples of lanes values each; x[k] is low-pass when k+cas is even.
// A lone sample is left as it is (OpenJPEG's opj_v8dwt_decode; with its
// step sizes this equals F.3.7's halving of a lone odd sample).
func lift97(x []float32, lanes, cas int) {
	n := len(x) / lanes
	if n == 1 {
		return
	}
	scale97(x, lanes, n, cas, k97)
	scale97(x, lanes, n, 1-cas, twoInvK97)
	step97(x, lanes, n, cas, -delta97)
	step97(x, lanes, n, 1-cas, -gamma97)
	step97(x, lanes, n, cas, -beta97)
	step97(x, lanes, n, 1-cas, -alpha97)
}

// lift97Row is lift97 with one lane, for the rows.
func lift97Row(x []float32, cas int) {
	n := len(x)
	if n == 1 {
		return
	}
	for k := cas; k < n; k += 2 {
		x[k] *= k97
	}
	for k := 1 - cas; k < n; k += 2 {
		x[k] *= twoInvK97
	}
	step97Row(x, cas, -delta97)
	step97Row(x, 1-cas, -gamma97)
	step97Row(x, cas, -beta97)
	step97Row(x, 1-cas, -alpha97)
}

// step97Row is step97 with one lane.
func step97Row(x []float32, k int, c float32) {
	n := len(x)
	if k == 0 {
		x[0] += float32((x[1] + x[1]) * c)
		k = 2
	}
	for ; k+1 < n; k += 2 {
		x[k] += float32((x[k-1] + x[k+1]) * c)
	}
	if k < n {
		x[k] += float32((x[k-1] + x[k-1]) * c)
	}
}

func scale97(x []float32, lanes, n, start int, c float32) {
	for k := start; k < n; k += 2 {
		xk := x[k*lanes : k*lanes+lanes]
		for j := range xk {
			xk[j] *= c
		}
	}
}

// step97 is one lifting step: x[k] += (x[k-1] + x[k+1]) * c for every
// k = start, start+2, ..., mirrored at the ends. The explicit float32
// conversion keeps the product rounded on its own (no fused multiply-add),
// as in OpenJPEG.
func step97(x []float32, lanes, n, start int, c float32) {
	for k := start; k < n; k += 2 {
		l, r := k-1, k+1
		if l < 0 {
			l = 1
		}
		if r >= n {
			r = n - 2
		}
		xk, xl, xr := x[k*lanes:k*lanes+lanes], x[l*lanes:l*lanes+lanes], x[r*lanes:r*lanes+lanes]
		for j := range xk {
			xk[j] += float32((xl[j] + xr[j]) * c)
		}
	}
}
