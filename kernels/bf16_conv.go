package kernels

import (
	"math"
	"unsafe"

	"github.com/lungo-ml/lungo/tensor"
)

// BF16Image is a batch of NHWC bf16 images stored with a zero border of
// Halo pixels on every side: Data holds [N, H+2*Halo, W+2*Halo, C], and
// pixel (n, y, x) of the image starts at Offset(n, y, x). A convolution
// with padding <= Halo reads it in place, with no padded copy. The border
// must hold zeros (ClearHalo); the kernels never write it.
type BF16Image struct {
	Data       []uint16
	N, H, W, C int
	Halo       int
}

// NewBF16Image returns a zeroed image.
func NewBF16Image(n, h, w, c, halo int) BF16Image {
	return BF16Image{Data: make([]uint16, BF16ImageLen(n, h, w, c, halo)), N: n, H: h, W: w, C: c, Halo: halo}
}

// BF16ImageLen is the length of the Data of an image of these sizes.
func BF16ImageLen(n, h, w, c, halo int) int { return n * (h + 2*halo) * (w + 2*halo) * c }

// Offset returns the index in m.Data of channel 0 of pixel (n, y, x);
// y and x may reach into the border (-Halo .. H-1+Halo).
func (m BF16Image) Offset(n, y, x int) int {
	return ((n*(m.H+2*m.Halo)+y+m.Halo)*(m.W+2*m.Halo) + x + m.Halo) * m.C
}

// ClearHalo zeroes the border of m.
func (m BF16Image) ClearHalo() {
	if m.Halo == 0 {
		return
	}
	hs, ws := m.H+2*m.Halo, m.W+2*m.Halo
	rowLen := ws * m.C
	for n := 0; n < m.N; n++ {
		for y := 0; y < hs; y++ {
			row := m.Data[(n*hs+y)*rowLen : (n*hs+y+1)*rowLen]
			if y < m.Halo || y >= m.Halo+m.H {
				clear(row)
				continue
			}
			clear(row[:m.Halo*m.C])
			clear(row[(m.Halo+m.W)*m.C:])
		}
	}
}

func (m BF16Image) check(op, name string) {
	if m.N < 0 || m.H < 1 || m.W < 1 || m.C < 1 || m.Halo < 0 || len(m.Data) != BF16ImageLen(m.N, m.H, m.W, m.C, m.Halo) {
		tensor.Panicf("kernels", "%s: %s is %dx%dx%dx%d with halo %d and %d values", op, name, m.N, m.H, m.W, m.C, m.Halo, len(m.Data))
	}
}

// BF16Conv is a convolution's weights (with groups 1, square stride and
// padding, dilation 1) rounded to bf16 and packed for BF16Conv2D: panels of
// nr output channels, [K/nr][R][S*Cp/2][nr][2] (nr 32, or 16 when K <= 16), the reduction over
// (r, s, c) taken in pairs of consecutive (s, c) for VDPBF16PS. Cp is C
// rounded up to even; the extra channel's weights are zero.
type BF16Conv struct {
	K, C, R, S  int
	Cp          int // input channels the image must have: C rounded up to even
	Stride, Pad int
	nr          int       // panel width
	wino        int       // 2: Winograd F(2x2,3x3) (PackBF16Winograd), 0: direct
	panels      []uint16  // direct: see above; Winograd: [16][K/nr][Cp/2][nr][2]
	bias        []float32 // [panels*nr], zero beyond K
}

