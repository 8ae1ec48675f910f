package kernels

import (
	"fmt"
	"math"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// TestQuantizeU8s: the row quantizer gives QuantizeU8's codes on halves,
// extremes, NaN, infinities and ten million random bit patterns.
func TestQuantizeU8s(t *testing.T) {
	src := []float32{0, -0.0, 0.5, 1.5, 2.5, -0.5, -1.5, 254.5, 255.5, -254.5, 1e30, -1e30, 512.5, -512.5, 4194303.5, 8388607,
		float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.SmallestNonzeroFloat32, math.MaxFloat32}
	rng := tensor.NewRNG(7)
	for i := 0; i < 10_000_000; i++ {
		bits := uint32(rng.Float32()*(1<<16))<<16 | uint32(rng.Float32()*(1<<16))
		src = append(src, math.Float32frombits(bits))
	}
	for _, sc := range []struct {
		scale float32
		zero  uint8
	}{{1, 0}, {1, 128}, {0.0173, 37}, {3.5, 255}, {1e-30, 5}} {
		dst := make([]uint8, 2*len(src))
		QuantizeU8s(dst, 2, src, sc.scale, sc.zero)
		for i, f := range src {
			if want := QuantizeU8(f, sc.scale, sc.zero); dst[2*i] != want {
				t.Fatalf("QuantizeU8s(%g (%#x), %g, %d) = %d, QuantizeU8 %d", f, math.Float32bits(f), sc.scale, sc.zero, dst[2*i], want)
			}
		}
	}
}

func TestQuantizeU8(t *testing.T) {
	cases := []struct {
		f, s float32
		z    uint8
		want uint8
	}{
		{0, 0.1, 0, 0}, {0.25, 0.1, 0, 2}, {0.35, 0.1, 0, 4}, // 3.5 -> 4 (half even)
		{0.05, 0.1, 10, 10}, // 0.5 -> 0 (half even)
		{-1, 0.1, 0, 0}, {100, 0.1, 0, 255}, {-0.3, 0.1, 5, 2},
		{float32(math.NaN()), 1, 7, 0},
	}
	for _, c := range cases {
		if got := QuantizeU8(c.f, c.s, c.z); got != c.want {
			t.Errorf("QuantizeU8(%g, %g, %d) = %d, want %d", c.f, c.s, c.z, got, c.want)
		}
	}
	s, z := U8Params(-1, 3)
	if s != 4.0/255 || z != 64 {
		t.Errorf("U8Params(-1, 3) = %g, %d", s, z)
	}
	if s, z := U8Params(2, 5); s != 5.0/255 || z != 0 {
		t.Errorf("U8Params(2, 5) = %g, %d (the range must hold 0)", s, z)
	}
}

// int8Case is one convolution of the conformance suite.
type int8Case struct {
	n, h, w, c, k, r, stride, pad int
	res, relu                     bool
	xz, yz, rz                    uint8 // zero points of x, y and res
	yHalo, off                    int
}

func (c int8Case) String() string {
	return fmt.Sprintf("n%d_%dx%dx%d_k%d_r%d_s%d_p%d_res%v_relu%v_z%d.%d.%d_yh%d_off%d",
		c.n, c.h, c.w, c.c, c.k, c.r, c.stride, c.pad, c.res, c.relu, c.xz, c.yz, c.rz, c.yHalo, c.off)
}

func int8Cases(short bool) []int8Case {
	cs := []int8Case{
		{1, 5, 7, 4, 32, 3, 1, 1, false, true, 0, 0, 0, 0, 0},
		{1, 1, 1, 1, 1, 1, 1, 0, false, false, 3, 200, 0, 0, 1},
		{2, 9, 13, 5, 17, 3, 2, 1, true, true, 17, 0, 128, 1, 3},
		{1, 16, 17, 3, 64, 7, 2, 3, false, true, 130, 0, 0, 1, 2},
		{1, 8, 29, 8, 33, 1, 2, 0, false, false, 0, 100, 0, 0, 1},
		{1, 7, 31, 17, 16, 3, 1, 1, true, false, 5, 77, 9, 1, 0},
		{1, 4, 12, 16, 65, 3, 1, 2, true, true, 0, 0, 0, 1, 3},
		{1, 3, 15, 12, 5, 3, 3, 1, false, true, 255, 0, 0, 0, 2},
		{1, 6, 33, 32, 48, 3, 1, 1, true, true, 0, 0, 0, 1, 1},
		{2, 2, 2, 2, 2, 2, 1, 0, true, false, 1, 2, 3, 0, 0},
	}
	// One output channel on 16 inputs (the segmentation head): the kernels
	// of 16 pixels a group, the row tails in Go.
	for _, w := range []int{1, 15, 16, 17, 33, 50} {
		cs = append(cs, int8Case{1 + w%2, 4, w, 16, 1, 3, 1, 1, false, w%3 != 0, uint8(w * 5), uint8(w % 7), 0, w % 2, w % 3})
	}
	cs = append(cs, int8Case{1, 3, 35, 16, 1, 1, 1, 0, false, true, 9, 0, 0, 0, 1}, int8Case{1, 6, 40, 16, 1, 3, 1, 2, true, true, 0, 0, 3, 1, 0})
	// 16 output channels (tiles of 16 channels) on multiples of 16 inputs.
	for i, w := range []int{1, 5, 6, 7, 11, 12, 13, 25} {
		cs = append(cs, int8Case{1 + i%2, 3 + i%3, w, 16 * (1 + i%3), 16, 3 - 2*(i%4/3), 1, 1 - i%4/3 + i%5/4, false, i%3 != 1, uint8(i * 30), uint8(i % 3), 0, i % 2, i % 4})
	}
	cs = append(cs, int8Case{1, 5, 9, 32, 16, 3, 2, 1, false, true, 0, 0, 0, 0, 1}, int8Case{1, 4, 8, 16, 16, 3, 1, 1, true, true, 0, 0, 3, 1, 0})
	if short {
		return cs[:6]
	}
	for _, w := range []int{1, 2, 3, 4, 8, 9, 12, 13, 16, 17, 24, 25, 28} {
		cs = append(cs, int8Case{1, 3, w, 7, 40, 3, 1, 1, w%2 == 0, w%3 != 0, uint8(w * 9), uint8(w % 4), uint8(w), w % 2, w % 4})
	}
	return cs
}

// randU8Image returns an image of random codes whose Data starts off values
// into a larger slice, the border at the zero point; guard bytes (0xa5)
// fill the slack after it.
func randU8Image(rng *tensor.RNG, n, h, w, c, halo, off int, scale float32, zero uint8) (U8Image, []uint8) {
	l := U8ImageLen(n, h, w, c, halo)
	buf := make([]uint8, off+l+7)
	for i := range buf {
		buf[i] = 0xa5
	}
	m := U8Image{Data: buf[off : off+l], N: n, H: h, W: w, C: c, Halo: halo, Scale: scale, Zero: zero}
	for i := range m.Data {
		m.Data[i] = uint8(rng.Float32() * 256)
	}
	m.ClearHalo()
	return m, buf
}

// int8Setup builds the operands of c: x, res, an output image (halo and
// slack full of guard bytes), the float weights and bias and the packed conv.
func int8Setup(c int8Case, seed uint64) (x U8Image, res *U8Image, w, bias []float32, cv *Int8Conv) {
	rng := tensor.NewRNG(seed)
	xs := float32(0.02)
	x, _ = randU8Image(rng, c.n, c.h, c.w, c.c, c.pad, c.off, xs, c.xz)
	w = make([]float32, c.k*c.c*c.r*c.r)
	for i := range w {
		w[i] = (rng.Float32()*2 - 1) / float32(c.r*c.r*c.c)
	}
	w[0] = 0 // a zero weight, and
	if c.k > 2 {
		for i := c.c * c.r * c.r; i < 2*c.c*c.r*c.r; i++ {
			w[i] = 0 // an all-zero output channel
		}
	}
	bias = make([]float32, c.k)
	for i := range bias {
		bias[i] = rng.Float32() - 0.5
	}
	ys := float32(0.004) * float32(1+c.r)
	cv = PackInt8Conv(w, bias, c.k, c.c, c.r, c.r, c.stride, c.pad, xs, c.xz, ys, c.yz)
	if c.res {
		oh, ow := cv.OutH(c.h), cv.OutW(c.w)
		r, _ := randU8Image(rng, c.n, oh, ow, c.k, c.off%2, c.off, 0.011, c.rz)
		res = &r
	}
	return x, res, w, bias, cv
}

// int8Out returns an output image for cv on x in a guarded buffer: border
// and slack hold 0x5a.
func int8Out(c int8Case, x U8Image, cv *Int8Conv) (U8Image, []uint8) {
	oh, ow := cv.OutH(x.H), cv.OutW(x.W)
	l := U8ImageLen(x.N, oh, ow, cv.K, c.yHalo)
	buf := make([]uint8, c.off+l+9)
	for i := range buf {
		buf[i] = 0x5a
	}
	return U8Image{Data: buf[c.off : c.off+l], N: x.N, H: oh, W: ow, C: cv.K, Halo: c.yHalo, Scale: cv.OutScale, Zero: cv.OutZero}, buf
}

// int8Naive returns the exact integer sums Σ (qx - zx)*qw of the
// convolution of x with cv's quantized weights (the border reads zx: 0).
func int8Naive(x U8Image, cv *Int8Conv) []int64 {
	oh, ow := cv.OutH(x.H), cv.OutW(x.W)
	out := make([]int64, x.N*oh*ow*cv.K)
	scp := (cv.S*cv.C + 3) / 4 * 4 // a kernel row's reduction, zero weights past S*C
	for n := 0; n < x.N; n++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for k := 0; k < cv.K; k++ {
					pan := cv.panels[k/cv.nr*cv.R*scp*cv.nr:]
					var s int64
					for r := 0; r < cv.R; r++ {
						for q := 0; q < cv.S; q++ {
							iy, ix := oy*cv.Stride-cv.Pad+r, ox*cv.Stride-cv.Pad+q
							if iy < 0 || ix < 0 || iy >= x.H || ix >= x.W {
								continue
							}
							for c := 0; c < cv.C; c++ {
								e := q*cv.C + c
								qw := pan[((r*scp/4+e/4)*cv.nr+k%cv.nr)*4+e%4]
								s += int64(int(x.Data[x.Offset(n, iy, ix)+c])-int(x.Zero)) * int64(qw)
							}
						}
					}
					out[((n*oh+oy)*ow+ox)*cv.K+k] = s
				}
			}
		}
	}
	return out
}

