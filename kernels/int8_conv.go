package kernels

import (
	"math"
	"unsafe"

	"github.com/lungo-ml/lungo/tensor"
)

// Int8Conv is a convolution's weights (groups 1, square stride and padding,
// dilation 1) quantized to int8 per output channel and packed for
// Int8Conv2D with the requantization constants of one input and output
// quantization: panels of nr output channels, [K/nr][R][kp][nr][4] (nr 32,
// or 16 when K <= 16), the reduction over (r, s, c) taken four consecutive
// (s, c) at a time for VPDPBUSD: a kernel row reads S*C consecutive bytes
// of the NHWC input, kp = ceil(S*C/4) quads, the weights of the up to
// three bytes past them zero (a 7x7 stem on one channel is 7 rows of 2
// quads, not 49 quads of one channel and three zeros).
type Int8Conv struct {
	K, C, R, S  int
	Cp          int // input channels the image must have: C
	Stride, Pad int
	// In and Out are the quantizations of the input and output images.
	InScale, OutScale float32
	InZero, OutZero   uint8
	// WScale are the weight scales per output channel: w ≈ WScale[k]*q.
	WScale []float32
	nr     int
	panels []int8
	comp   []int32   // [panels*nr]: InZero * Σ q_w
	compS  []int32   // (InZero-128) * Σ q_w, for kernels of signed activations
	mul    []float32 // InScale*WScale[k]/OutScale
	add    []float32 // bias[k]/OutScale + OutZero
	// c16k1 are the weights of a convolution of one output channel on 16
	// input channels, for the kernels of 16 pixels a vector: [R*S][4][16],
	// the 16 weights of each (r, s) four times; nil for other shapes.
	c16k1 []int8
}

// maxInt8Reduction is the longest reduction whose int32 sum cannot overflow.
const maxInt8Reduction = math.MaxInt32 / (255 * 127)

