package kernels

// SgemmGeneric is the pure-Go reference for Sgemm (same contract, no
// argument checks). Each element of C is accumulated in float32 in k order
// onto beta*C, with alpha applied to A's element first (alpha*a*b per
// term), like a naive BLAS; the result therefore does not depend on the
// thread count or the blocking.
//
// Blocking, for speed without assembly: op(B) is packed once per call into
// panels of 4 columns ([k][4], zero-padded), each thread packs 4 rows of
// alpha*op(A) at a time ([k][4]), and a 4x4 register tile walks both panels
// contiguously. Row blocks of C are split across the worker pool.
func SgemmGeneric(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	scaleRows := func(i0, i1 int) {
		for i := i0; i < i1; i++ {
			crow := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(crow)
			} else if beta != 1 {
				for j := range crow {
					crow[j] *= beta
				}
			}
		}
	}
	if alpha == 0 || k == 0 {
		Parallel(m, max(1, 16384/n), scaleRows)
		return
	}
	// Pack op(B) into panels: bp[(jp*k+p)*4+jj] = op(B)[p, 4*jp+jj].
	np := (n + 3) / 4
	bpp := getScratch(np * k * 4)
	defer putScratch(bpp)
	bp := *bpp
	Parallel(np, max(1, 4096/k), func(lo, hi int) {
		for jp := lo; jp < hi; jp++ {
			panel := bp[jp*k*4 : (jp+1)*k*4]
			for jj := 0; jj < 4; jj++ {
				j := 4*jp + jj
				if j >= n {
					for p := 0; p < k; p++ {
						panel[p*4+jj] = 0
					}
					continue
				}
				if transB {
					for p, v := range b[j*ldb : j*ldb+k] {
						panel[p*4+jj] = v
					}
				} else {
					for p := 0; p < k; p++ {
						panel[p*4+jj] = b[p*ldb+j]
					}
				}
			}
		}
	})
	mb := (m + 3) / 4
	Parallel(mb, max(1, 16384/(4*n*k)), func(lo, hi int) {
		app := getScratch(k * 4)
		defer putScratch(app)
		ap := *app
		for ib := lo; ib < hi; ib++ {
			i0 := 4 * ib
			rows := min(4, m-i0)
			scaleRows(i0, i0+rows)
			for ii := 0; ii < 4; ii++ {
				if ii >= rows {
					for p := 0; p < k; p++ {
						ap[p*4+ii] = 0
					}
					continue
				}
				i := i0 + ii
				if transA {
					for p := 0; p < k; p++ {
						ap[p*4+ii] = alpha * a[p*lda+i]
					}
				} else {
					for p, v := range a[i*lda : i*lda+k] {
						ap[p*4+ii] = alpha * v
					}
				}
			}
			for jp := 0; jp < np; jp++ {
				j0 := 4 * jp
				cols := min(4, n-j0)
				var t [16]float32
				for ii := 0; ii < rows; ii++ {
					copy(t[ii*4:ii*4+cols], c[(i0+ii)*ldc+j0:(i0+ii)*ldc+j0+cols])
				}
				gemmTile4x4(&t, ap, bp[jp*k*4:(jp+1)*k*4])
				for ii := 0; ii < rows; ii++ {
					copy(c[(i0+ii)*ldc+j0:(i0+ii)*ldc+j0+cols], t[ii*4:ii*4+cols])
				}
			}
		}
	})
}

// gemmTile4x4 adds sum over p of ap[p][i]*bp[p][j] to t[i*4+j], in p order,
// for ap and bp of equal length 4*k, as two 2x4 register tiles (8
// accumulators, 2+4 operands: more would spill out of amd64's 15 usable
// float registers).
func gemmTile4x4(t *[16]float32, ap, bp []float32) {
	gemmTile2x4((*[8]float32)(t[0:8]), ap, bp, 0)
	gemmTile2x4((*[8]float32)(t[8:16]), ap, bp, 2)
}

// gemmTile2x4 adds sum over p of ap[p][r+i]*bp[p][j] to t[i*4+j] for
// i < 2, j < 4.
func gemmTile2x4(t *[8]float32, ap, bp []float32, r int) {
	c00, c01, c02, c03 := t[0], t[1], t[2], t[3]
	c10, c11, c12, c13 := t[4], t[5], t[6], t[7]
	bp = bp[:len(ap)]
	for p := 0; p+4 <= len(ap); p += 4 {
		b := bp[p : p+4 : p+4]
		a0, a1 := ap[p+r], ap[p+r+1]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
	}
	t[0], t[1], t[2], t[3] = c00, c01, c02, c03
	t[4], t[5], t[6], t[7] = c10, c11, c12, c13
}