// checkInt8Guards fails unless y's border and the slack of its buffer hold
// their guard bytes.
func checkInt8Guards(t *testing.T, y U8Image, buf []uint8, off int) {
	t.Helper()
	for i := range buf {
		in := i >= off && i < off+len(y.Data)
		if in {
			p := (i - off) / y.C
			ws := y.W + 2*y.Halo
			py, px := p/ws%(y.H+2*y.Halo), p%ws
			in = py >= y.Halo && py < y.Halo+y.H && px >= y.Halo && px < y.Halo+y.W
		}
		if !in && buf[i] != 0x5a {
			t.Fatalf("guard byte %d (data from %d, %d long) overwritten: %#x", i, off, len(y.Data), buf[i])
		}
	}
}

// testInt8Conv2D is the conformance suite: the implementation's bytes
// equal the requantized exact integer convolution, guards stay, inputs are
// unmodified, and the dequantized result is within the quantization error
// of the float convolution.
func testInt8Conv2D(t *testing.T, impl int8Impl) {
	for i, c := range int8Cases(testing.Short()) {
		t.Run(c.String(), func(t *testing.T) {
			x, res, w, bias, cv := int8Setup(c, uint64(100+i))
			x0 := append([]uint8(nil), x.Data...)
			y, buf := int8Out(c, x, cv)
			int8Conv2D(impl, y, x, cv, res, c.relu)
			if string(x0) != string(x.Data) {
				t.Fatal("x modified")
			}
			checkInt8Guards(t, y, buf, c.off)
			exact := int8Naive(x, cv)
			var floor float32
			if c.relu {
				floor = float32(cv.OutZero)
			}
			var rmul float32
			var rzero int32
			if res != nil {
				rmul, rzero = res.Scale/cv.OutScale, int32(res.Zero)
			}
			for n := 0; n < y.N; n++ {
				for oy := 0; oy < y.H; oy++ {
					for ox := 0; ox < y.W; ox++ {
						for k := 0; k < y.C; k++ {
							e := exact[((n*y.H+oy)*y.W+ox)*cv.K+k]
							var r uint8
							if res != nil {
								r = res.Data[res.Offset(n, oy, ox)+k]
							}
							want := requantU8(int32(e), 0, cv.mul[k], cv.add[k], res != nil, r, rmul, rzero, floor)
							got := y.Data[y.Offset(n, oy, ox)+k]
							if got != want {
								t.Fatalf("(%d,%d,%d,%d): %d, exact integer sum %d requantizes to %d", n, oy, ox, k, got, e, want)
							}
							// The float convolution of the dequantized input
							// with the float weights, within half an output
							// step plus the weights' rounding and clamping.
							var f, bound float64
							for rr := 0; rr < cv.R; rr++ {
								for q := 0; q < cv.S; q++ {
									iy, ix := oy*cv.Stride-cv.Pad+rr, ox*cv.Stride-cv.Pad+q
									if iy < 0 || ix < 0 || iy >= x.H || ix >= x.W {
										continue
									}
									for ch := 0; ch < cv.C; ch++ {
										xv := float64(x.Scale) * float64(int(x.Data[x.Offset(n, iy, ix)+ch])-int(x.Zero))
										f += xv * float64(w[((k*cv.C+ch)*cv.R+rr)*cv.S+q])
										bound += math.Abs(xv) * float64(cv.WScale[k]) / 2
									}
								}
							}
							f += float64(bias[k])
							if res != nil {
								f += float64(res.Scale) * float64(int(r)-int(res.Zero))
							}
							if c.relu {
								f = max(f, 0)
							}
							lo := float64(cv.OutScale) * (0 - float64(cv.OutZero))
							hi := float64(cv.OutScale) * (255 - float64(cv.OutZero))
							f = min(max(f, lo), hi)
							deq := float64(cv.OutScale) * (float64(got) - float64(cv.OutZero))
							if tol := bound + 0.5001*float64(cv.OutScale) + 1e-5; math.Abs(deq-f) > tol {
								t.Fatalf("(%d,%d,%d,%d): %g, float conv %g (tolerance %g)", n, oy, ox, k, deq, f, tol)
							}
						}
					}
				}
			}
		})
	}
}

