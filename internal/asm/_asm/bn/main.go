// Command bn writes ../bn_amd64.s and its stubs, the AVX2 batch-norm row
// kernels: one row loop (rows of a row-major matrix, ld floats apart) over
// one column loop (8 columns a step), the body a parameter. Run it with `go
// generate ./internal/asm` (see bn_amd64.go).
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// rowKernel is one row kernel. Its slice parameters are mats (rows of a
// matrix: float32, each moved ld floats on per row) and vecs (per-column
// vectors, the same for every row; the float64 ones are the sums); cols is
// the parameter whose length is the column count.
type rowKernel struct {
	name, sig, cols string
	mats, vecs      []string
	// setup loads what the body needs besides the slices (after them).
	setup func()
	// body computes columns j..j+7 of one row; at(p, off) is the address
	// of element j of p (its row i for a matrix) plus off bytes.
	body func(at func(p string, off int) Mem)
}

var (
	zero  VecVirtual // +0 in every lane (bnApplyRowsAVX2)
	flags Register   // BNResidual | BNReLU (bnApplyRowsAVX2)
)

// Float64 parameters; all others are float32.
var float64s = map[string]bool{"acc": true, "mu": true, "s0": true, "s1": true}

// halves computes the float64 columns j..j+3 and j+4..j+7 of a float32
// row: f(h) for each half h, one step of f at a time over both halves so
// that the two chains interleave. f(h, step) emits step number step.
func halves(steps int, f func(h, step int)) {
	for s := range steps {
		for h := range 2 {
			f(h, s)
		}
	}
}

var kernels = []rowKernel{
	{
		name: "colSum64AVX2", sig: "func(acc []float64, x []float32, rows, ld int)", cols: "acc",
		mats: []string{"x"}, vecs: []string{"acc"},
		body: func(at func(string, int) Mem) {
			Comment("acc[j:j+8] += float64(x[i, j:j+8]), in two halves of 4")
			y := [2]VecVirtual{YMM(), YMM()}
			halves(3, func(h, s int) {
				switch s {
				case 0:
					VCVTPS2PD(at("x", 16*h), y[h])
				case 1:
					VADDPD(at("acc", 32*h), y[h], y[h])
				case 2:
					VMOVUPD(y[h], at("acc", 32*h))
				}
			})
		},
	},
	{
		name: "colSqDev64AVX2", sig: "func(acc, mu []float64, x []float32, rows, ld int)", cols: "acc",
		mats: []string{"x"}, vecs: []string{"acc", "mu"},
		body: func(at func(string, int) Mem) {
			Comment("d = float64(x[i, j:j+8]) - mu[j:j+8]; acc += d*d, the product rounded")
			y := [2]VecVirtual{YMM(), YMM()}
			halves(5, func(h, s int) {
				switch s {
				case 0:
					VCVTPS2PD(at("x", 16*h), y[h])
				case 1:
					VSUBPD(at("mu", 32*h), y[h], y[h])
				case 2:
					VMULPD(y[h], y[h], y[h])
				case 3:
					VADDPD(at("acc", 32*h), y[h], y[h])
				case 4:
					VMOVUPD(y[h], at("acc", 32*h))
				}
			})
		},
	},
	{
		name: "colGradSums64AVX2", sig: "func(s0, s1, mu []float64, dy, x []float32, rows, ld int)", cols: "s0",
		mats: []string{"dy", "x"}, vecs: []string{"s0", "s1", "mu"},
		body: func(at func(string, int) Mem) {
			Comment("g = float64(dy[i, j:j+8]); s0 += g; s1 += g*(float64(x[i, j:j+8]) - mu), the product rounded")
			g := [2]VecVirtual{YMM(), YMM()}
			d := [2]VecVirtual{YMM(), YMM()}
			halves(8, func(h, s int) {
				switch s {
				case 0:
					VCVTPS2PD(at("dy", 16*h), g[h])
				case 1:
					VCVTPS2PD(at("x", 16*h), d[h])
				case 2:
					VSUBPD(at("mu", 32*h), d[h], d[h])
				case 3:
					VMULPD(g[h], d[h], d[h])
				case 4:
					VADDPD(at("s0", 32*h), g[h], g[h])
				case 5:
					VADDPD(at("s1", 32*h), d[h], d[h])
				case 6:
					VMOVUPD(g[h], at("s0", 32*h))
				case 7:
					VMOVUPD(d[h], at("s1", 32*h))
				}
			})
		},
	},
	{
		name: "bnApplyRowsAVX2", sig: "func(y, x, res, mean, scale, shift []float32, rows, ld, flags int)", cols: "mean",
		mats: []string{"y", "x", "res"}, vecs: []string{"mean", "scale", "shift"},
		setup: func() {
			flags = Load(Param("flags"), GP64())
			zero = YMM()
			VXORPS(zero, zero, zero)
		},
		body: func(at func(string, int) Mem) {
			Comment("z = (x[i, j:j+8] - mean)*scale + shift, each step rounded")
			z := YMM()
			VMOVUPS(at("x", 0), z)
			VSUBPS(at("mean", 0), z, z)
			VMULPS(at("scale", 0), z, z)
			VADDPS(at("shift", 0), z, z)
			Comment("z += res[i, j:j+8] with BNResidual")
			TESTQ(U32(1), flags)
			JZ(LabelRef("apply_nores"))
			VADDPS(at("res", 0), z, z)
			Label("apply_nores")
			Comment("z = max(0, z) with BNReLU: z where z is NaN; -0 stays -0")
			TESTQ(U32(2), flags)
			JZ(LabelRef("apply_store"))
			VMAXPS(z, zero, z)
			Label("apply_store")
			VMOVUPS(z, at("y", 0))
		},
	},
	{
		name: "bnGradRowsAVX2", sig: "func(dx, dy, x, mean, a, b, d []float32, rows, ld int)", cols: "mean",
		mats: []string{"dx", "dy", "x"}, vecs: []string{"mean", "a", "b", "d"},
		body: func(at func(string, int) Mem) {
			Comment("dx[i, j:j+8] = (a*dy + b*(x - mean)) + d, each step rounded")
			u, v := YMM(), YMM()
			VMOVUPS(at("dy", 0), u)
			VMULPS(at("a", 0), u, u)
			VMOVUPS(at("x", 0), v)
			VSUBPS(at("mean", 0), v, v)
			VMULPS(at("b", 0), v, v)
			VADDPS(v, u, u)
			VADDPS(at("d", 0), u, u)
			VMOVUPS(u, at("dx", 0))
		},
	},
}

