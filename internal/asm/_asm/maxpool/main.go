// Command maxpool writes ../pool_amd64.s and its stubs, the AVX2 max-pool
// kernels: for each group of 8 channels, the maximum over a window's cells
// with PyTorch's rule (a greater value or a NaN replaces the best, so the
// first maximum and the last NaN win) and the index of the winning cell.
// The cell step is one function; MaxPoolSpanAVX2's groups of 4 and of 1
// are one loop emitted for each width. Run it with `go generate
// ./internal/asm` (see pool_amd64.go).
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// negInf returns a register with -Inf in every lane.
func negInf() VecVirtual {
	Comment("-Inf in every lane")
	t, v := GP64(), YMM()
	MOVL(U32(0xff800000), t.As32())
	MOVQ(t, v.AsX())
	VPBROADCASTD(v.AsX(), v)
	return v
}

// cellStep compares the 8 channels of one cell at src with best: where
// v > best (ordered) or v is NaN, best = v and arg = idx (the cell's index
// in every lane).
func cellStep(src Mem, best, arg, idx VecVirtual) {
	v, take, nan := YMM(), YMM(), YMM()
	VMOVUPS(src, v)
	VCMPPS(U8(0x1e), best, v, take) // v > best (GT_OQ: ordered, quiet)
	VCMPPS(U8(3), v, v, nan)        // v is NaN (UNORD_Q)
	VORPS(nan, take, take)
	VBLENDVPS(take, v, best, best)
	VBLENDVPS(take, idx, arg, arg)
}

// pool holds the registers of one kernel's pixel loop: the bases of y,
// arg, x, offs and idxs, the number of cells, the channels left and their
// byte offset j, and -Inf in every lane; index broadcasts a cell's index
// (at src in idxs) into every lane of v.
type pool struct {
	y, arg, x, offs, idxs, ncell Register
	chans, j                     GPVirtual
	inf                          VecVirtual
	index                        func(src Mem, v VecVirtual)
}

// load loads the parameters both kernels share and sets -Inf.
func load() *pool {
	p := &pool{
		y:     Load(Param("y").Base(), GP64()),
		arg:   Load(Param("arg").Base(), GP64()),
		x:     Load(Param("x").Base(), GP64()),
		offs:  Load(Param("offs").Base(), GP64()),
		ncell: Load(Param("offs").Len(), GP64()),
		idxs:  Load(Param("idxs").Base(), GP64()),
		chans: GP64(),
		j:     GP64(),
	}
	p.inf = negInf()
	return p
}

// groups writes the loop over a pixel's channels, 8*g a step (g groups of
// 8, each with its best and arg registers), for each g in gs in turn; each
// width takes the channels left while at least 8*g are, then the next
// width, then the label done. chans and j must hold c and 0.
func (p *pool) groups(prefix, done string, gs ...int) {
	for gi, g := range gs {
		group, cell := fmt.Sprintf("%sgroup%d", prefix, g), fmt.Sprintf("%scell%d", prefix, g)
		next := done
		if gi+1 < len(gs) {
			next = fmt.Sprintf("%sgroup%d", prefix, gs[gi+1])
		}
		Label(group)
		Commentf("%d channels a step: best = -Inf, arg = the first cell's index", 8*g)
		CMPQ(p.chans, U8(8*g))
		JLT(LabelRef(next))
		best, a := make([]VecVirtual, g), make([]VecVirtual, g)
		for k := range g {
			best[k] = YMM()
			VMOVAPS(p.inf, best[k])
		}
		a[0] = YMM()
		p.index(Mem{Base: p.idxs}, a[0])
		for k := 1; k < g; k++ {
			a[k] = YMM()
			VMOVAPS(a[0], a[k])
		}
		i := GP64()
		XORQ(i, i)

		Label(cell)
		Commentf("cell i: x[offs[i] + j : +%d] against best, its index idxs[i]", 8*g)
		idx, src := YMM(), GP64()
		p.index(Mem{Base: p.idxs}.Idx(i, 4), idx)
		MOVQ(Mem{Base: p.offs}.Idx(i, 8), src)
		LEAQ(Mem{Base: p.x}.Idx(src, 4), src)
		for k := range g {
			cellStep(Mem{Base: src, Disp: 32 * k}.Idx(p.j, 1), best[k], a[k], idx)
		}
		INCQ(i)
		CMPQ(i, p.ncell)
		JLT(LabelRef(cell))

		Commentf("y[j : j+%d], arg[j : j+%d]; the next channels", 8*g, 8*g)
		for k := range g {
			VMOVUPS(best[k], Mem{Base: p.y, Disp: 32 * k}.Idx(p.j, 1))
		}
		for k := range g {
			VMOVUPS(a[k], Mem{Base: p.arg, Disp: 32 * k}.Idx(p.j, 1))
		}
		ADDQ(U32(32*g), p.j)
		SUBQ(U8(8*g), p.chans)
		JMP(LabelRef(group))
	}
}

// cells writes maxPoolCellsAVX2: one pixel, 8 channels a step.
func cells() {
	TEXT("maxPoolCellsAVX2", NOSPLIT, "func(y []float32, arg []int32, x []float32, offs []int, idxs []int32, c int)")
	Pragma("noescape")
	Doc("maxPoolCellsAVX2 is MaxPoolCellsAVX2 without its checks; it requires c > 0.")
	p := load()
	p.index = func(src Mem, v VecVirtual) { VPBROADCASTD(src, v) }
	Comment("chans: channels left (a multiple of 8); j: their offset in bytes")
	Load(Param("c"), p.chans)
	XORQ(p.j, p.j)
	p.groups("", "done", 1)
	Label("done")
	VZEROUPPER()
	RET()
}

// span writes maxPoolSpanAVX2: n pixels, each 32 channels a step (4 groups
// of 8), then 8 a step.
func span() {
	TEXT("maxPoolSpanAVX2", NOSPLIT, "func(y []float32, arg []int32, x []float32, offs []int, idxs []int32, c, n, xstep, istep int)")
	Pragma("noescape")
	Doc("maxPoolSpanAVX2 is MaxPoolSpanAVX2 without its checks; it requires n > 0 and c > 0.")
	Comment("y, arg, x move on by pixel: c, c and xstep floats; qi = q*istep is",
		"added to every index of pixel q.")
	p := load()
	n := Load(Param("n"), GP64())
	xstep := Load(Param("xstep"), GP64())
	SHLQ(U8(2), xstep)
	qi := GP64()
	XORQ(qi, qi)
	p.index = func(src Mem, v VecVirtual) {
		t := GP64()
		MOVL(src, t.As32())
		ADDL(qi.As32(), t.As32())
		MOVQ(t, v.AsX())
		VPBROADCASTD(v.AsX(), v)
	}

	Label("pixel")
	TESTQ(n, n)
	JEQ(LabelRef("done"))
	Comment("chans: channels left (a multiple of 8); j: their offset in bytes")
	Load(Param("c"), p.chans)
	XORQ(p.j, p.j)
	p.groups("", "nextpixel", 4, 1)

	Label("nextpixel")
	Comment("y, arg: c floats on; x: xstep floats on; qi += istep")
	ADDQ(p.j, p.y)
	ADDQ(p.j, p.arg)
	ADDQ(xstep, p.x)
	istep, err := Param("istep").Resolve()
	if err != nil {
		panic(err)
	}
	ADDQ(istep.Addr, qi)
	DECQ(n)
	JMP(LabelRef("pixel"))

	Label("done")
	VZEROUPPER()
	RET()
}

func main() {
	ConstraintExpr("gc,!purego")
	cells()
	span()
	Generate()
}
