package unet

import (
	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// Two autograd operations the U-Net needs that nn does not provide: the
// fused scSE recombination and a top-left pad/crop of NCHW images.

// scseCombine returns y [N, H, W, C] = x * (cs[n, c] + ss[n, h, w]) for
// x [N, H, W, C], channel gates cs [N, C] and spatial gates ss [N, H, W, 1]:
// scSE's x*cSE(x) + x*sSE(x) in one pass.
func scseCombine(x, cs, ss *nn.Value) *nn.Value {
	xs := x.Data.Shape
	if len(xs) != 4 {
		tensor.Panicf("unet", "scseCombine: x has shape %v, want [N, H, W, C]", xs)
	}
	n, hw, c := xs[0], xs[1]*xs[2], xs[3]
	if cs.Data.Numel() != n*c || ss.Data.Numel() != n*hw {
		tensor.Panicf("unet", "scseCombine: gates %v and %v do not fit x %v", cs.Data.Shape, ss.Data.Shape, xs)
	}
	y := nn.ExecOf(x, cs, ss).Alloc(xs...)
	xd, cd, sd, yd := x.Data.Data, cs.Data.Data, ss.Data.Data, y.Data
	kernels.Parallel(n*hw, 64, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			cg := cd[(p/hw)*c : (p/hw+1)*c]
			s := sd[p]
			xr, yr := xd[p*c:(p+1)*c], yd[p*c:(p+1)*c]
			for j := range yr {
				yr[j] = xr[j] * (cg[j] + s)
			}
		}
	})
	return nn.NewResult(y, func(out *nn.Value) {
		dy := out.Grad.Data
		if x.RequiresGrad {
			dx := x.GradTensor().Data
			kernels.Parallel(n*hw, 64, func(lo, hi int) {
				for p := lo; p < hi; p++ {
					cg := cd[(p/hw)*c : (p/hw+1)*c]
					s := sd[p]
					for j := 0; j < c; j++ {
						dx[p*c+j] += dy[p*c+j] * (cg[j] + s)
					}
				}
			})
		}
		if ss.RequiresGrad {
			ds := ss.GradTensor().Data
			kernels.Parallel(n*hw, 64, func(lo, hi int) {
				for p := lo; p < hi; p++ {
					var acc float64
					for j := 0; j < c; j++ {
						acc += float64(dy[p*c+j]) * float64(xd[p*c+j])
					}
					ds[p] += float32(acc)
				}
			})
		}
		if cs.RequiresGrad {
			dc := cs.GradTensor().Data
			// Per image and channel: the sum over pixels, in float64.
			kernels.Parallel(n, 1, func(lo, hi int) {
				acc := make([]float64, c)
				for b := lo; b < hi; b++ {
					clear(acc)
					for p := b * hw; p < (b+1)*hw; p++ {
						dyr, xr := dy[p*c:(p+1)*c], xd[p*c:(p+1)*c]
						for j := range acc {
							acc[j] += float64(dyr[j]) * float64(xr[j])
						}
					}
					for j := range acc {
						dc[b*c+j] += float32(acc[j])
					}
				}
			})
		}
	}, x, cs, ss)
}

// padCrop returns x [N, C, H, W] as [N, C, h, w]: the top-left min(H, h) x
// min(W, w) region of x, zeros elsewhere. Its gradient is the same operation
// backwards (crop or pad of the output gradient).
func padCrop(x *nn.Value, h, w int) *nn.Value {
	xs := x.Data.Shape
	if len(xs) != 4 {
		tensor.Panicf("unet", "padCrop: x has shape %v, want [N, C, H, W]", xs)
	}
	nc, hi, wi := xs[0]*xs[1], xs[2], xs[3]
	y := nn.ExecOf(x).Alloc(xs[0], xs[1], h, w)
	copyRegion(y.Data, x.Data.Data, nc, hi, wi, h, w, false)
	return nn.NewResult(y, func(out *nn.Value) {
		if x.RequiresGrad {
			copyRegion(x.GradTensor().Data, out.Grad.Data, nc, h, w, hi, wi, true)
		}
	}, x)
}

// copyRegion writes (or adds, with add) the top-left overlap of src planes
// [nc, hs, ws] into dst planes [nc, hd, wd]; without add, dst cells outside
// the overlap become zero.
func copyRegion(dst, src []float32, nc, hs, ws, hd, wd int, add bool) {
	hh, ww := min(hs, hd), min(ws, wd)
	kernels.Parallel(nc, 1, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			d, s := dst[p*hd*wd:(p+1)*hd*wd], src[p*hs*ws:(p+1)*hs*ws]
			if !add {
				clear(d)
			}
			for r := 0; r < hh; r++ {
				dr, sr := d[r*wd:r*wd+ww], s[r*ws:r*ws+ww]
				if add {
					for j := range dr {
						dr[j] += sr[j]
					}
				} else {
					copy(dr, sr)
				}
			}
		}
	})
}
