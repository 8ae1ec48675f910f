package kernels

import (
	"fmt"
	"math"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// randBF16 returns n random bf16 values in [-s, s), NaN guard bits in g
// leading and trailing cells when g > 0 (the slice returned excludes them).
func randBF16(rng *tensor.RNG, n int, s float32) []uint16 {
	v := make([]uint16, n)
	for i := range v {
		v[i] = F32ToBF16((rng.Float32()*2 - 1) * s)
	}
	return v
}

const bf16Guard = 0x7fbf // a NaN: guard cells

// TestBF16WinoGemm holds every implementation's Winograd product kernel
// bit for bit to the generic one over tile shapes, odd reductions (kp),
// panel and row-tile counts, slice offsets and NaN guard cells around and
// between the rows of C.
func TestBF16WinoGemm(t *testing.T) {
	rng := tensor.NewRNG(3)
	for _, name := range BF16Impls() {
		im := bf16ImplNamed(name)
		for ni, nr := range [2]int{32, 16} {
			for mi, mr := range bf16Rows {
				for _, kp := range []int{0, 1, 2, 3, 7, 8, 9, 16, 17, 33} {
					for _, np := range []int{1, 2, 3} {
						for _, rt := range []int{1, 2} {
							off := (kp + np + rt) % 4
							lda := 2*kp + off%3
							ldc := np*nr + off
							rows := rt * mr
							a := randBF16(rng, off+(rows-1)*lda+2*kp+3, 2)[off:]
							b := randBF16(rng, off+np*kp*2*nr+5, 2)[off:]
							run := func(f bf16WinoKernel) []float32 {
								c := make([]float32, off+(rows-1)*ldc+np*nr+7)
								for i := range c {
									c[i] = float32(math.NaN())
								}
								f(a, lda, kp, b, np, rt, c[off:], ldc)
								return c
							}
							got, want := run(im.wino.gemm[ni][mi]), run(bf16WinoGeneric.gemm[ni][mi])
							for i := range got {
								g, w := math.Float32bits(got[i]), math.Float32bits(want[i])
								if g != w {
									t.Fatalf("%s %dx%d kp=%d np=%d rt=%d: c[%d] = %v, generic %v", name, mr, nr, kp, np, rt, i-off, got[i], want[i])
								}
								row, col := (i-off)/ldc, (i-off)%ldc
								inside := i >= off && row < rows && col < np*nr
								if isNaN := math.IsNaN(float64(got[i])); inside == isNaN {
									t.Fatalf("%s %dx%d kp=%d np=%d rt=%d: c[%d] = %v (inside %v)", name, mr, nr, kp, np, rt, i-off, got[i], inside)
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestBF16WinoTransforms holds every implementation's input and output
// transforms bit for bit to the generic ones over channel counts around
// 16, one or several tiles a call, odd strides, offsets, partial tiles,
// residual or none, and NaN guard cells; and the generic ones to their
// definition in float64.
func TestBF16WinoTransforms(t *testing.T) {
	rng := tensor.NewRNG(5)
	bt := func(v [4]float64) [4]float64 { return [4]float64{v[0] - v[2], v[1] + v[2], v[2] - v[1], v[1] - v[3]} }
	at := func(v0, v1, v2, v3 float64) [2]float64 { return [2]float64{v0 + v1 + v2, v1 - v2 - v3} }
	for _, name := range BF16Impls() {
		im := bf16ImplNamed(name)
		for _, n := range []int{1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 48, 63} {
			for _, nt := range []int{1, 3} {
				off := n % 3
				// Input: window rows sa apart, pixels sb apart, tiles 2*sb.
				sb := n + n%2
				sa := (2*nt+2)*sb + 3
				ds := n + 5
				dt := 16*ds + 7
				src := randBF16(rng, off+2*(nt-1)*sb+3*sa+3*sb+n, 4)[off:]
				runIn := func(f func([]uint16, int, int, []uint16, int, int, int, int)) []uint16 {
					dst := make([]uint16, off+(nt-1)*dt+15*ds+n+9)
					for i := range dst {
						dst[i] = bf16Guard
					}
					f(dst[off:], ds, dt, src, sa, sb, n, nt)
					return dst
				}
				got, want := runIn(im.wino.in), runIn(bf16WinoGeneric.in)
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s in n=%d nt=%d: dst[%d] = %#04x, generic %#04x", name, n, nt, i-off, got[i], want[i])
					}
					q := i - off
					tt, r := q/dt, q%dt
					inside := q >= 0 && tt < nt && r/ds < 16 && r%ds < n
					if inside != (got[i] != bf16Guard) {
						t.Fatalf("%s in n=%d nt=%d: dst[%d] = %#04x (inside %v)", name, n, nt, q, got[i], inside)
					}
				}
				// The generic transform against BT d B in float64, rounded once.
				for tt := 0; tt < nt; tt++ {
					for c := 0; c < n; c++ {
						var d, tr [4][4]float64
						for i := 0; i < 4; i++ {
							for j := 0; j < 4; j++ {
								d[i][j] = float64(BF16ToF32(src[2*tt*sb+i*sa+j*sb+c]))
							}
						}
						for j := 0; j < 4; j++ {
							col := bt([4]float64{d[0][j], d[1][j], d[2][j], d[3][j]})
							for i := range col {
								tr[i][j] = col[i]
							}
						}
						for i := 0; i < 4; i++ {
							for j, v := range bt(tr[i]) {
								if g := want[off+tt*dt+(4*i+j)*ds+c]; g != F32ToBF16(float32(v)) {
									t.Fatalf("generic in n=%d tile %d c=%d: element %d = %v, want %v", n, tt, c, 4*i+j, BF16ToF32(g), v)
								}
							}
						}
					}
				}
				// Output: 16 elements ss apart, tiles st apart; outputs da, db apart.
				ss := 2*n + 3
				st := 16*ss + 5
				msrc := make([]float32, off+(nt-1)*st+15*ss+n)[off:]
				for i := range msrc {
					msrc[i] = rng.Float32()*8 - 4
				}
				bias := rng.Randn(n).Data
				db := n + 1
				da := 2*nt*db + 2
				for _, rc := range [][2]int{{2, 2}, {1, 2}, {2, 1}, {1, 1}} {
					for _, withRes := range []bool{false, true} {
						for _, floor := range []float32{0, float32(math.Inf(-1))} {
							var res []uint16
							ra, rb := 0, 0
							if withRes {
								rb = n + 2
								ra = 2*nt*rb + 1
								res = randBF16(rng, off+2*(nt-1)*rb+(rc[0]-1)*ra+(rc[1]-1)*rb+n, 2)[off:]
							}
							dlen := off + 2*(nt-1)*db + (rc[0]-1)*da + (rc[1]-1)*db + n
							runOut := func(f func([]uint16, int, int, []float32, int, int, []float32, []uint16, int, int, float32, int, int, int, int)) []uint16 {
								dst := make([]uint16, dlen+9)
								for i := range dst {
									dst[i] = bf16Guard
								}
								f(dst[off:dlen], da, db, msrc, ss, st, bias, res, ra, rb, floor, rc[0], rc[1], n, nt)
								return dst
							}
							got, want := runOut(im.wino.out), runOut(bf16WinoGeneric.out)
							for i := range got {
								if got[i] != want[i] {
									t.Fatalf("%s out n=%d nt=%d %v res=%v: dst[%d] = %#04x, generic %#04x", name, n, nt, rc, withRes, i-off, got[i], want[i])
								}
							}
							inside := make([]bool, len(want))
							for tt := 0; tt < nt; tt++ {
								tc := 2
								if tt == nt-1 {
									tc = rc[1]
								}
								for i := 0; i < rc[0]; i++ {
									for j := 0; j < tc; j++ {
										for c := 0; c < n; c++ {
											o := off + 2*tt*db + i*da + j*db + c
											inside[o] = true
											var m [16]float64
											for e := range m {
												m[e] = float64(msrc[tt*st+e*ss+c])
											}
											var tr [2][4]float64
											for b := 0; b < 4; b++ {
												col := at(m[b], m[4+b], m[8+b], m[12+b])
												tr[0][b], tr[1][b] = col[0], col[1]
											}
											s := at(tr[i][0], tr[i][1], tr[i][2], tr[i][3])[j] + float64(bias[c])
											if withRes {
												s += float64(BF16ToF32(res[2*tt*rb+i*ra+j*rb+c]))
											}
											s = max(s, float64(floor))
											if d := math.Abs(float64(BF16ToF32(want[o])) - s); d > 1e-5+math.Abs(s)/256 {
												t.Fatalf("generic out n=%d tile %d (%d,%d) c=%d: %v, want %v", n, tt, i, j, c, BF16ToF32(want[o]), s)
											}
										}
									}
								}
							}
							for i, v := range want {
								if !inside[i] && v != bf16Guard {
									t.Fatalf("generic out n=%d nt=%d %v: dst[%d] written outside the outputs", n, nt, rc, i-off)
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestBF16Winograd runs the Winograd path of every implementation over odd
// sizes (tiles past the output, windows past the halo), channel counts
// around the panel widths, paddings 0-2, batches, residuals, slice offsets
// and halos: bit for bit against the generic kernels and, for the generic
// kernels, within a tolerance of the float64 convolution of the bf16
// weights and inputs; input unmodified, nothing written outside y's
// interior; the same bits on 1 and 3 threads.
func TestBF16Winograd(t *testing.T) {
	cases := []bf16ConvCase{
		{1, 9, 13, 2, 32, 3, 3, 1, 1, false, true},
		{2, 7, 25, 4, 33, 3, 3, 1, 1, true, true},
		{1, 5, 12, 16, 31, 3, 3, 1, 1, false, true},
		{1, 3, 1, 3, 1, 3, 3, 1, 1, false, false}, // K = 1, W = 1
		{1, 6, 37, 10, 65, 3, 3, 1, 2, true, false},
		{3, 4, 24, 8, 16, 3, 3, 1, 1, true, true},
		{1, 13, 14, 5, 48, 3, 3, 1, 0, false, true},
		{1, 2, 2, 64, 96, 3, 3, 1, 1, true, true},
		{1, 17, 19, 35, 17, 3, 3, 1, 1, true, false},
		{2, 31, 33, 33, 64, 3, 3, 1, 1, true, true}, // several blocks of tiles
	}
	defer SetThreads(Threads())
	for _, name := range BF16Impls() {
		for ci, c := range cases {
			t.Run(fmt.Sprintf("impl=%s/%d", name, ci), func(t *testing.T) {
				rng := tensor.NewRNG(uint64(ci + 21))
				w := rng.Randn(c.k, c.c, 3, 3).Data
				for i := range w {
					w[i] *= float32(1 / math.Sqrt(float64(c.c*9)))
				}
				bias := rng.Randn(c.k).Data
				cv := PackBF16Winograd(w, bias, c.k, c.c, c.pad)
				hx := c.pad + ci%2
				x, _ := guardedBF16Image(rng, c.n, c.h, c.w, cv.Cp, hx, ci%4)
				if cv.Cp != c.c {
					for i := range x.Data {
						if i%cv.Cp == c.c && x.Data[i] != 0 {
							x.Data[i] = 0x4000 // noise in the extra channel: its weights are zero
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
				run := func(impl string, threads int) (BF16Image, []uint16) {
					SetThreads(threads)
					y, buf := guardedBF16Image(rng, c.n, oh, ow, c.k, (ci+2)%3, (ci+3)%4)
					for i := range buf {
						buf[i] = bf16Guard
					}
					im := bf16ImplNamed(impl)
					bf16Conv2D(&im, y, x, cv, res, c.relu)
					return y, buf
				}
				y, buf := run(name, 1)
				for i, v := range x.Data {
					if v != xs[i] {
						t.Fatalf("x[%d] changed", i)
					}
				}
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
					if !inside[i] && v != bf16Guard {
						t.Fatalf("guard cell %d (y starts at %d) written: %#04x", i, off, v)
					}
				}
				y3, _ := run(name, 3)
				gen, _ := run("generic", 2)
				want := bf16WinoNaive(x, cv, res, c.relu)
				exact := bf16ConvNaive(x, w, bias, cv, res, c.relu)
				tol := 2e-6 * float64(16*c.c)
				var se, sd float64 // squared error to the exact convolution, squared values
				for b := 0; b < c.n; b++ {
					for yy := 0; yy < oh; yy++ {
						for xx := 0; xx < ow; xx++ {
							for k := 0; k < c.k; k++ {
								got, g := y.Data[y.Offset(b, yy, xx)+k], gen.Data[gen.Offset(b, yy, xx)+k]
								if got != g || y3.Data[y3.Offset(b, yy, xx)+k] != g {
									t.Fatalf("y[%d,%d,%d,%d] = %#04x (3 threads %#04x), generic %#04x", b, yy, xx, k, got, y3.Data[y3.Offset(b, yy, xx)+k], g)
								}
								wv := want[((b*oh+yy)*ow+xx)*c.k+k]
								if d := math.Abs(float64(BF16ToF32(g)) - wv); d > tol+math.Abs(wv)/128 {
									t.Fatalf("y[%d,%d,%d,%d] = %v, float64 Winograd %v", b, yy, xx, k, BF16ToF32(g), wv)
								}
								ev := exact[((b*oh+yy)*ow+xx)*c.k+k]
								se += (float64(BF16ToF32(g)) - ev) * (float64(BF16ToF32(g)) - ev)
								sd += ev * ev
							}
						}
					}
				}
				// Against the exact convolution of the bf16 weights: an RMS
				// error of a few bf16 roundings (2^-9 relative each).
				if rel := math.Sqrt(se / sd); rel > 0.02 {
					t.Fatalf("relative RMS error to the exact convolution %.4f", rel)
				}
			})
		}
	}
}

// bf16WinoNaive is the Winograd convolution straight from its definition
// in float64, with the roundings the kernels make by design: the
// transformed weights as packed (bf16) and the transformed inputs rounded
// to bf16; products, sums and the output transform exact. The kernels
// differ from it by float32 sums and the final rounding alone.
func bf16WinoNaive(x BF16Image, cv *BF16Conv, res *BF16Image, relu bool) []float64 {
	oh, ow := cv.OutH(x.H), cv.OutW(x.W)
	k, cp, nr := cv.K, cv.Cp, cv.nr
	np, kp := (k+nr-1)/nr, cp/2
	ue := np * kp * 2 * nr
	u := func(e, kk, c int) float64 {
		return float64(BF16ToF32(cv.panels[e*ue+((kk/nr*kp+c/2)*nr+kk%nr)*2+c%2]))
	}
	out := make([]float64, x.N*oh*ow*k)
	bt := func(v [4]float64) [4]float64 { return [4]float64{v[0] - v[2], v[1] + v[2], v[2] - v[1], v[1] - v[3]} }
	for n := 0; n < x.N; n++ {
		for ty := 0; ty < (oh+1)/2; ty++ {
			for tx := 0; tx < (ow+1)/2; tx++ {
				var v [16][]float64
				for e := range v {
					v[e] = make([]float64, cp)
				}
				for c := 0; c < cp; c++ {
					var d [4][4]float64
					for i := 0; i < 4; i++ {
						for j := 0; j < 4; j++ {
							iy, ix := 2*ty-cv.Pad+i, 2*tx-cv.Pad+j
							if iy >= 0 && ix >= 0 && iy < x.H && ix < x.W {
								d[i][j] = float64(BF16ToF32(x.Data[x.Offset(n, iy, ix)+c]))
							}
						}
					}
					var tt [4][4]float64
					for j := 0; j < 4; j++ {
						col := bt([4]float64{d[0][j], d[1][j], d[2][j], d[3][j]})
						for i := range col {
							tt[i][j] = col[i]
						}
					}
					for i := 0; i < 4; i++ {
						for j, val := range bt(tt[i]) {
							v[4*i+j][c] = float64(BF16ToF32(F32ToBF16(float32(val))))
						}
					}
				}
				for kk := 0; kk < k; kk++ {
					var m [16]float64
					for e := range m {
						for c := 0; c < cp; c++ {
							m[e] += u(e, kk, c) * v[e][c]
						}
					}
					for i := 0; i < 2; i++ {
						for j := 0; j < 2; j++ {
							oy, ox := 2*ty+i, 2*tx+j
							if oy >= oh || ox >= ow {
								continue
							}
							// AT m A with AT = [1 1 1 0; 0 1 -1 -1].
							a := [2][4]float64{{1, 1, 1, 0}, {0, 1, -1, -1}}
							var s float64
							for p := 0; p < 4; p++ {
								for q := 0; q < 4; q++ {
									s += a[i][p] * a[j][q] * m[4*p+q]
								}
							}
							s += float64(cv.bias[kk])
							if res != nil {
								s += float64(BF16ToF32(res.Data[res.Offset(n, oy, ox)+kk]))
							}
							if relu {
								s = max(s, 0)
							}
							out[((n*oh+oy)*ow+ox)*k+kk] = s
						}
					}
				}
			}
		}
	}
	return out
}