// gen writes k: for each of rows rows (counted down), its columns 8 at a
// time (j, up to cols); the matrices' row pointers move on by 4*ld bytes.
func gen(k rowKernel) {
	TEXT(k.name, NOSPLIT, k.sig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s is %s without its checks.", k.name, "C"+k.name[1:]))
	Comment("Rows counted down; within a row, j runs over the columns 8 at a time;",
		"the matrices' row pointers move on by 4*ld bytes.")
	if float64s[k.vecs[0]] {
		Comment("The float64 sums stay in memory (a row of them, in L1): a block of",
			"rows adds into them in row order, as the Go loop does.")
	}
	base := map[string]Register{}
	for _, p := range append(append([]string{}, k.mats...), k.vecs...) {
		base[p] = Load(Param(p).Base(), GP64())
	}
	cols := Load(Param(k.cols).Len(), GP64())
	rows := Load(Param("rows"), GP64())
	stride := Load(Param("ld"), GP64())
	SHLQ(U8(2), stride)
	if k.setup != nil {
		k.setup()
	}
	j := GP64()
	row, col := k.name+"_row", k.name+"_col"
	Label(row)
	XORQ(j, j)
	Label(col)
	k.body(func(p string, off int) Mem {
		scale := uint8(4)
		if float64s[p] {
			scale = 8
		}
		return Mem{Base: base[p], Disp: off}.Idx(j, scale)
	})
	ADDQ(U8(8), j)
	CMPQ(j, cols)
	JLT(LabelRef(col))
	Comment("next row")
	for _, m := range k.mats {
		ADDQ(stride, base[m])
	}
	DECQ(rows)
	JNZ(LabelRef(row))
	VZEROUPPER()
	RET()
}

func main() {
	ConstraintExpr("gc,!purego")
	for _, k := range kernels {
		gen(k)
	}
	Generate()
}