func TestInt8Conv2D(t *testing.T) {
	for _, name := range Int8Impls() {
		t.Run("impl="+name, func(t *testing.T) { testInt8Conv2D(t, int8ImplNamed(name)) })
	}
	t.Run("impl=generic-signed", func(t *testing.T) {
		testInt8Conv2D(t, int8Impl{name: "generic-signed", available: true, kernels: int8Kernels(int8ConvTileSigned), signedA: true})
	})
}

// int8ConvTileSigned is int8ConvTile as a kernel of signed activations
// (SDOT's) computes it: each activation read as int8(q^0x80) = q-128, the
// compensation taken from Int8Conv.compS. Its bytes must be the generic
// kernel's (the suite above).
func int8ConvTileSigned(mr, nr int, a []uint8, lda, rowStride, rows, kp int, b []int8, comp []int32, mul, add []float32, res []uint8, ldr int, c []uint8, ldc int, rmul float32, rzero int32, floor float32, mask uint32) {
	var acc [int8MR][int8NR]int32
	for r := 0; r < rows; r++ {
		for p := 0; p < 4*kp; p++ {
			for i := 0; i < mr; i++ {
				q := int32(int8(a[i*lda+r*rowStride+p] ^ 0x80))
				for j := 0; j < nr; j++ {
					acc[i][j] += q * int32(b[((r*kp+p/4)*nr+j)*4+p%4])
				}
			}
		}
	}
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			if mask>>j&1 == 1 {
				var r uint8
				if res != nil {
					r = res[i*ldr+j]
				}
				c[i*ldc+j] = requantU8(acc[i][j], comp[j], mul[j], add[j], res != nil, r, rmul, rzero, floor)
			}
		}
	}
}