// PackBF16Conv rounds w [K, C, R, S] (OIHW) to bf16 and packs it, with
// bias [K] (nil: zero) kept in float32.
func PackBF16Conv(w, bias []float32, k, c, r, s, stride, pad int) *BF16Conv {
	if k < 1 || c < 1 || r < 1 || s < 1 || stride < 1 || pad < 0 {
		tensor.Panicf("kernels", "PackBF16Conv: bad sizes K=%d C=%d R=%d S=%d stride %d pad %d", k, c, r, s, stride, pad)
	}
	checkLen("PackBF16Conv", "w", len(w), k*c*r*s)
	cp := c + c%2
	nr := bf16NR
	if k <= 16 {
		nr = 16 // half the dot products of a 32-wide panel
	}
	np := (k + nr - 1) / nr
	cv := &BF16Conv{K: k, C: c, R: r, S: s, Cp: cp, Stride: stride, Pad: pad, nr: nr,
		panels: make([]uint16, np*r*s*cp*nr), bias: make([]float32, np*nr)}
	if bias != nil {
		checkLen("PackBF16Conv", "bias", len(bias), k)
		copy(cv.bias, bias)
	}
	scp := s * cp // reduction length of one kernel row, even
	for kk := 0; kk < k; kk++ {
		jp, j := kk/nr, kk%nr
		pan := cv.panels[jp*r*scp*nr : (jp+1)*r*scp*nr]
		for ri := 0; ri < r; ri++ {
			for si := 0; si < s; si++ {
				for ci := 0; ci < c; ci++ {
					q := si*cp + ci // position in the kernel row's reduction
					pan[((ri*scp/2+q/2)*nr+j)*2+q%2] = F32ToBF16(w[((kk*c+ci)*r+ri)*s+si])
				}
			}
		}
	}
	return cv
}

// OutH and OutW return the output size for an input of h x w.
func (cv *BF16Conv) OutH(h int) int { return (h+2*cv.Pad-cv.R)/cv.Stride + 1 }

// OutW returns the output width for an input width w.
func (cv *BF16Conv) OutW(w int) int { return (w+2*cv.Pad-cv.S)/cv.Stride + 1 }

// BF16Conv2D computes y = conv(x, cv) + bias (+ res), with a ReLU when
// relu is set, rounded to bf16: x is [N, H, W, Cp] with Halo >= cv.Pad, y
// [N, OutH, OutW, K] and res (nil for none) like y; halos of y and res may
// be any size (y's border is not written). Sums are float32 (see the
// package's bf16 notes); the implementation is the AVX-512 BF16 kernel
// where the CPU has one, the generic Go kernel otherwise (BF16Accelerated).
// Weights packed by PackBF16Winograd run Winograd F(2x2,3x3)
// (bf16_winograd.go), those packed by PackBF16Conv the direct convolution.
func BF16Conv2D(y, x BF16Image, cv *BF16Conv, res *BF16Image, relu bool) {
	im := bf16Active()
	bf16Conv2D(&im, y, x, cv, res, relu)
}