// PackInt8Conv quantizes w [K, C, R, S] (OIHW) per output channel (scale
// max|w|/127, round half even) and packs it with bias [K] (nil: zero) for
// inputs quantized as (inScale, inZero) and outputs as (outScale, outZero).
func PackInt8Conv(w, bias []float32, k, c, r, s, stride, pad int, inScale float32, inZero uint8, outScale float32, outZero uint8) *Int8Conv {
	if k < 1 || c < 1 || r < 1 || s < 1 || stride < 1 || pad < 0 {
		tensor.Panicf("kernels", "PackInt8Conv: bad sizes K=%d C=%d R=%d S=%d stride %d pad %d", k, c, r, s, stride, pad)
	}
	if !(inScale > 0) || !(outScale > 0) || math.IsInf(float64(inScale), 0) || math.IsInf(float64(outScale), 0) {
		tensor.Panicf("kernels", "PackInt8Conv: scales %g and %g, want finite and > 0", inScale, outScale)
	}
	checkLen("PackInt8Conv", "w", len(w), k*c*r*s)
	cp := c
	scp := (s*c + 3) / 4 * 4 // reduction length of one kernel row, a multiple of 4
	if r*scp > maxInt8Reduction {
		tensor.Panicf("kernels", "PackInt8Conv: reduction of %d products may overflow int32 (at most %d)", r*scp, maxInt8Reduction)
	}
	nr := int8NR
	if k <= 16 {
		nr = 16
	}
	np := (k + nr - 1) / nr
	cv := &Int8Conv{K: k, C: c, R: r, S: s, Cp: cp, Stride: stride, Pad: pad,
		InScale: inScale, InZero: inZero, OutScale: outScale, OutZero: outZero,
		WScale: make([]float32, k), nr: nr,
		panels: make([]int8, np*r*scp*nr),
		comp:   make([]int32, np*nr), compS: make([]int32, np*nr), mul: make([]float32, np*nr), add: make([]float32, np*nr)}
	if bias != nil {
		checkLen("PackInt8Conv", "bias", len(bias), k)
	}
	per := c * r * s
	for kk := 0; kk < k; kk++ {
		var amax float32
		for _, v := range w[kk*per : (kk+1)*per] {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		ws := amax / 127
		if !(ws > 0) || math.IsInf(float64(ws), 0) {
			ws = 1 // all zero (or not finite: quantizes to the clamp)
		}
		cv.WScale[kk] = ws
		jp, j := kk/nr, kk%nr
		pan := cv.panels[jp*r*scp*nr : (jp+1)*r*scp*nr]
		var sum int32
		for ri := 0; ri < r; ri++ {
			for si := 0; si < s; si++ {
				for ci := 0; ci < c; ci++ {
					q := math.RoundToEven(float64(w[((kk*c+ci)*r+ri)*s+si] / ws))
					qi := int8(min(max(q, -127), 127))
					sum += int32(qi)
					e := si*c + ci // position in the kernel row's reduction
					pan[((ri*scp/4+e/4)*nr+j)*4+e%4] = qi
				}
			}
		}
		cv.comp[kk] = int32(inZero) * sum
		cv.compS[kk] = (int32(inZero) - 128) * sum
		cv.mul[kk] = inScale * ws / outScale
		var b float32
		if bias != nil {
			b = bias[kk]
		}
		cv.add[kk] = b/outScale + float32(outZero)
	}
	if k == 1 && c == 16 {
		cv.c16k1 = make([]int8, r*s*64)
		for i := range cv.c16k1 {
			rs, ci := i/64, i%16
			e := rs%s*c + ci
			cv.c16k1[i] = cv.panels[((rs/s*scp/4+e/4)*nr)*4+e%4]
		}
	}
	return cv
}

// OutH returns the output height for an input height h.
func (cv *Int8Conv) OutH(h int) int { return (h+2*cv.Pad-cv.R)/cv.Stride + 1 }

// OutW returns the output width for an input width w.
func (cv *Int8Conv) OutW(w int) int { return (w+2*cv.Pad-cv.S)/cv.Stride + 1 }

// Int8Conv2D computes y = requant(conv(x, cv) + bias (+ res)), with a ReLU
// when relu is set (see the package's int8 notes): x is [N, H, W, Cp] with
// Halo >= cv.Pad and x's quantization cv's input one, y [N, OutH, OutW, K]
// quantized as cv's output, res (nil for none) shaped like y with any
// quantization; halos of y and res may be any size (y's border is not
// written). The implementation is the AVX-512 VNNI kernel where the CPU has
// one, the generic Go kernel otherwise (Int8Accelerated): the same bytes.
func Int8Conv2D(y, x U8Image, cv *Int8Conv, res *U8Image, relu bool) {
	int8Conv2D(int8Active(), y, x, cv, res, relu)
}

func int8Conv2D(impl int8Impl, y, x U8Image, cv *Int8Conv, res *U8Image, relu bool) {
	x.check("Int8Conv2D", "x")
	y.check("Int8Conv2D", "y")
	oh, ow := cv.OutH(x.H), cv.OutW(x.W)
	if x.C != cv.Cp || x.Halo < cv.Pad || oh < 1 || ow < 1 || y.N != x.N || y.H != oh || y.W != ow || y.C != cv.K {
		tensor.Panicf("kernels", "Int8Conv2D: x %dx%dx%dx%d (halo %d), y %dx%dx%dx%d for weights K=%d Cp=%d %dx%d stride %d pad %d",
			x.N, x.H, x.W, x.C, x.Halo, y.N, y.H, y.W, y.C, cv.K, cv.Cp, cv.R, cv.S, cv.Stride, cv.Pad)
	}
	if x.Scale != cv.InScale || x.Zero != cv.InZero || y.Scale != cv.OutScale || y.Zero != cv.OutZero {
		tensor.Panicf("kernels", "Int8Conv2D: x quantized (%g, %d) and y (%g, %d), weights packed for (%g, %d) and (%g, %d)",
			x.Scale, x.Zero, y.Scale, y.Zero, cv.InScale, cv.InZero, cv.OutScale, cv.OutZero)
	}
	var rmul float32
	var rzero int32
	if res != nil {
		res.check("Int8Conv2D", "res")
		if res.N != y.N || res.H != y.H || res.W != y.W || res.C != y.C {
			tensor.Panicf("kernels", "Int8Conv2D: res %dx%dx%dx%d, want y's %dx%dx%dx%d", res.N, res.H, res.W, res.C, y.N, y.H, y.W, y.C)
		}
		rmul, rzero = res.Scale/cv.OutScale, int32(res.Zero)
	}
	if x.N == 0 {
		return
	}
	var floor float32
	if relu {
		floor = float32(cv.OutZero)
	}
	if cv.c16k1 != nil && impl.c16k1 != nil && res == nil && cv.Stride == 1 {
		int8ConvC16K1Image(impl, y, x, cv, floor)
		return
	}
	st := cv.Stride
	kp := (cv.S*cv.Cp + 3) / 4
	scp := 4 * kp
	nr := cv.nr
	mks := impl.kernels[0]
	if nr == 16 {
		mks = impl.kernels[1]
	}
	allComp := cv.comp
	if impl.signedA {
		allComp = cv.compS
	}
	np := (cv.K + nr - 1) / nr
	panLen := cv.R * scp * nr
	lda, rowStride := st*x.C, (x.W+2*x.Halo)*x.C
	tailStride := func(mr int) int { return (mr-1)*lda + scp } // a gathered kernel row of a tail tile
	rowsTotal := x.N * oh
	// Rows of output per block: their input rows within about 256 KiB, so
	// that each weight panel sweeps a block of input held in L2 (as bf16).
	rowBytes := st * rowStride
	block := max(1, (256<<10)/max(1, rowBytes))
	work := func(r0, r1, jp0, jp1 int) {
		// Tail buffers from the scratch pools (no allocation once warm).
		aLen := cv.R * tailStride(int8MR)
		sb := getScratch((aLen + 2*int8MR*int8NR + 3) / 4)
		defer putScratch(sb)
		buf := unsafe.Slice((*uint8)(unsafe.Pointer(&(*sb)[0])), 4*len(*sb))
		aTail, cTail, rTail := buf[:aLen], buf[aLen:][:int8MR*int8NR], buf[aLen+int8MR*int8NR:][:int8MR*int8NR]
		for b0 := r0; b0 < r1; b0 += block {
			b1 := min(b0+block, r1)
			for jp := jp0; jp < jp1; jp++ {
				pan := cv.panels[jp*panLen : (jp+1)*panLen]
				comp, mul, add := allComp[jp*nr:(jp+1)*nr], cv.mul[jp*nr:(jp+1)*nr], cv.add[jp*nr:(jp+1)*nr]
				k0 := jp * nr
				nv := min(nr, cv.K-k0)
				mask := uint32(1)<<nv - 1
				for row := b0; row < b1; row++ {
					n, oy := row/oh, row%oh
					ox := 0
					if tk := impl.tiles; tk != nil && nv == nr {
						// The row's leading full tiles in one call.
						t := 0
						for left := ow; left >= int8MR && (left == int8MR || left > int8MR+4); left -= int8MR {
							t++
						}
						ab := x.Offset(n, oy*st-cv.Pad, -cv.Pad)
						cb := y.Offset(n, oy, 0) + k0
						var rs []uint8
						ldr := 0
						if res != nil {
							rs, ldr = res.Data[res.Offset(n, oy, 0)+k0:], res.C
						}
						for ; t > 0; t-- { // as many as read and write in place
							rows := t*int8MR - 1
							if ab+rows*lda+(cv.R-1)*rowStride+scp <= len(x.Data) && cb+rows*y.C+nr <= len(y.Data) &&
								(res == nil || len(rs) >= rows*res.C+nr) {
								break
							}
						}
						if t > 0 {
							tk(int8MR, nr, t, x.Data[ab:], lda, rowStride, cv.R, kp, pan, comp, mul, add, rs, ldr, y.Data[cb:], y.C, rmul, rzero, floor)
							ox = t * int8MR
						}
					}
					for ox < ow {
						m := min(int8MR, ow-ox)
						if left := ow - ox; left > int8MR && left <= int8MR+4 {
							m = 8 // 12+1..4 as 8+5..8
						}
						ki := 0 // the smallest tile that holds m rows
						for ki < 2 && int8Rows[ki+1] >= m {
							ki++
						}
						mr, mk := int8Rows[ki], mks[ki]
						ox0 := ox
						ox += m
						ab := x.Offset(n, oy*st-cv.Pad, ox0*st-cv.Pad)
						a, aStride := x.Data[ab:], rowStride
						cb := y.Offset(n, oy, ox0) + k0
						c, ldc := y.Data[cb:], y.C
						var rs []uint8
						ldr := 0
						if res != nil {
							rs, ldr = res.Data[res.Offset(n, oy, ox0)+k0:], res.C
						}
						// The last tiles of the image may read up to three
						// bytes past it (the zero weights past a kernel
						// row of S*C bytes): they are gathered too.
						if m < mr || ab+(mr-1)*lda+(cv.R-1)*rowStride+scp > len(x.Data) {
							// A tail: gather its patch rows; the rest are
							// read for rows that are not stored.
							ts := tailStride(mr)
							clear(aTail[:cv.R*ts])
							seg := ((m-1)*st + cv.S) * x.C
							for r := 0; r < cv.R; r++ {
								copy(aTail[r*ts:r*ts+seg], x.Data[ab+r*rowStride:])
							}
							a, aStride = aTail, ts
						}
						// Tiles of fewer channels than nr go through cTail as
						// whole tiles too: kernels without masked stores
						// (NEON, AVX-VNNI) would otherwise buffer them.
						direct := m == mr && nv == nr && len(c) >= (mr-1)*ldc+nv && (rs == nil || len(rs) >= (mr-1)*ldr+nr)
						if !direct {
							if rs != nil {
								clear(rTail)
								for i := 0; i < m; i++ {
									copy(rTail[i*nr:i*nr+nv], rs[i*ldr:i*ldr+nv])
								}
								rs, ldr = rTail, nr
							}
							mk(a, lda, aStride, cv.R, kp, pan, comp, mul, add, rs, ldr, cTail, nr, rmul, rzero, floor, uint32(1)<<nr-1)
							for i := 0; i < m; i++ {
								copy(c[i*ldc:i*ldc+nv], cTail[i*nr:i*nr+nv])
							}
							continue
						}
						mk(a, lda, aStride, cv.R, kp, pan, comp, mul, add, rs, ldr, c, ldc, rmul, rzero, floor, mask)
					}
				}
			}
		}
	}
	if rowsTotal >= 4*Threads() || np == 1 {
		Parallel(rowsTotal, 1, func(lo, hi int) { work(lo, hi, 0, np) })
	} else {
		Parallel(np, 1, func(lo, hi int) { work(0, rowsTotal, lo, hi) })
	}
}

// int8ConvC16K1Image runs Int8Conv2D for a convolution of one output
// channel on 16 input channels (stride 1, no residual) with impl's kernel
// of 16 pixels a group, the last up to 15 pixels of each row in Go.
func int8ConvC16K1Image(impl int8Impl, y, x U8Image, cv *Int8Conv, floor float32) {
	comp := cv.comp[0]
	if impl.signedA {
		comp = cv.compS[0]
	}
	rowStride := (x.W + 2*x.Halo) * x.C
	Parallel(y.N*y.H, 4, func(lo, hi int) {
		for row := lo; row < hi; row++ {
			n, oy := row/y.H, row%y.H
			a := x.Data[x.Offset(n, oy-cv.Pad, -cv.Pad):]
			c := y.Data[y.Offset(n, oy, 0):][:y.W]
			g := y.W / 16
			if g > 0 {
				impl.c16k1(a, rowStride, cv.R, cv.S, g, cv.c16k1, comp, cv.mul[0], cv.add[0], floor, c)
			}
			for p := 16 * g; p < y.W; p++ {
				var s int32
				for r := 0; r < cv.R; r++ {
					for q := 0; q < cv.S; q++ {
						ap, bq := a[r*rowStride+(p+q)*16:][:16], cv.c16k1[(r*cv.S+q)*64:][:16]
						for ch, w := range bq {
							s += int32(ap[ch]) * int32(w)
						}
					}
				}
				c[p] = requantU8(s, cv.comp[0], cv.mul[0], cv.add[0], false, 0, 0, 0, floor)
			}
		}
	})
}