// TestInt8Conv2DImplsAgree runs every implementation on the same operands
// and compares the whole output buffers, border and slack included.
func TestInt8Conv2DImplsAgree(t *testing.T) {
	impls := Int8Impls()
	if len(impls) < 2 {
		t.Skip("only the generic int8 kernel on this CPU")
	}
	for i, c := range int8Cases(false) {
		x, res, _, _, cv := int8Setup(c, uint64(300+i))
		var ref []uint8
		for _, name := range impls {
			y, buf := int8Out(c, x, cv)
			int8Conv2D(int8ImplNamed(name), y, x, cv, res, c.relu)
			if ref == nil {
				ref = buf
				continue
			}
			if string(buf) != string(ref) {
				t.Fatalf("%v: %s and %s differ", c, impls[0], name)
			}
		}
	}
}

func TestInt8BadInput(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	w := make([]float32, 2*3*3*3)
	mustPanic("zero scale", func() { PackInt8Conv(w, nil, 2, 3, 3, 3, 1, 1, 0, 0, 1, 0) })
	mustPanic("short w", func() { PackInt8Conv(w[:5], nil, 2, 3, 3, 3, 1, 1, 1, 0, 1, 0) })
	mustPanic("overflow", func() { PackInt8Conv(make([]float32, 9*8000), nil, 1, 8000, 3, 3, 1, 1, 1, 0, 1, 0) })
	cv := PackInt8Conv(w, nil, 2, 3, 3, 3, 1, 1, 0.5, 0, 1, 0)
	x := NewU8Image(1, 4, 4, 3, 1, 0.5, 0)
	y := NewU8Image(1, 4, 4, 2, 0, 1, 0)
	mustPanic("x quantization", func() { Int8Conv2D(y, NewU8Image(1, 4, 4, 3, 1, 0.25, 0), cv, nil, true) })
	mustPanic("y shape", func() { Int8Conv2D(NewU8Image(1, 3, 4, 2, 0, 1, 0), x, cv, nil, true) })
	mustPanic("x channels", func() { Int8Conv2D(y, NewU8Image(1, 4, 4, 4, 1, 0.5, 0), cv, nil, true) })
	Int8Conv2D(y, x, cv, nil, true) // and the right call runs
}