func bf16Conv2D(im *bf16Impl, y, x BF16Image, cv *BF16Conv, res *BF16Image, relu bool) {
	x.check("BF16Conv2D", "x")
	y.check("BF16Conv2D", "y")
	oh, ow := cv.OutH(x.H), cv.OutW(x.W)
	if x.C != cv.Cp || x.Halo < cv.Pad || oh < 1 || ow < 1 || y.N != x.N || y.H != oh || y.W != ow || y.C != cv.K {
		tensor.Panicf("kernels", "BF16Conv2D: x %dx%dx%dx%d (halo %d), y %dx%dx%dx%d for weights K=%d Cp=%d %dx%d stride %d pad %d",
			x.N, x.H, x.W, x.C, x.Halo, y.N, y.H, y.W, y.C, cv.K, cv.Cp, cv.R, cv.S, cv.Stride, cv.Pad)
	}
	if res != nil {
		res.check("BF16Conv2D", "res")
		if res.N != y.N || res.H != y.H || res.W != y.W || res.C != y.C {
			tensor.Panicf("kernels", "BF16Conv2D: res %dx%dx%dx%d, want y's %dx%dx%dx%d", res.N, res.H, res.W, res.C, y.N, y.H, y.W, y.C)
		}
	}
	if x.N == 0 {
		return
	}
	floor := float32(math.Inf(-1))
	if relu {
		floor = 0
	}
	if cv.wino != 0 {
		bf16WinoConv2D(&im.wino, y, x, cv, res, floor)
		return
	}
	tab := im.kernels
	st := cv.Stride
	scp := cv.S * cv.Cp
	kp := scp / 2
	nr := cv.nr
	mks := tab[0]
	if nr == 16 {
		mks = tab[1]
	}
	np := (cv.K + nr - 1) / nr
	panLen := cv.R * scp * nr
	lda, rowStride := st*x.C, (x.W+2*x.Halo)*x.C
	tailStride := func(mr int) int { return ((mr-1)*st + cv.S) * x.C } // a gathered kernel row of a tail tile
	rowsTotal := x.N * oh
	// Rows of output per block: their input rows within about 256 KiB, so
	// that each weight panel sweeps a block of input held in L2.
	rowBytes := 2 * st * rowStride
	block := max(1, (256<<10)/max(1, rowBytes))
	aLen := cv.R * tailStride(bf16MR)
	work := func(wk, r0, r1, jp0, jp1 int) {
		// Tail buffers from the worker's scratch: no allocation per call.
		wb := getWorkerBuf(wk, (aLen+2*bf16MR*bf16NR+1)/2)
		defer wb.put()
		tails := unsafe.Slice((*uint16)(unsafe.Pointer(&wb.f[0])), aLen+2*bf16MR*bf16NR)
		aTail, cTail, rTail := tails[:aLen], tails[aLen:aLen+bf16MR*bf16NR], tails[aLen+bf16MR*bf16NR:]
		for b0 := r0; b0 < r1; b0 += block {
			b1 := min(b0+block, r1)
			for jp := jp0; jp < jp1; jp++ {
				pan := cv.panels[jp*panLen : (jp+1)*panLen]
				bias := cv.bias[jp*nr : (jp+1)*nr]
				k0 := jp * nr
				nv := min(nr, cv.K-k0)
				mask := uint32(1)<<nv - 1
				for row := b0; row < b1; row++ {
					n, oy := row/oh, row%oh
					for ox := 0; ox < ow; {
						m := min(bf16MR, ow-ox)
						if left := ow - ox; left > bf16MR && left <= bf16MR+4 {
							m = 8 // 12+1..4 as 8+5..8: 8-row tiles beat 4-row ones
						}
						ki := 0 // the smallest tile that holds m rows
						for ki < 2 && bf16Rows[ki+1] >= m {
							ki++
						}
						mr, mk := bf16Rows[ki], mks[ki]
						ox0 := ox
						ox += m
						ab := x.Offset(n, oy*st-cv.Pad, ox0*st-cv.Pad)
						a, aStride := x.Data[ab:], rowStride
						cb := y.Offset(n, oy, ox0) + k0
						c, ldc := y.Data[cb:], y.C
						var rs []uint16
						ldr := 0
						if res != nil {
							rs, ldr = res.Data[res.Offset(n, oy, ox0)+k0:], res.C
						}
						if m < mr {
							// A tail: gather its patch rows, zero beyond.
							ts := tailStride(mr)
							clear(aTail[:cv.R*ts])
							seg := ((m-1)*st + cv.S) * x.C
							for r := 0; r < cv.R; r++ {
								copy(aTail[r*ts:r*ts+seg], x.Data[ab+r*rowStride:])
							}
							a, aStride = aTail, ts
						}
						direct := m == mr && len(c) >= (mr-1)*ldc+nv && (rs == nil || len(rs) >= (mr-1)*ldr+nr)
						if !direct {
							if rs != nil {
								clear(rTail)
								for i := 0; i < m; i++ {
									copy(rTail[i*nr:i*nr+nv], rs[i*ldr:i*ldr+nv])
								}
								rs, ldr = rTail, nr
							}
							mk(a, lda, aStride, cv.R, kp, pan, bias, rs, ldr, cTail, nr, floor, mask)
							for i := 0; i < m; i++ {
								copy(c[i*ldc:i*ldc+nv], cTail[i*nr:i*nr+nv])
							}
							continue
						}
						mk(a, lda, aStride, cv.R, kp, pan, bias, rs, ldr, c, ldc, floor, mask)
					}
				}
			}
		}
	}
	if rowsTotal >= 4*Threads() || np == 1 {
		parallelW(rowsTotal, 1, func(wk, lo, hi int) { work(wk, lo, hi, 0, np) })
	} else {
		parallelW(np, 1, func(wk, lo, hi int) { work(wk, 0, rowsTotal, lo, hi) })
	}
}
