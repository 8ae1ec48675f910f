package kernels

import (
	"fmt"
	"math"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

func TestF32ToBF16(t *testing.T) {
	cases := []struct {
		in   uint32
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1
		{0x3f808000, 0x3f80}, // tie, even stays
		{0x3f818000, 0x3f82}, // tie, odd rounds up
		{0x3f808001, 0x3f81}, // above the tie
		{0x7f7fffff, 0x7f80}, // max float32 rounds to +Inf
		{0x00000001, 0x0000}, // denormal to zero
		{0x80400000, 0x8000}, // negative denormal to -0
		{0x7f800001, 0x7fc0}, // signalling NaN made quiet
		{0xff800000, 0xff80}, // -Inf
	}
	for _, c := range cases {
		if got := F32ToBF16(math.Float32frombits(c.in)); got != c.want {
			t.Errorf("F32ToBF16(%#08x) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
}

// bf16ConvNaive is the convolution of the bf16 values in float64, straight
// from its definition: the reference the tiled kernels are held to within
// a tolerance.
func bf16ConvNaive(x BF16Image, w, bias []float32, cv *BF16Conv, res *BF16Image, relu bool) []float64 {
	oh, ow := cv.OutH(x.H), cv.OutW(x.W)
	out := make([]float64, x.N*oh*ow*cv.K)
	for n := 0; n < x.N; n++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for k := 0; k < cv.K; k++ {
					var s float64
					for r := 0; r < cv.R; r++ {
						for q := 0; q < cv.S; q++ {
							iy, ix := oy*cv.Stride-cv.Pad+r, ox*cv.Stride-cv.Pad+q
							if iy < 0 || ix < 0 || iy >= x.H || ix >= x.W {
								continue
							}
							for c := 0; c < cv.C; c++ {
								wv := float64(BF16ToF32(F32ToBF16(w[((k*cv.C+c)*cv.R+r)*cv.S+q])))
								s += wv * float64(BF16ToF32(x.Data[x.Offset(n, iy, ix)+c]))
							}
						}
					}
					if bias != nil {
						s += float64(bias[k])
					}
					if res != nil {
						s += float64(BF16ToF32(res.Data[res.Offset(n, oy, ox)+k]))
					}
					if relu {
						s = max(s, 0)
					}
					out[((n*oh+oy)*ow+ox)*cv.K+k] = s
				}
			}
		}
	}
	return out
}

// guardedBF16Image returns an image of random bf16 values whose Data
// starts off values into a larger slice, the halo zero; guard cells of
// 0x7fbf (a NaN) fill the slack after it.
func guardedBF16Image(rng *tensor.RNG, n, h, w, c, halo, off int) (BF16Image, []uint16) {
	l := BF16ImageLen(n, h, w, c, halo)
	buf := make([]uint16, off+l+5)
	for i := range buf {
		buf[i] = 0x7fbf
	}
	m := BF16Image{Data: buf[off : off+l : off+l], N: n, H: h, W: w, C: c, Halo: halo}
	clear(m.Data)
	for b := 0; b < n; b++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				o := m.Offset(b, y, x)
				for k := 0; k < c; k++ {
					m.Data[o+k] = F32ToBF16(rng.Float32()*2 - 1)
				}
			}
		}
	}
	return m, buf
}

type bf16ConvCase struct {
	n, h, w, c, k, r, s, stride, pad int
	res, relu                        bool
}

func bf16ConvCases() []bf16ConvCase {
	cs := []bf16ConvCase{
		{1, 9, 13, 2, 32, 3, 3, 1, 1, false, true},
		{2, 7, 25, 4, 33, 3, 3, 1, 1, true, true},
		{1, 11, 11, 1, 64, 7, 7, 2, 3, false, true}, // the stem, C = 1
		{1, 8, 29, 6, 17, 1, 1, 2, 0, false, false}, // a downsample
		{1, 5, 12, 16, 31, 3, 3, 2, 1, false, true},
		{1, 3, 1, 3, 1, 3, 3, 1, 1, false, false}, // K = 1, W = 1
		{1, 6, 37, 10, 65, 3, 3, 1, 2, true, false},
		{3, 4, 24, 8, 16, 3, 3, 1, 1, true, true},
		{1, 13, 14, 5, 48, 3, 3, 3, 1, false, true},
		{1, 2, 2, 64, 96, 3, 3, 1, 1, true, true},
		{1, 4, 9, 0x22, 8, 2, 3, 1, 0, false, false},
	}
	return cs
}