func TestU8MaxPoolUpsampleConcat(t *testing.T) {
	rng := tensor.NewRNG(5)
	x, _ := randU8Image(rng, 2, 7, 5, 6, 1, 0, 0.1, 0)
	y := NewU8Image(2, 4, 3, 6, 0, 0.1, 0)
	U8MaxPool3x3s2(y, x)
	for n := 0; n < 2; n++ {
		for oy := 0; oy < 4; oy++ {
			for ox := 0; ox < 3; ox++ {
				for c := 0; c < 6; c++ {
					var m uint8
					for dy := -1; dy <= 1; dy++ {
						for dx := -1; dx <= 1; dx++ {
							iy, ix := 2*oy+dy, 2*ox+dx
							if iy >= 0 && ix >= 0 && iy < 7 && ix < 5 {
								m = max(m, x.Data[x.Offset(n, iy, ix)+c])
							}
						}
					}
					if g := y.Data[y.Offset(n, oy, ox)+c]; g != m {
						t.Fatalf("max-pool (%d,%d,%d,%d) = %d, want %d", n, oy, ox, c, g, m)
					}
				}
			}
		}
	}
	lo, _ := randU8Image(rng, 1, 3, 2, 5, 0, 1, 0.2, 10)
	skip, _ := randU8Image(rng, 1, 6, 4, 3, 1, 2, 0.05, 0)
	u := NewU8Image(1, 6, 4, 8, 1, 0.1, 20)
	U8UpsampleConcat(u, lo, &skip)
	for oy := 0; oy < 6; oy++ {
		for ox := 0; ox < 4; ox++ {
			for c := 0; c < 8; c++ {
				var f float32
				if c < 5 {
					f = 0.2 * float32(int(lo.Data[lo.Offset(0, oy/2, ox/2)+c])-10)
				} else {
					f = 0.05 * float32(skip.Data[skip.Offset(0, oy, ox)+c-5])
				}
				if g, want := u.Data[u.Offset(0, oy, ox)+c], QuantizeU8(f, 0.1, 20); g != want {
					t.Fatalf("upsample-concat (%d,%d,%d) = %d, want %d", oy, ox, c, g, want)
				}
			}
		}
	}
	for _, v := range u.Data[:u.Offset(0, 0, 0)] {
		if v != 20 {
			t.Fatal("border not the zero point")
		}
	}
}

// TestMaxU8 checks the word-wise byte maximum on every pair of bytes.
func TestMaxU8(t *testing.T) {
	d, s := make([]uint8, 65536+5), make([]uint8, 65536+5)
	for i := 0; i < 65536; i++ {
		d[i], s[i] = uint8(i), uint8(i>>8)
	}
	want := make([]uint8, len(d))
	for i := range d {
		want[i] = max(d[i], s[i])
	}
	maxU8(d[1:], s[1:]) // misaligned, with a tail
	for i := 1; i < len(d); i++ {
		if d[i] != want[i] {
			t.Fatalf("max(%d, %d) = %d", want[i], s[i], d[i])
		}
	}
}

