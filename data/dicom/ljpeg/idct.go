package ljpeg

// This file is the inverse DCT (T.81 A.3.3) as IJG libjpeg computes it by
// default (jidctint.c, JDCT_ISLOW, the same in libjpeg 6b, libjpeg-turbo and
// GDCM's 8- and 12-bit builds of libjpeg): a separable 1-D IDCT in 13-bit
// fixed point (the LL&M algorithm), columns then rows, with PASS1_BITS of
// extra precision between the passes (2 for 8-bit samples, 1 for 12-bit),
// level shift (A.3.1) and clamping by a range-limit table. Products and sums
// are int64 (libjpeg's INT32/JLONG, a C long on LP64 systems); the
// workspace between the passes is a C int, so int32.

// libjpeg's FIX(x) = round(x * 2^13).
const (
	constBits = 13

	fix0_298631336 = 2446
	fix0_390180644 = 3196
	fix0_541196100 = 4433
	fix0_765366865 = 6270
	fix0_899976223 = 7373
	fix1_175875602 = 9633
	fix1_501321110 = 12299
	fix1_847759065 = 15137
	fix1_961570560 = 16069
	fix2_053119869 = 16819
	fix2_562915447 = 20995
	fix3_072711026 = 25172
)

// idctParams holds what depends on the sample precision P.
type idctParams struct {
	pass1 uint    // PASS1_BITS
	mask  int64   // RANGE_MASK = 4*2^P - 1
	limit []int32 // range-limit table, indexed by (x & mask)
}

var (
	idct8  = newIDCTParams(8, 2)
	idct12 = newIDCTParams(12, 1)
)

// newIDCTParams builds libjpeg's post-IDCT range-limit table for precision p
// (jdmaster.c prepare_range_limit_table, the part IDCT_range_limit points
// at): with N = 2^p, an IDCT output x maps through x & (4N-1) to x + N/2
// (the level shift) clamped to 0..N-1 for x in -2N..2N-1, and wraps
// outside that, as libjpeg's masked index does.
func newIDCTParams(p int, pass1 uint) *idctParams {
	n := 1 << p
	t := make([]int32, 4*n)
	for i := range t {
		switch {
		case i < n/2:
			t[i] = int32(i + n/2)
		case i < 2*n:
			t[i] = int32(n - 1)
		case i < 4*n-n/2:
			t[i] = 0
		default:
			t[i] = int32(i - (4*n - n/2))
		}
	}
	return &idctParams{pass1: pass1, mask: int64(4*n - 1), limit: t}
}

// dcOnly fills out with the value of a block whose AC coefficients are all
// zero: libjpeg's column and row shortcuts for such a block, which give the
// same value as the full computation.
func (p *idctParams) dcOnly(out *[64]int32, dc, q int32) {
	w := int64(int32(int64(dc) * int64(q) << p.pass1))
	v := p.limit[(w+1<<(p.pass1+2))>>(p.pass1+3)&p.mask]
	for i := range out {
		out[i] = v
	}
}

