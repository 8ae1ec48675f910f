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

// cells writes maxPoolCellsAVX2: one pixel, 8 channels a step.
func cells() {
	TEXT("maxPoolCellsAVX2", NOSPLIT, "func(y []float32, arg []int32, x []float32, offs []int, idxs []int32, c int)")
	Pragma("noescape")
	Doc("maxPoolCellsAVX2 is MaxPoolCellsAVX2 without its checks; it requires c > 0.")
	y := Load(Param("y").Base(), GP64())
	arg := Load(Param("arg").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	offs := Load(Param("offs").Base(), GP64())
	ncell := Load(Param("offs").Len(), GP64())
	idxs := Load(Param("idxs").Base(), GP64())
	chans := Load(Param("c"), GP64())
	inf := negInf()
	Comment("j: the channel offset in bytes; chans: channels left (a multiple of 8)")
	j := GP64()
	XORQ(j, j)

	Label("group")
	CMPQ(chans, U8(0))
	JLE(LabelRef("done"))
	Comment("best = -Inf, arg = the first cell's index")
	best, a := YMM(), YMM()
	VMOVAPS(inf, best)
	VPBROADCASTD(Mem{Base: idxs}, a)
	i := GP64()
	XORQ(i, i)

	Label("cell")
	Comment("cell i: x[offs[i]+j : +8] against best, its index idxs[i]")
	p, idx := GP64(), YMM()
	MOVQ(Mem{Base: offs}.Idx(i, 8), p)
	LEAQ(Mem{Base: x}.Idx(p, 4), p)
	VPBROADCASTD(Mem{Base: idxs}.Idx(i, 4), idx)
	cellStep(Mem{Base: p}.Idx(j, 1), best, a, idx)
	INCQ(i)
	CMPQ(i, ncell)
	JLT(LabelRef("cell"))

	Comment("y[j : j+8], arg[j : j+8]; the next 8 channels")
	VMOVUPS(best, Mem{Base: y}.Idx(j, 1))
	VMOVUPS(a, Mem{Base: arg}.Idx(j, 1))
	ADDQ(U8(32), j)
	SUBQ(U8(8), chans)
	JMP(LabelRef("group"))

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
	y := Load(Param("y").Base(), GP64())
	arg := Load(Param("arg").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	offs := Load(Param("offs").Base(), GP64())
	ncell := Load(Param("offs").Len(), GP64())
	idxs := Load(Param("idxs").Base(), GP64())
	n := Load(Param("n"), GP64())
	xstep := Load(Param("xstep"), GP64())
	SHLQ(U8(2), xstep)
	qi := GP64()
	XORQ(qi, qi)
	inf := negInf()
	chans, j := GP64(), GP64()

	// index broadcasts idxs[i] + qi into every lane of v.
	index := func(src Mem, v VecVirtual) {
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
	Load(Param("c"), chans)
	XORQ(j, j)
	for gi, g := range []int{4, 1} {
		group, cell := fmt.Sprintf("group%d", g), fmt.Sprintf("cell%d", g)
		next := "nextpixel"
		if gi == 0 {
			next = "group1"
		}
		Label(group)
		Commentf("%d channels a step: best = -Inf, arg = the first cell's index", 8*g)
		CMPQ(chans, U8(8*g))
		JLT(LabelRef(next))
		best, a := make([]VecVirtual, g), make([]VecVirtual, g)
		for k := range g {
			best[k] = YMM()
			VMOVAPS(inf, best[k])
		}
		a[0] = YMM()
		index(Mem{Base: idxs}, a[0])
		for k := 1; k < g; k++ {
			a[k] = YMM()
			VMOVAPS(a[0], a[k])
		}
		i := GP64()
		XORQ(i, i)

		Label(cell)
		Commentf("cell i: x[offs[i] + q*xstep + j : +%d] against best, its index idxs[i] + q*istep", 8*g)
		idx, p := YMM(), GP64()
		index(Mem{Base: idxs}.Idx(i, 4), idx)
		MOVQ(Mem{Base: offs}.Idx(i, 8), p)
		LEAQ(Mem{Base: x}.Idx(p, 4), p)
		for k := range g {
			cellStep(Mem{Base: p, Disp: 32 * k}.Idx(j, 1), best[k], a[k], idx)
		}
		INCQ(i)
		CMPQ(i, ncell)
		JLT(LabelRef(cell))

		Commentf("y[j : j+%d], arg[j : j+%d]; the next channels", 8*g, 8*g)
		for k := range g {
			VMOVUPS(best[k], Mem{Base: y, Disp: 32 * k}.Idx(j, 1))
		}
		for k := range g {
			VMOVUPS(a[k], Mem{Base: arg, Disp: 32 * k}.Idx(j, 1))
		}
		ADDQ(U32(32*g), j)
		SUBQ(U8(8*g), chans)
		JMP(LabelRef(group))
	}

	Label("nextpixel")
	Comment("y, arg: c floats on; x: xstep floats on; qi += istep")
	ADDQ(j, y)
	ADDQ(j, arg)
	ADDQ(xstep, x)
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
