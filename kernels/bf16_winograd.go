package kernels

import (
	"unsafe"

	"github.com/lungo-ml/lungo/tensor"
)

// bf16 Winograd F(2x2,3x3) for 3x3 stride-1 convolutions (see winograd.go
// for the float32 one): each 2x2 block of outputs (a tile) is
// AT [sum over c of U[k,c] .* V[c]] A with V = BT d B the transform of the
// tile's 4x4 input window d and U = G g GT that of the weights, so the 16
// elements of the transformed tiles are 16 independent products
//
//	M_e [tiles, K] = V_e [tiles, Cp] x U_e [Cp, K],   e < 16,
//
// 16 multiplications per 4 outputs where the direct convolution takes 36:
// 2.25x fewer. The weights are transformed once, when packed (float64,
// rounded to bf16 once). Per block of tiles the input transform reads the
// bf16 activations as float32 (exact), transforms them (sums of four
// values with signs: exact to float32 rounding) and rounds V to bf16; the
// products run on VDPBF16PS with float32 sums into M, which the output
// transform (float32) turns into y with the bias, residual and ReLU fused,
// rounded to bf16 once. F(2x2) rather than F(4x4): F(4x4)'s transforms
// scale values by up to 10x per dimension, and rounding V and U to bf16
// then costs far more than bf16 rounding of the direct convolution's
// operands does.
//
// Each output is computed from its own tile's products, summed over all
// channels in one order, so the result does not depend on the blocking or
// the thread count.

// bf16WinoKernel is the contract of asm.WinoBF16AVX512BF16 for one tile
// shape.
type bf16WinoKernel func(a []uint16, lda, kp int, b []uint16, np, rt int, c []float32, ldc int)

// bf16WinoImpl is an implementation of the bf16 Winograd kernels.
type bf16WinoImpl struct {
	gemm [2][3]bf16WinoKernel // [nr 32, 16][mr 12, 8, 4]
	in   func(dst []uint16, ds, dt int, src []uint16, sa, sb, n, nt int)
	out  func(dst []uint16, da, db int, src []float32, ss, st int, bias []float32, res []uint16, ra, rb int, floor float32, rows, cols, n, nt int)
}

// bf16WinoGeneric is the pure-Go reference of the Winograd kernels.
var bf16WinoGeneric = bf16WinoImpl{gemm: bf16WinoKernels(winoBF16GemmGo), in: winoBF16In2Go, out: winoBF16Out2Go}

// bf16WinoKernels returns the product kernel table of a function of the
// tile shape.
func bf16WinoKernels(f func(mr, nr int, a []uint16, lda, kp int, b []uint16, np, rt int, c []float32, ldc int)) [2][3]bf16WinoKernel {
	var t [2][3]bf16WinoKernel
	for ni, nr := range [2]int{32, 16} {
		for mi, mr := range bf16Rows {
			t[ni][mi] = func(a []uint16, lda, kp int, b []uint16, np, rt int, c []float32, ldc int) {
				f(mr, nr, a, lda, kp, b, np, rt, c, ldc)
			}
		}
	}
	return t
}

// winoBF16GemmGo is asm.WinoBF16AVX512BF16 in Go (see its doc), in the
// same order of operations.
func winoBF16GemmGo(mr, nr int, a []uint16, lda, kp int, b []uint16, np, rt int, c []float32, ldc int) {
	for i := 0; i < rt*mr; i++ {
		ar := a[i*lda:]
		for jp := 0; jp < np; jp++ {
			cr := c[i*ldc+jp*nr : i*ldc+(jp+1)*nr]
			for j := range cr {
				var s float32
				for p := 0; p < kp; p++ {
					bi := ((jp*kp+p)*nr + j) * 2
					s = dpbf16(s, ar[2*p], ar[2*p+1], b[bi], b[bi+1])
				}
				cr[j] = s
			}
		}
	}
}

// winoBF16In2Go is asm.WinoIn2x2BF16AVX512BF16 in Go (see its doc).
func winoBF16In2Go(dst []uint16, ds, dt int, src []uint16, sa, sb, n, nt int) {
	var t [4][4]float32
	for tt := 0; tt < nt; tt++ {
		for c := 0; c < n; c++ {
			for j := 0; j < 4; j++ {
				e := src[2*tt*sb+j*sb+c:]
				d0, d1, d2, d3 := BF16ToF32(e[0]), BF16ToF32(e[sa]), BF16ToF32(e[2*sa]), BF16ToF32(e[3*sa])
				t[0][j], t[1][j], t[2][j], t[3][j] = d0-d2, d1+d2, d2-d1, d1-d3
			}
			for i := 0; i < 4; i++ {
				r := &t[i]
				o := dst[tt*dt+4*i*ds+c:]
				o[0], o[ds], o[2*ds], o[3*ds] = F32ToBF16(r[0]-r[2]), F32ToBF16(r[1]+r[2]), F32ToBF16(r[2]-r[1]), F32ToBF16(r[1]-r[3])
			}
		}
	}
}