// TestU8OpsImpls: each implementation's max-pool and upsample-concat equal
// the naive ones (and so each other) on channel counts that take the SIMD
// kernels (multiples of 64; any width) and others, with odd sizes, offsets
// and requantizing tables; the guard bytes after y stay.
func TestU8OpsImpls(t *testing.T) {
	for _, name := range Int8Impls() {
		impl := int8ImplNamed(name)
		for i, sh := range [][4]int{{1, 7, 5, 64}, {2, 9, 12, 128}, {1, 4, 33, 64}, {1, 5, 6, 40}} {
			rng := tensor.NewRNG(uint64(40 + i))
			n, h, w, c := sh[0], sh[1], sh[2], sh[3]
			x, _ := randU8Image(rng, n, h, w, c, 1, i, 0.1, 0)
			y, ybuf := randU8Image(rng, n, (h-1)/2+1, (w-1)/2+1, c, i%2, i+1, 0.1, 0)
			u8MaxPool3x3s2(impl, y, x)
			for b := 0; b < n; b++ {
				for oy := 0; oy < y.H; oy++ {
					for ox := 0; ox < y.W; ox++ {
						for ch := 0; ch < c; ch++ {
							var m uint8
							for dy := -1; dy <= 1; dy++ {
								for dx := -1; dx <= 1; dx++ {
									if iy, ix := 2*oy+dy, 2*ox+dx; iy >= 0 && ix >= 0 && iy < h && ix < w {
										m = max(m, x.Data[x.Offset(b, iy, ix)+ch])
									}
								}
							}
							if g := y.Data[y.Offset(b, oy, ox)+ch]; g != m {
								t.Fatalf("%s: max-pool %v (%d,%d,%d,%d) = %d, want %d", name, sh, b, oy, ox, ch, g, m)
							}
						}
					}
				}
			}
			for _, v := range ybuf[i+1+len(y.Data):] {
				if v != 0xa5 {
					t.Fatalf("%s: max-pool %v wrote past y", name, sh)
				}
			}
		}
		for i, sh := range [][5]int{{1, 3, 4, 64, 64}, {2, 5, 7, 32, 0}, {1, 2, 33, 96, 40}, {1, 4, 3, 7, 5}, {1, 3, 5, 128, 64}, {2, 3, 9, 64, 0}, {1, 4, 5, 24, 0}} {
			rng := tensor.NewRNG(uint64(60 + i))
			n, h, w, c, k := sh[0], sh[1], sh[2], sh[3], sh[4]
			xz, sz, yz := uint8(i*3), uint8(i), uint8(10+i)
			xs, ss, ys := float32(0.2), float32(0.05), float32(0.1)
			if i == 1 {
				xs, xz, ys, yz = 0.1, 10, 0.1, 10 // no table: copies
			}
			lo, _ := randU8Image(rng, n, h, w, c, i%2, i, xs, xz)
			var skip *U8Image
			if k > 0 {
				s, _ := randU8Image(rng, n, 2*h, 2*w, k, 1, 2*i, ss, sz)
				skip = &s
			}
			u, ubuf := randU8Image(rng, n, 2*h, 2*w, c+k, 1, 3, ys, yz)
			u8UpsampleConcat(impl, u, lo, skip)
			for b := 0; b < n; b++ {
				for oy := 0; oy < 2*h; oy++ {
					for ox := 0; ox < 2*w; ox++ {
						for ch := 0; ch < c+k; ch++ {
							var f float32
							if ch < c {
								f = xs * float32(int(lo.Data[lo.Offset(b, oy/2, ox/2)+ch])-int(xz))
							} else {
								f = ss * float32(int(skip.Data[skip.Offset(b, oy, ox)+ch-c])-int(sz))
							}
							if g, want := u.Data[u.Offset(b, oy, ox)+ch], QuantizeU8(f, ys, yz); g != want {
								t.Fatalf("%s: upsample-concat %v (%d,%d,%d,%d) = %d, want %d", name, sh, b, oy, ox, ch, g, want)
							}
						}
					}
				}
			}
			for _, v := range ubuf[3+len(u.Data):] {
				if v != 0xa5 {
					t.Fatalf("%s: upsample-concat %v wrote past y", name, sh)
				}
			}
			// The border keeps the zero point.
			for _, v := range u.Data[:u.Offset(0, 0, 0)] {
				if v != yz {
					t.Fatalf("%s: upsample-concat %v wrote the border", name, sh)
				}
			}
		}
	}
}