// TestBF16Conv2D runs every available bf16 implementation over odd shapes,
// tails, slice offsets and halos: bit for bit against the generic kernel,
// and the generic kernel against a float64 direct convolution within a
// tolerance that grows with the reduction length; input unmodified, no
// write outside y's interior.
func TestBF16Conv2D(t *testing.T) {
	for _, name := range BF16Impls() {
		for ci, c := range bf16ConvCases() {
			t.Run(fmt.Sprintf("impl=%s/%d", name, ci), func(t *testing.T) {
				rng := tensor.NewRNG(uint64(ci + 1))
				w := rng.Randn(c.k, c.c, c.r, c.s).Data
				for i := range w {
					w[i] *= float32(1 / math.Sqrt(float64(c.c*c.r*c.s)))
				}
				bias := rng.Randn(c.k).Data
				cv := PackBF16Conv(w, bias, c.k, c.c, c.r, c.s, c.stride, c.pad)
				hx := c.pad + ci%2
				x, _ := guardedBF16Image(rng, c.n, c.h, c.w, cv.Cp, hx, ci%4)
				if cv.Cp != c.c { // the extra channel holds noise: its weights are zero
					for i := range x.Data {
						if i%cv.Cp == c.c && x.Data[i] != 0 {
							x.Data[i] = 0x4000
						}
					}
				}
				xs := append([]uint16(nil), x.Data...)
				oh, ow := cv.OutH(c.h), cv.OutW(c.w)
				var res *BF16Image
				if c.res {
					r, _ := guardedBF16Image(rng, c.n, oh, ow, c.k, ci%3, (ci+1)%4)
					res = &r
				}
				run := func(impl string) (BF16Image, []uint16) {
					y, buf := guardedBF16Image(rng, c.n, oh, ow, c.k, (ci+2)%3, (ci+3)%4)
					for i := range buf {
						buf[i] = 0x7fbf
					}
					im := bf16ImplNamed(impl)
					bf16Conv2D(&im, y, x, cv, res, c.relu)
					return y, buf
				}
				y, buf := run(name)
				for i, v := range x.Data {
					if v != xs[i] {
						t.Fatalf("x[%d] changed", i)
					}
				}
				// Guards: everything but y's interior keeps its pattern.
				off := 0
				for &buf[off] != &y.Data[0] {
					off++
				}
				inside := make([]bool, len(buf))
				for b := 0; b < c.n; b++ {
					for yy := 0; yy < oh; yy++ {
						for xx := 0; xx < ow; xx++ {
							o := off + y.Offset(b, yy, xx)
							for k := 0; k < c.k; k++ {
								inside[o+k] = true
							}
						}
					}
				}
				for i, v := range buf {
					if !inside[i] && v != 0x7fbf {
						t.Fatalf("guard cell %d (y starts at %d) written: %#04x", i, off, v)
					}
				}
				gen, _ := run("generic")
				want := bf16ConvNaive(x, w, bias, cv, res, c.relu)
				tol := 2e-6 * float64(c.c*c.r*c.s)
				for b := 0; b < c.n; b++ {
					for yy := 0; yy < oh; yy++ {
						for xx := 0; xx < ow; xx++ {
							for k := 0; k < c.k; k++ {
								got, g := y.Data[y.Offset(b, yy, xx)+k], gen.Data[gen.Offset(b, yy, xx)+k]
								if got != g {
									t.Fatalf("y[%d,%d,%d,%d] = %#04x, generic %#04x", b, yy, xx, k, got, g)
								}
								wv := want[((b*oh+yy)*ow+xx)*c.k+k]
								if d := math.Abs(float64(BF16ToF32(g)) - wv); d > tol+math.Abs(wv)/128 {
									t.Fatalf("y[%d,%d,%d,%d] = %v, float64 reference %v", b, yy, xx, k, BF16ToF32(g), wv)
								}
							}
						}
					}
				}
			})
		}
	}
}

func TestBF16MaxPool(t *testing.T) {
	rng := tensor.NewRNG(11)
	for _, c := range [][4]int{{1, 7, 9, 5}, {2, 8, 8, 64}, {1, 1, 3, 6}, {1, 5, 1, 3}} {
		x, _ := guardedBF16Image(rng, c[0], c[1], c[2], c[3], 1, 1)
		for i, v := range x.Data {
			x.Data[i] = v &^ 0x8000 // non-negative
		}
		y := NewBF16Image(c[0], (c[1]-1)/2+1, (c[2]-1)/2+1, c[3], 1)
		BF16MaxPool3x3s2(y, x)
		for n := 0; n < y.N; n++ {
			for oy := 0; oy < y.H; oy++ {
				for ox := 0; ox < y.W; ox++ {
					for k := 0; k < y.C; k++ {
						want := float32(math.Inf(-1))
						for r := 0; r < 3; r++ {
							for s := 0; s < 3; s++ {
								iy, ix := 2*oy-1+r, 2*ox-1+s
								if iy >= 0 && ix >= 0 && iy < x.H && ix < x.W {
									want = max(want, BF16ToF32(x.Data[x.Offset(n, iy, ix)+k]))
								}
							}
						}
						if got := BF16ToF32(y.Data[y.Offset(n, oy, ox)+k]); got != want {
							t.Fatalf("%v: y[%d,%d,%d,%d] = %v, want %v", c, n, oy, ox, k, got, want)
						}
					}
				}
			}
		}
	}
}