// winoBF16Out2Go is asm.WinoOut2x2BF16AVX512BF16 in Go (see its doc).
func winoBF16Out2Go(dst []uint16, da, db int, src []float32, ss, st int, bias []float32, res []uint16, ra, rb int, floor float32, rows, cols, n, nt int) {
	var t [2][4]float32
	for tt := 0; tt < nt; tt++ {
		tc := 2
		if tt == nt-1 {
			tc = cols
		}
		for c := 0; c < n; c++ {
			for b := 0; b < 4; b++ {
				e := src[tt*st+b*ss+c:]
				m0, m1, m2, m3 := e[0], e[4*ss], e[8*ss], e[12*ss]
				t[0][b], t[1][b] = m0+m1+m2, m1-m2-m3
			}
			for i := 0; i < rows; i++ {
				r := &t[i]
				o := [2]float32{r[0] + r[1] + r[2] + bias[c], r[1] - r[2] - r[3] + bias[c]}
				for j := 0; j < tc; j++ {
					s := o[j]
					if res != nil {
						s += BF16ToF32(res[2*tt*rb+i*ra+j*rb+c])
					}
					if !(s > floor) {
						s = floor
					}
					dst[2*tt*db+i*da+j*db+c] = F32ToBF16(s)
				}
			}
		}
	}
}

// PackBF16Winograd transforms the weights w [K, C, 3, 3] (OIHW) of a 3x3
// stride-1 convolution with padding pad (0 to 2) for F(2x2,3x3): U = G g GT
// per (k, c) in float64, rounded to bf16 once, in panels of nr output
// channels [16][K/nr][Cp/2][nr][2] (nr 32, or 16 when K <= 16). BF16Conv2D
// then runs the Winograd path; bias [K] (nil: zero) stays float32.
func PackBF16Winograd(w, bias []float32, k, c, pad int) *BF16Conv {
	if k < 1 || c < 1 || pad < 0 || pad > 2 {
		tensor.Panicf("kernels", "PackBF16Winograd: bad sizes K=%d C=%d pad %d", k, c, pad)
	}
	checkLen("PackBF16Winograd", "w", len(w), k*c*9)
	cp := c + c%2
	nr := bf16NR
	if k <= 16 {
		nr = 16
	}
	np := (k + nr - 1) / nr
	kp := cp / 2
	ue := np * kp * 2 * nr
	cv := &BF16Conv{K: k, C: c, R: 3, S: 3, Cp: cp, Stride: 1, Pad: pad, nr: nr, wino: 2,
		panels: make([]uint16, 16*ue), bias: make([]float32, np*nr)}
	if bias != nil {
		checkLen("PackBF16Winograd", "bias", len(bias), k)
		copy(cv.bias, bias)
	}
	// G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1].
	gt := func(g0, g1, g2 float64) [4]float64 { return [4]float64{g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2} }
	for kk := 0; kk < k; kk++ {
		jp, j := kk/nr, kk%nr
		for ci := 0; ci < c; ci++ {
			g := w[(kk*c+ci)*9 : (kk*c+ci+1)*9]
			var t [4][3]float64 // G g
			for q := 0; q < 3; q++ {
				col := gt(float64(g[q]), float64(g[3+q]), float64(g[6+q]))
				for i := range col {
					t[i][q] = col[i]
				}
			}
			for i := 0; i < 4; i++ {
				row := gt(t[i][0], t[i][1], t[i][2]) // (G g GT)[i]
				for jj, v := range row {
					e := 4*i + jj
					cv.panels[e*ue+((jp*kp+ci/2)*nr+j)*2+ci%2] = F32ToBF16(float32(v))
				}
			}
		}
	}
	return cv
}

// BF16WinogradPays reports whether a convolution with these sizes runs
// faster on the Winograd path (PackBF16Winograd) than on the direct one:
// every 3x3 stride-1 convolution with padding at most 2. Measured on all
// such shapes of U-Net-ResNet34 at 512 (scripts/bench/bf16layers), from
// 512 channels at 16x16 down to 16->16 and the 16->1 head at 512x512.
func BF16WinogradPays(k, c, r, s, stride, pad int) bool {
	return r == 3 && s == 3 && stride == 1 && pad <= 2
}

// bf16WinoBlockBytes is what the V and M of a block of tiles may take:
// about a quarter of a 1 MiB L2, as the float32 Winograd's winoBlockBytes.
const bf16WinoBlockBytes = 256 << 10