// islow dequantizes coef (natural order) with q, computes the inverse DCT
// and writes level-shifted, range-limited samples to out (row-major).
func (p *idctParams) islow(out *[64]int32, coef, q *[64]int32) {
	var ws [64]int32 // the C int workspace
	pass1 := p.pass1
	limit, mask := p.limit, p.mask
	// Pass 1: columns, from the input to the workspace; results are scaled
	// up by sqrt(8) and 2^pass1.
	for c := range 8 {
		if coef[8+c] == 0 && coef[16+c] == 0 && coef[24+c] == 0 && coef[32+c] == 0 &&
			coef[40+c] == 0 && coef[48+c] == 0 && coef[56+c] == 0 {
			dcval := int32(int64(coef[c]) * int64(q[c]) << pass1)
			for r := range 8 {
				ws[r*8+c] = dcval
			}
			continue
		}
		// Even part.
		z2 := int64(coef[16+c]) * int64(q[16+c])
		z3 := int64(coef[48+c]) * int64(q[48+c])
		z1 := (z2 + z3) * fix0_541196100
		tmp2 := z1 + z3*(-fix1_847759065)
		tmp3 := z1 + z2*fix0_765366865
		z2 = int64(coef[c]) * int64(q[c])
		z3 = int64(coef[32+c]) * int64(q[32+c])
		tmp0 := (z2 + z3) << constBits
		tmp1 := (z2 - z3) << constBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		// Odd part.
		o0, o1, o2, o3 := odd(
			int64(coef[56+c])*int64(q[56+c]),
			int64(coef[40+c])*int64(q[40+c]),
			int64(coef[24+c])*int64(q[24+c]),
			int64(coef[8+c])*int64(q[8+c]))
		sh := constBits - pass1
		rnd := int64(1) << (sh - 1)
		ws[0*8+c] = int32((tmp10 + o3 + rnd) >> sh)
		ws[7*8+c] = int32((tmp10 - o3 + rnd) >> sh)
		ws[1*8+c] = int32((tmp11 + o2 + rnd) >> sh)
		ws[6*8+c] = int32((tmp11 - o2 + rnd) >> sh)
		ws[2*8+c] = int32((tmp12 + o1 + rnd) >> sh)
		ws[5*8+c] = int32((tmp12 - o1 + rnd) >> sh)
		ws[3*8+c] = int32((tmp13 + o0 + rnd) >> sh)
		ws[4*8+c] = int32((tmp13 - o0 + rnd) >> sh)
	}
	// Pass 2: rows, from the workspace to the output; the final shift
	// removes the pass-1 scaling and the factor 8 of the 2-D transform.
	sh := constBits + pass1 + 3
	rnd := int64(1) << (sh - 1)
	for r := range 8 {
		w := ws[r*8 : r*8+8 : r*8+8]
		o := out[r*8 : r*8+8 : r*8+8]
		if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
			// libjpeg's zero-row shortcut; equal to the full formula.
			v := limit[(int64(w[0])+1<<(pass1+2))>>(pass1+3)&mask]
			for i := range o {
				o[i] = v
			}
			continue
		}
		z2, z3 := int64(w[2]), int64(w[6])
		z1 := (z2 + z3) * fix0_541196100
		tmp2 := z1 + z3*(-fix1_847759065)
		tmp3 := z1 + z2*fix0_765366865
		tmp0 := (int64(w[0]) + int64(w[4])) << constBits
		tmp1 := (int64(w[0]) - int64(w[4])) << constBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		o0, o1, o2, o3 := odd(int64(w[7]), int64(w[5]), int64(w[3]), int64(w[1]))
		o[0] = limit[(tmp10+o3+rnd)>>sh&mask]
		o[7] = limit[(tmp10-o3+rnd)>>sh&mask]
		o[1] = limit[(tmp11+o2+rnd)>>sh&mask]
		o[6] = limit[(tmp11-o2+rnd)>>sh&mask]
		o[2] = limit[(tmp12+o1+rnd)>>sh&mask]
		o[5] = limit[(tmp12-o1+rnd)>>sh&mask]
		o[3] = limit[(tmp13+o0+rnd)>>sh&mask]
		o[4] = limit[(tmp13-o0+rnd)>>sh&mask]
	}
}

// odd is the odd part of jidctint.c's 1-D IDCT; inputs (x7, x5, x3, x1),
// outputs the terms added to and subtracted from the even part for output
// pairs (3,4), (2,5), (1,6), (0,7).
func odd(tmp0, tmp1, tmp2, tmp3 int64) (int64, int64, int64, int64) {
	z1 := tmp0 + tmp3
	z2 := tmp1 + tmp2
	z3 := tmp0 + tmp2
	z4 := tmp1 + tmp3
	z5 := (z3 + z4) * fix1_175875602
	tmp0 *= fix0_298631336
	tmp1 *= fix2_053119869
	tmp2 *= fix3_072711026
	tmp3 *= fix1_501321110
	z1 *= -fix0_899976223
	z2 *= -fix2_562915447
	z3 *= -fix1_961570560
	z4 *= -fix0_390180644
	z3 += z5
	z4 += z5
	return tmp0 + z1 + z3, tmp1 + z2 + z4, tmp2 + z2 + z3, tmp3 + z1 + z4
}