// TestU8CopyMap: the SIMD copy-map equals u8CopyMap on odd widths, steps
// and overlapping odd/even rows, with and without a table.
func TestU8CopyMap(t *testing.T) {
	for _, name := range Int8Impls() {
		cm := int8ImplNamed(name).copyMap
		if cm == nil {
			continue
		}
		rng := tensor.NewRNG(3)
		var tab [256]uint8
		for i := range tab {
			tab[i] = uint8(rng.Float32() * 256)
		}
		for _, width := range []int{1, 7, 63, 64, 65, 128, 200} {
			for _, tp := range []*[256]uint8{nil, &tab} {
				n, sstep, dstep := 5, width+3, 2*width+1
				s := make([]uint8, (n-1)*sstep+width+11)
				for i := range s {
					s[i] = uint8(rng.Float32() * 256)
				}
				want, got := make([]uint8, (n-1)*dstep+width+13), make([]uint8, (n-1)*dstep+width+13)
				for i := range want {
					want[i], got[i] = 0x5a, 0x5a
				}
				u8CopyMap(want[1:], dstep, s[2:], sstep, n, width, tp)
				cm(got[1:len(got)-12], dstep, s[2:], sstep, n, width, tp)
				if string(got) != string(want) {
					t.Fatalf("%s: width %d, table %v: differs from u8CopyMap", name, width, tp != nil)
				}
			}
		}
	}
}

// TestInt8TileMasks calls each implementation's tiles directly with
// partial channel masks (prefixes and others; Int8Conv2D itself passes
// whole tiles): the stored bytes equal the generic tile's, the bytes
// outside the mask keep their guard.
func TestInt8TileMasks(t *testing.T) {
	rng := tensor.NewRNG(11)
	const rows, kp, lda, rowStride = 2, 5, 24, 300
	a := make([]uint8, (int8MR-1)*lda+(rows-1)*rowStride+4*kp)
	for i := range a {
		a[i] = uint8(rng.Float32() * 256)
	}
	b := make([]int8, rows*kp*4*int8NR)
	for i := range b {
		b[i] = int8(rng.Float32()*255 - 127)
	}
	comp, mul, add := make([]int32, int8NR), make([]float32, int8NR), make([]float32, int8NR)
	for j := range mul {
		comp[j], mul[j], add[j] = int32(j*37-500), 0.002*float32(1+j%5), float32(j%7)
	}
	res := make([]uint8, (int8MR-1)*40+int8NR)
	for i := range res {
		res[i] = uint8(rng.Float32() * 256)
	}
	gen := int8ImplNamed("generic")
	for _, name := range Int8Impls()[:len(Int8Impls())-1] {
		impl := int8ImplNamed(name)
		for ni, nr := range [2]int{32, 16} {
			for mi, mr := range int8Rows {
				for _, mask := range []uint32{1, 0x7, 0x8001, 0xfff0, 0x7fffffff, 0xa5a5a5a5} {
					mask &= uint32(1)<<nr - 1
					for _, rs := range [][]uint8{nil, res} {
						want, got := make([]uint8, (mr-1)*33+nr+5), make([]uint8, (mr-1)*33+nr+5)
						for i := range want {
							want[i], got[i] = 0x5a, 0x5a
						}
						cm := comp
						if impl.signedA {
							cm = make([]int32, int8NR) // (zx-128)Σw for zx = 0
							for j := range cm {
								for r := 0; r < rows; r++ {
									for p := 0; p < 4*kp; p++ {
										cm[j] -= 128 * int32(b[((r*kp+p/4)*nr+j)*4+p%4])
									}
								}
								cm[j] += comp[j]
							}
						}
						gen.kernels[ni][mi](a, lda, rowStride, rows, kp, b, comp, mul, add, rs, 40, want, 33, 0.7, 9, 3, mask)
						impl.kernels[ni][mi](a, lda, rowStride, rows, kp, b, cm, mul, add, rs, 40, got, 33, 0.7, 9, 3, mask)
						if string(got) != string(want) {
							t.Fatalf("%s %dx%d mask %#x res %v: differs from the generic tile", name, mr, nr, mask, rs != nil)
						}
					}
				}
			}
		}
	}
}