// bf16WinoConv2D is BF16Conv2D's Winograd path (arguments checked).
func bf16WinoConv2D(wi *bf16WinoImpl, y, x BF16Image, cv *BF16Conv, res *BF16Image, floor float32) {
	cp, k, nr := cv.Cp, cv.K, cv.nr
	np, kp := (k+nr-1)/nr, cp/2
	ue := np * kp * 2 * nr
	gemm := wi.gemm[0]
	if nr == 16 {
		gemm = wi.gemm[1]
	}
	oh, ow := y.H, y.W
	th, tw := (oh+1)/2, (ow+1)/2
	perImg := th * tw
	tiles := x.N * perImg
	ldv := roundUp(cp, 2)
	if ldv%512 == 0 {
		ldv += 32 // rows of V 1 KiB apart would share L1 sets
	}
	ldm := packStride(np * nr)
	tb := clampInt(bf16WinoBlockBytes/(16*(2*ldv+4*ldm))/bf16MR*bf16MR, bf16MR, roundUp(tiles, 4))
	ve := roundUp(tb*ldv, 32) + 32 // uint16s; +64 bytes: elements not 4 KiB apart
	me := roundUp(tb*ldm, 16) + 16
	winLen := 16 * cp
	bufLen := 8*ve + 16*me + (winLen+1)/2
	xa, xb := (x.W+2*x.Halo)*cp, cp
	ya, yb := (y.W+2*y.Halo)*k, k
	var ra, rb int
	if res != nil {
		ra, rb = (res.W+2*res.Halo)*k, k
	}
	blocks := (tiles + tb - 1) / tb
	parallelW(blocks, 1, func(wk, lo, hi int) {
		wb := getWorkerBuf(wk, bufLen)
		defer wb.put()
		v := unsafe.Slice((*uint16)(unsafe.Pointer(&wb.f[0])), 16*ve)
		m := wb.f[8*ve : 8*ve+16*me]
		win := unsafe.Slice((*uint16)(unsafe.Pointer(&wb.f[8*ve+16*me])), winLen)
		for b := lo; b < hi; b++ {
			t0 := b * tb
			nt := min(tb, tiles-t0)
			for t := t0; t < t0+nt; {
				n, ty, tx := t/perImg, t%perImg/tw, t%tw
				iy0, ix0 := 2*ty-cv.Pad, 2*tx-cv.Pad
				dst := v[(t-t0)*ldv:]
				// A run of tiles along the row whose windows lie inside
				// the halo, in one call.
				run := 0
				if iy0 >= -x.Halo && ix0 >= -x.Halo && iy0+4 <= x.H+x.Halo && ix0+4 <= x.W+x.Halo {
					run = min(t0+nt-t, tw-tx, (x.W+x.Halo-ix0-4)/2+1)
				}
				if run > 0 {
					wi.in(dst, ve, ldv, x.Data[x.Offset(n, iy0, ix0):], xa, xb, cp, run)
					t += run
					continue
				}
				// The window leaves the halo: gather it, zeros outside the image.
				for i := 0; i < 4; i++ {
					for j := 0; j < 4; j++ {
						px := win[(4*i+j)*cp : (4*i+j+1)*cp]
						if iy, ix := iy0+i, ix0+j; iy >= 0 && ix >= 0 && iy < x.H && ix < x.W {
							copy(px, x.Data[x.Offset(n, iy, ix):])
						} else {
							clear(px)
						}
					}
				}
				wi.in(dst, ve, ldv, win, 4*cp, cp, cp, 1)
				t++
			}
			// Rows up to a multiple of 4 feed only rows of M nobody reads;
			// zero them so that they hold no NaNs.
			ntr := roundUp(nt, 4)
			for e := 0; e < 16 && ntr > nt; e++ {
				clear(v[e*ve+nt*ldv : e*ve+ntr*ldv])
			}
			full, rest := ntr/bf16MR, ntr%bf16MR
			for e := 0; e < 16; e++ {
				a, c, u := v[e*ve:], m[e*me:], cv.panels[e*ue:(e+1)*ue]
				if full > 0 {
					gemm[0](a, ldv, kp, u, np, full, c, ldm)
				}
				switch i0 := full * bf16MR; rest {
				case 8:
					gemm[1](a[i0*ldv:], ldv, kp, u, np, 1, c[i0*ldm:], ldm)
				case 4:
					gemm[2](a[i0*ldv:], ldv, kp, u, np, 1, c[i0*ldm:], ldm)
				}
			}
			for t := t0; t < t0+nt; {
				// The tiles up to the end of the row or block, in one call.
				n, ty, tx := t/perImg, t%perImg/tw, t%tw
				run := min(t0+nt-t, tw-tx)
				oy0, ox0 := 2*ty, 2*tx
				rows, cols := min(2, oh-oy0), min(2, ow-2*(tx+run-1))
				var rs []uint16
				if res != nil {
					rs = res.Data[res.Offset(n, oy0, ox0):]
				}
				wi.out(y.Data[y.Offset(n, oy0, ox0):], ya, yb, m[(t-t0)*ldm:], me, ldm, cv.bias, rs, ra, rb, floor, rows, cols, k, run)
				t += run
			}
		}
	})
}
