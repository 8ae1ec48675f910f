// Command gemm writes ../gemm_amd64.s and ../gemm_stubs_amd64.go: the
// amd64 GEMM micro-kernels, the FMA peak probes and the two copy kernels
// of the GEMM driver (PackRow32AVX, Transpose8AVX). Each kernel family is
// one Go function over a tile (MR x NR floats, ymm or zmm registers): a
// new tile or ISA is a line in main, not a copy of the assembly. Run it
// with `go generate ./internal/asm` (see gemm_amd64.go).
//
// Register use of every GEMM kernel: accumulators V0 .. V(MR*NV-1) (row i
// in V(i*NV) .. V(i*NV+NV-1), NV vectors a row), then the NV vectors of
// the current row of B, then the broadcast temporaries, rotated. A's rows
// are addressed from one base register per three rows: (base),
// (base)(LDA*1), (base)(LDA*2).
package main

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// tile is a register tile of an ISA and the k-unroll of its loop.
type tile struct {
	mr, nr int
	isa    string // "AVX2" (ymm, 16 registers) or "AVX512" (zmm, 32)
	unroll int    // steps of k per loop iteration
	packB  bool   // step also stores B's row at regPK (setTiles' packB)
}

func (t tile) name() string             { return fmt.Sprintf("%dx%d%s", t.mr, t.nr, t.isa) }
func (t tile) lanes() int               { return map[string]int{"AVX2": 8, "AVX512": 16}[t.isa] }
func (t tile) vbytes() int              { return 4 * t.lanes() }
func (t tile) nv() int                  { return t.nr / t.lanes() }
func (t tile) nacc() int                { return t.mr * t.nv() }
func (t tile) nregs() int               { return map[string]int{"AVX2": 16, "AVX512": 32}[t.isa] }
func (t tile) acc(i, v int) VecPhysical { return t.vec(i*t.nv() + v) }
func (t tile) bvec(v int) VecPhysical   { return t.vec(t.nacc() + v) }

// tmp is the broadcast temporary of row i: the registers after B's, in
// turn.
func (t tile) tmp(i int) VecPhysical {
	first := t.nacc() + t.nv()
	return t.vec(first + i%(t.nregs()-first))
}

func (t tile) vec(i int) VecPhysical {
	if i >= t.nregs() {
		panic(fmt.Sprintf("tile %s needs vector register %d", t.name(), i))
	}
	if t.isa == "AVX512" {
		return zmm[i]
	}
	return ymm[i]
}

var (
	ymm = []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
	zmm = []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}
)

// The general registers of the GEMM kernels.
var (
	regK    = RCX                             // steps of k left
	regLDA  = RDX                             // lda in bytes
	regBPAN = RDI                             // the current row of B
	regCP   = R9                              // the current row of C
	regLDC  = R10                             // ldc in bytes
	regLDB  = R11                             // ldb in bytes
	regPK   = RBX                             // packed B (PackTiles, in the k loop)
	regPFB  = R14                             // rows of B ahead, in bytes (PackTiles)
	rowBase = []GPPhysical{RSI, R8, R12, R13} // rows 0, 3, 6, 9 of A
)

func (t tile) bases() []GPPhysical {
	n := (t.mr + 2) / 3
	if n > len(rowBase) {
		panic(fmt.Sprintf("tile %s: too many rows", t.name()))
	}
	return rowBase[:n]
}

// rowA is the address of A[i, p] for the current p.
func (t tile) rowA(i int) Mem {
	m := Mem{Base: t.bases()[i/3]}
	if i%3 > 0 {
		m.Index, m.Scale = regLDA, uint8(i%3)
	}
	return m
}

// setupA sets the row bases from A's first row (already in rowBase[0])
// and lda (in elements in regLDA on entry, in bytes after); tmp3 is
// clobbered with 3*lda bytes.
func (t tile) setupA(tmp3 GPPhysical) {
	SHLQ(U8(2), regLDA)
	if len(t.bases()) == 1 {
		return
	}
	LEAQ(Mem{Base: regLDA, Index: regLDA, Scale: 2}, tmp3)
	for g := 1; g < len(t.bases()); g++ {
		LEAQ(Mem{Base: t.bases()[g-1], Index: tmp3, Scale: 1}, t.bases()[g])
	}
}

// step emits one step of k: a row of B, then per row of A a broadcast and
// NV FMAs; then A and B move on by one step.
func (t tile) step() {
	Comment("One step of k: B[p, :], then per row A[i, p] broadcast, NV FMAs.")
	for v := 0; v < t.nv(); v++ {
		VMOVUPS(Mem{Base: regBPAN, Disp: v * t.vbytes()}, t.bvec(v))
	}
	if t.packB {
		Comment("B[p, :] packed, and B[p+pfRows, :] on its way.")
		for v := 0; v < t.nv(); v++ {
			VMOVUPS(t.bvec(v), Mem{Base: regPK, Disp: v * t.vbytes()})
		}
		for l := 0; l < t.nr*4/64; l++ {
			PREFETCHT0(Mem{Base: regBPAN, Index: regPFB, Scale: 1, Disp: 64 * l})
		}
		ADDQ(U32(4*t.nr), regPK)
	}
	for i := 0; i < t.mr; i++ {
		VBROADCASTSS(t.rowA(i), t.tmp(i))
		for v := 0; v < t.nv(); v++ {
			VFMADD231PS(t.bvec(v), t.tmp(i), t.acc(i, v))
		}
	}
	for _, b := range t.bases() {
		ADDQ(U8(4), b)
	}
	ADDQ(regLDB, regBPAN)
}

// kloop emits the k loop: K steps, t.unroll per iteration, then the rest
// one at a time; it falls through to its end with K == 0. prefetch, when
// not nil, is emitted at the top of each unrolled iteration.
func (t tile) kloop(label string, prefetch func()) {
	u := t.unroll
	CMPQ(regK, U8(u))
	JLT(LabelRef("tail" + label))
	Label("loop" + label)
	Commentf("%d steps of k per iteration", u)
	if prefetch != nil {
		prefetch()
	}
	for s := 0; s < u; s++ {
		t.step()
	}
	SUBQ(U8(u), regK)
	CMPQ(regK, U8(u))
	JGE(LabelRef("loop" + label))
	Label("tail" + label)
	Commentf("the last k%%%d steps", u)
	TESTQ(regK, regK)
	JEQ(LabelRef("done" + label))
	t.step()
	if u > 2 {
		DECQ(regK)
		JMP(LabelRef("tail" + label))
	}
	Label("done" + label)
}

// forRows emits f(lo, hi) for every row's accumulators, moving regCP on by
// regLDC after each row when move is set.
func (t tile) rowsC(f func(mem Mem, acc VecPhysical), move bool) {
	for i := 0; i < t.mr; i++ {
		for v := 0; v < t.nv(); v++ {
			f(Mem{Base: regCP, Disp: v * t.vbytes()}, t.acc(i, v))
		}
		if move {
			ADDQ(regLDC, regCP)
		}
	}
}

func (t tile) loadC()  { t.rowsC(func(m Mem, a VecPhysical) { VMOVUPS(m, a) }, true) }
func (t tile) storeC() { t.rowsC(func(m Mem, a VecPhysical) { VMOVUPS(a, m) }, true) }

func (t tile) zero() {
	for i := 0; i < t.nacc(); i++ {
		if t.isa == "AVX512" {
			VPXORD(t.vec(i), t.vec(i), t.vec(i))
		} else {
			VXORPS(t.vec(i), t.vec(i), t.vec(i))
		}
	}
}

// addBias loads the bias row at ptr into B's registers and adds it to
// every row.
func (t tile) addBias(ptr GPPhysical) {
	for v := 0; v < t.nv(); v++ {
		VMOVUPS(Mem{Base: ptr, Disp: v * t.vbytes()}, t.bvec(v))
	}
	for i := 0; i < t.mr; i++ {
		for v := 0; v < t.nv(); v++ {
			VADDPS(t.bvec(v), t.acc(i, v), t.acc(i, v))
		}
	}
}

// loadCP sets regCP and regLDC (bytes) to c and ldc.
func loadCP() {
	Load(Param("c").Base(), regCP)
	Load(Param("ldc"), regLDC)
	SHLQ(U8(2), regLDC)
}

// blocks emits the loop over nb blocks of k steps, A moving adv floats
// from the end of one block to the start of the next; nb and adv take
// regCP's and regLDC's registers, free while C is not touched.
func (t tile) blocks(label string) {
	nb, adv := regCP, regLDC
	Load(Param("nb"), nb)
	Load(Param("adv"), adv)
	SHLQ(U8(2), adv)
	Label("block" + label)
	Load(Param("k"), regK)
	t.kloop(label, nil)
	Comment("A moves on to the next block")
	for _, b := range t.bases() {
		ADDQ(adv, b)
	}
	DECQ(nb)
	JNE(LabelRef("block" + label))
}

// regs describes the register use of t's kernels in a comment.
func (t tile) regs() {
	last := func(i int) string { return t.vec(i).Asm() }
	Commentf("%dx%d tile, %s: accumulators %s..%s (row i in %d registers from %d*i),",
		t.mr, t.nr, t.isa, last(0), last(t.nacc()-1), t.nv(), t.nv())
	Commentf("B's row in %s..%s, A's broadcasts rotate through %s..%s;",
		last(t.nacc()), last(t.nacc()+t.nv()-1), last(t.nacc()+t.nv()), last(t.nregs()-1))
	var bases, rows []string
	for g, b := range t.bases() {
		bases, rows = append(bases, b.Asm()), append(rows, fmt.Sprint(3*g))
	}
	Commentf("K = CX steps, A's rows from %s (rows %s) with", strings.Join(bases, ", "), strings.Join(rows, ", "))
	Comment("LDA = DX bytes, B = DI (LDB = R11 bytes), C = R9 (LDC = R10 bytes).")
}

// startA loads k, A, lda and B (with ldb) into their registers.
func (t tile) startA() {
	Load(Param("k"), regK)
	Load(Param("a").Base(), rowBase[0])
	Load(Param("lda"), regLDA)
	t.setupA(RAX)
	Load(Param("b").Base(), regBPAN)
	Load(Param("ldb"), regLDB)
	SHLQ(U8(2), regLDB)
}

func end() {
	VZEROUPPER()
	RET()
}

// gemm emits sgemm<tile>: C += A*B with A in nb blocks (Sgemm<tile> and
// Sgemm<tile>Blocks).
func gemm(t tile) {
	name := "sgemm" + t.name()
	TEXT(name, NOSPLIT, "func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, nb, adv int)")
	Pragma("noescape")
	Doc(name+" computes Sgemm"+t.name()+"Blocks with kb = k and ab-kb = adv.",
		"It requires k >= 1 and that wrapper's conditions.")
	t.regs()
	t.startA()
	Comment("Accumulators start from C.")
	loadCP()
	t.loadC()
	t.blocks("G")
	loadCP()
	t.storeC()
	end()
}

// biasBlocks emits sgemm<tile>BiasBlocks: gemm with the accumulators
// starting from a bias row (or zero) instead of C, which is only written.
// C's lines are prefetched first, while the products run (the stores
// missed otherwise: 7x7 3->64 @512 took 8% longer than filling C with the
// bias first).
func biasBlocks(t tile) {
	name := "sgemm" + t.name() + "BiasBlocks"
	TEXT(name, NOSPLIT, "func(k int, a []float32, lda int, b []float32, ldb int, bias []float32, c []float32, ldc int, nb, adv int)")
	Pragma("noescape")
	Doc(name + " is Sgemm" + t.name() + "BiasBlocks with kb = k and ab-kb = adv.")
	Comment("Bring C's lines in while the products run.")
	loadCP()
	t.rowsC(func(m Mem, _ VecPhysical) { PREFETCHT0(m) }, true)
	t.startA()
	Comment("Accumulators start from the bias row, or zero.")
	Load(Param("bias").Len(), RAX)
	TESTQ(RAX, RAX)
	JEQ(LabelRef("zeroBB"))
	Load(Param("bias").Base(), RAX)
	for v := 0; v < t.nv(); v++ {
		VMOVUPS(Mem{Base: RAX, Disp: v * t.vbytes()}, t.acc(0, v))
	}
	for i := 1; i < t.mr; i++ {
		for v := 0; v < t.nv(); v++ {
			VMOVAPS(t.acc(0, v), t.acc(i, v))
		}
	}
	JMP(LabelRef("startBB"))
	Label("zeroBB")
	t.zero()
	Label("startBB")
	t.blocks("BB")
	loadCP()
	t.storeC()
	end()
}

// tilesOpts are the variants of setTiles.
type tilesOpts struct {
	// prefetch: AX walks the next row tile's A, row by row (lda apart),
	// one line per iteration of the k loop, and C's next tile is
	// prefetched at the start of each tile.
	prefetch bool
	// packB: B is read in place (ldb apart, pstride floats from one panel
	// to the next), each row's vectors prefetched pfRows rows ahead, and
	// also stored to pk, the panels packed one after another (k*nr floats
	// each): the first row tile of a block packs B as it computes.
	packB  bool
	pfRows int
	// lateC: C's lines are prefetched again in the last steps of a tile
	// (k >= 64).
	lateC bool
}

// lateK is the shortest k for which SetTiles prefetches C again at a
// tile's end: with k = 64 (1x1 64->128, Winograd products of 64 channels)
// the B panel (8 KiB) leaves C in L1 and the extra loops buy nothing.
const lateK = 192

// setTiles emits sgemm<tile>SetTiles over rt x np tiles: tile (r, q) reads
// A from a[mr*r*lda:], B from b[q*pstride:], its bias from bias[nr*q:]
// (when not empty) and sets C at c[mr*r*ldc+nr*q:]; with add the
// accumulators start from C instead (C += the product). The
// panels left, the panel of B, the row tile's A and C, the tile's C
// and bias, the row tiles left and the state of the prefetch walk live
// in the frame. With o.packB it is sgemm<tile>PackTiles, which
// also writes B packed to pk.
func setTiles(t tile, o tilesOpts) {
	name := "sgemm" + t.name() + "SetTiles"
	sig := "func(k int, a []float32, lda, rt int, b []float32, ldb, pstride, np int, bias []float32, c []float32, ldc int, add bool)"
	if o.packB {
		name = "sgemm" + t.name() + "PackTiles"
		sig = "func(k int, a []float32, lda, rt int, b []float32, ldb, pstride, np int, bias []float32, c []float32, ldc int, add bool, pk []float32)"
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	if o.packB {
		Doc(name+" is Sgemm"+t.name()+"PackTiles without its checks.",
			"It requires rt >= 1 and that wrapper's conditions.")
	} else {
		Doc(name+" is Sgemm"+t.name()+"SetTiles (add false) and Sgemm"+t.name()+"Tiles (add true, no bias).",
			"It requires rt >= 1 and those wrappers' conditions.")
	}
	t.regs()
	Comment("AX: the next row tile's A (prefetched), R15: lines left in AX's row.")
	curc, curbias, rtleft, arow, crow := AllocLocal(8), AllocLocal(8), AllocLocal(8), AllocLocal(8), AllocLocal(8)
	panleft, bpan := AllocLocal(8), AllocLocal(8) // panels left, the panel of B
	var pflines, pfjump, pkcur Mem
	if o.prefetch {
		pflines, pfjump = AllocLocal(8), AllocLocal(8)
		Comment("The walk over the rows of A from the next row tile's on: lines a",
			"row (k/16 rounded up, plus one: a row need not start on a line), and",
			"the jump from past a row's last line to the next row. It goes on",
			"past the next row tile while panels are left (Winograd products with",
			"k = 128: 2-4% less time than stopping there), and starts again at",
			"the next row tile with each row tile.")
		Load(Param("k"), RCX)
		ADDQ(U8(15), RCX)
		SHRQ(U8(4), RCX)
		INCQ(RCX)
		MOVQ(RCX, pflines)
		SHLQ(U8(6), RCX)
		Load(Param("lda"), RDX)
		SHLQ(U8(2), RDX)
		SUBQ(RCX, RDX)
		MOVQ(RDX, pfjump)
	}
	if o.packB {
		pkcur = AllocLocal(8)
	}
	Load(Param("rt"), RCX)
	MOVQ(RCX, rtleft)
	Load(Param("a").Base(), RCX)
	MOVQ(RCX, arow)
	Load(Param("c").Base(), RCX)
	MOVQ(RCX, crow)

	Label("rowST")
	if o.packB {
		Comment("Each row tile writes the packed panels (the same) from pk on.")
		Load(Param("pk").Base(), RCX)
		MOVQ(RCX, pkcur)
	}
	Load(Param("np"), RCX)
	MOVQ(RCX, panleft)
	Load(Param("b").Base(), RCX)
	MOVQ(RCX, bpan)
	MOVQ(crow, RCX)
	MOVQ(RCX, curc)
	Load(Param("bias").Base(), RCX)
	MOVQ(RCX, curbias)
	if o.prefetch {
		Load(Param("lda"), RCX)
		IMUL3Q(U32(4*t.mr), RCX, RCX)
		MOVQ(arow, RAX)
		ADDQ(RCX, RAX)
		MOVQ(pflines, R15)
	}

	Label("panelST")
	Load(Param("k"), regK)
	MOVQ(arow, rowBase[0])
	Load(Param("lda"), regLDA)
	t.setupA(R13) // R13, the last base, set last
	MOVQ(bpan, regBPAN)
	Load(Param("ldb"), regLDB)
	SHLQ(U8(2), regLDB)

	Comment("Accumulators start at zero, or from C with add.")
	Load(Param("add"), regCP)
	TESTQ(regCP, regCP)
	JNE(LabelRef("loadST"))
	t.zero()
	JMP(LabelRef("startST"))
	Label("loadST")
	MOVQ(curc, regCP)
	Load(Param("ldc"), regLDC)
	SHLQ(U8(2), regLDC)
	t.loadC()

	Label("startST")
	var pf func()
	if o.packB {
		Comment("BX: where B's rows go packed; R14: pfRows rows of B, in bytes.")
		MOVQ(pkcur, regPK)
		IMUL3Q(U32(o.pfRows), regLDB, regPFB)
	}
	if o.prefetch {
		Comment("The next panel's tile of C to L1 while this one computes, when k",
			"is long enough to hide it (its loads, or the stores that set it,",
			"missed otherwise: 1024^3 on one thread spent 6% of the kernel's",
			"time loading C).")
		CMPQ(regK, U8(64))
		JLT(LabelRef("kloopST"))
		Load(Param("ldc"), regLDC)
		SHLQ(U8(2), regLDC)
		MOVQ(curc, regCP)
		ADDQ(U32(4*t.nr), regCP)
		CMPQ(panleft, U8(1))
		JNE(LabelRef("pfcST"))
		Comment("After the last panel: the next row tile's first.")
		IMUL3Q(U32(t.mr), regLDC, regCP)
		ADDQ(crow, regCP)
		Label("pfcST")
		t.rowsC(func(m Mem, _ VecPhysical) { PREFETCHT0(m) }, true)
	}
	// walk emits the prefetch of the next row tile's A, one line.
	walk := func(lbl string) {
		PREFETCHT0(Mem{Base: RAX})
		ADDQ(U8(64), RAX)
		DECQ(R15)
		JNE(LabelRef("pfok" + lbl))
		Comment("Past the row's last line: the next row.")
		ADDQ(pfjump, RAX)
		MOVQ(pflines, R15)
		Label("pfok" + lbl)
	}
	if o.prefetch && o.lateC {
		Comment("With k >= lateK, the last 4*mr steps bring C's lines back to L1, a",
			"row of them per iteration: this tile's (which the B panel streaming",
			"through L1 evicted since it was loaded) for its stores, then the",
			"next tile's for its loads.")
		CMPQ(regK, U32(lateK))
		JLT(LabelRef("kloopST"))
		SUBQ(U8(4*t.mr), regK)
		t.kloop("SA", func() { walk("SA") })
		MOVQ(curc, regCP)
		Load(Param("ldc"), regLDC)
		SHLQ(U8(2), regLDC)
		MOVQ(U32(2*t.mr), regK)
		rowC := func(lbl string) func() {
			return func() {
				walk(lbl)
				for v := 0; v < t.nv(); v++ {
					PREFETCHT0(Mem{Base: regCP, Disp: v * t.vbytes()})
				}
				ADDQ(regLDC, regCP)
			}
		}
		t.kloop("SB", rowC("SB"))
		Comment("The next tile's C: the next panel's, or after the last the next row tile's first.")
		MOVQ(curc, regCP)
		ADDQ(U32(4*t.nr), regCP)
		CMPQ(panleft, U8(1))
		JNE(LabelRef("pfc2ST"))
		IMUL3Q(U32(t.mr), regLDC, regCP)
		ADDQ(crow, regCP)
		Label("pfc2ST")
		MOVQ(U32(2*t.mr), regK)
		t.kloop("SC", rowC("SC"))
		JMP(LabelRef("kdoneST"))
	}
	Label("kloopST")
	if o.prefetch {
		pf = func() { walk("ST") }
	}
	t.kloop("ST", pf)
	Label("kdoneST")
	if o.packB {
		MOVQ(regPK, pkcur)
	}

	Load(Param("bias").Len(), RCX)
	TESTQ(RCX, RCX)
	JEQ(LabelRef("storeST"))
	MOVQ(curbias, RCX)
	t.addBias(RCX)

	Label("storeST")
	MOVQ(curc, regCP)
	Load(Param("ldc"), regLDC)
	SHLQ(U8(2), regLDC)
	t.storeC()
	Comment("Next panel: C and bias nr floats on, B pstride floats on.")
	ADDQ(U32(4*t.nr), curc)
	ADDQ(U32(4*t.nr), curbias)
	Load(Param("pstride"), RCX)
	SHLQ(U8(2), RCX)
	ADDQ(RCX, bpan)
	DECQ(panleft)
	JNE(LabelRef("panelST"))

	Comment("Next row tile: A and C mr rows on.")
	Load(Param("lda"), RCX)
	IMUL3Q(U32(4*t.mr), RCX, RCX)
	ADDQ(RCX, arow)
	Load(Param("ldc"), RCX)
	IMUL3Q(U32(4*t.mr), RCX, RCX)
	ADDQ(RCX, crow)
	DECQ(rtleft)
	JNE(LabelRef("rowST"))
	end()
}

// set emits sgemm<tile>Set: one tile set to the product plus a bias row
// (the last rows of a product whose rows are not a multiple of the full
// tile's).
func set(t tile) {
	name := "sgemm" + t.name() + "Set"
	TEXT(name, NOSPLIT, "func(k int, a []float32, lda int, b []float32, ldb int, bias []float32, c []float32, ldc int)")
	Pragma("noescape")
	Doc(name + " is Sgemm" + t.name() + "Set without its checks.")
	t.regs()
	t.startA()
	t.zero()
	t.kloop("S", nil)
	Load(Param("bias").Len(), RAX)
	TESTQ(RAX, RAX)
	JEQ(LabelRef("storeS"))
	Load(Param("bias").Base(), RAX)
	t.addBias(RAX)
	Label("storeS")
	loadCP()
	t.storeC()
	end()
}

// fmaLoop emits the peak probe: n iterations of 12 independent FMA chains.
func fmaLoop(isa string) {
	t := tile{isa: isa}
	name := "fmaLoop" + isa
	TEXT(name, NOSPLIT, "func(n int)")
	Pragma("noescape")
	Doc(name + " runs n >= 1 iterations of 12 independent FMA chains (FMALoop).")
	Load(Param("n"), RCX)
	Comment("Zeros: no denormals, no overflow (VEX zeroing clears the whole zmm).")
	for i := 0; i < 14; i++ {
		VXORPS(ymm[i], ymm[i], ymm[i])
	}
	Label("peak")
	for i := 0; i < 12; i++ {
		VFMADD231PS(t.vec(12), t.vec(13), t.vec(i))
	}
	DECQ(RCX)
	JNE(LabelRef("peak"))
	end()
}

// packRow32 emits the AVX copy of n >= 1 runs of 32 floats, src
// contiguous, dst ds floats apart.
func packRow32() {
	TEXT("packRow32AVX", NOSPLIT, "func(dst *float32, ds int, src *float32, n int)")
	Pragma("noescape")
	Doc("packRow32AVX is PackRow32AVX for n >= 1, without its checks.")
	Load(Param("dst"), RDI)
	Load(Param("ds"), RBX)
	SHLQ(U8(2), RBX)
	Load(Param("src"), RSI)
	Load(Param("n"), RCX)
	Label("run")
	for i := 0; i < 4; i++ {
		VMOVUPS(Mem{Base: RSI, Disp: 32 * i}, ymm[i])
	}
	for i := 0; i < 4; i++ {
		VMOVUPS(ymm[i], Mem{Base: RDI, Disp: 32 * i})
	}
	ADDQ(U32(128), RSI)
	ADDQ(RBX, RDI)
	DECQ(RCX)
	JNE(LabelRef("run"))
	end()
}

// transpose8 emits the AVX transpose of blocks >= 1 blocks of 8x8: rows r
// of src (lds floats apart) columns 8b..8b+7 go to rows 8b..8b+7 of dst
// (ldd floats apart), column r: unpack pairs of rows, shuffle pairs of
// pairs, then swap 128-bit lanes.
func transpose8() {
	TEXT("transpose8AVX", NOSPLIT, "func(dst *float32, ldd int, src *float32, lds int, blocks int)")
	Pragma("noescape")
	Doc("transpose8AVX is Transpose8AVX for q = 8*blocks >= 8, without its checks.")
	dst, ldd, src, lds := RDI, RDX, R8, RBX
	src4, lds3, ldd3 := R9, R10, R11
	Load(Param("dst"), dst)
	Load(Param("ldd"), ldd)
	SHLQ(U8(2), ldd)
	Load(Param("src"), src)
	Load(Param("lds"), lds)
	SHLQ(U8(2), lds)
	Load(Param("blocks"), RCX)
	LEAQ(Mem{Base: lds, Index: lds, Scale: 2}, lds3)
	LEAQ(Mem{Base: src, Index: lds, Scale: 4}, src4)
	LEAQ(Mem{Base: ldd, Index: ldd, Scale: 2}, ldd3)
	rows := func(base, ld, ld3 GPPhysical) []Mem {
		return []Mem{{Base: base}, {Base: base, Index: ld, Scale: 1}, {Base: base, Index: ld, Scale: 2}, {Base: base, Index: ld3, Scale: 1}}
	}
	Label("block")
	Comment("Rows a..h of src, 8 columns each.")
	in := append(rows(src, lds, lds3), rows(src4, lds, lds3)...)
	for r := 0; r < 8; r++ {
		VMOVUPS(in[r], ymm[r])
	}
	Comment("Pairs of rows interleaved: (a b), (c d), (e f), (g h), low then high columns of each lane.")
	for p := 0; p < 4; p++ {
		VUNPCKLPS(ymm[2*p+1], ymm[2*p], ymm[8+2*p])
		VUNPCKHPS(ymm[2*p+1], ymm[2*p], ymm[9+2*p])
	}
	Comment("Four rows a column: a0 b0 c0 d0 | a4 b4 c4 d4, ...")
	for h := 0; h < 2; h++ {
		for q := 0; q < 2; q++ {
			lo, hi := ymm[8+4*h+q], ymm[10+4*h+q]
			VSHUFPS(U8(0x44), hi, lo, ymm[4*h+2*q])
			VSHUFPS(U8(0xEE), hi, lo, ymm[4*h+2*q+1])
		}
	}
	Comment("The 128-bit lanes of rows a-d and e-h joined: columns 0..7.")
	for c := 0; c < 4; c++ {
		VPERM2F128(U8(0x20), ymm[4+c], ymm[c], ymm[8+c])
	}
	for c := 0; c < 4; c++ {
		VPERM2F128(U8(0x31), ymm[4+c], ymm[c], ymm[12+c])
	}
	out := rows(dst, ldd, ldd3)
	for c := 0; c < 4; c++ {
		VMOVUPS(ymm[8+c], out[c])
	}
	LEAQ(Mem{Base: dst, Index: ldd, Scale: 4}, dst)
	for c := 0; c < 4; c++ {
		VMOVUPS(ymm[12+c], out[c])
	}
	LEAQ(Mem{Base: dst, Index: ldd, Scale: 4}, dst)
	Comment("The next 8 columns of src.")
	ADDQ(U8(32), src)
	ADDQ(U8(32), src4)
	DECQ(RCX)
	JNE(LabelRef("block"))
	end()
}

// transpose16 emits the AVX-512 transpose of blocks >= 1 blocks of 16x8:
// rows r < 8 of src0 and rows r < 8 of src1 (lds floats apart), columns
// 8b..8b+7, go to rows 8b..8b+7 of dst (ldd floats apart), columns r and
// 8+r: the 8x8 transpose of transpose8 in both 256-bit halves of zmm
// registers at once (src0 in the low halves, src1 in the high), its lane
// step done by two 128-bit lane shuffles; each row of dst is one 64-byte
// store.
func transpose16() {
	TEXT("transpose16AVX512", NOSPLIT, "func(dst *float32, ldd int, src0, src1 *float32, lds int, blocks int)")
	Pragma("noescape")
	Doc("transpose16AVX512 is Transpose16AVX512 for q = 8*blocks >= 8, without its checks.")
	dst, ldd, src, src1, lds := RDI, RDX, R8, R12, RBX
	src4, src14, lds3, ldd3 := R9, R13, R10, R11
	Load(Param("dst"), dst)
	Load(Param("ldd"), ldd)
	SHLQ(U8(2), ldd)
	Load(Param("src0"), src)
	Load(Param("src1"), src1)
	Load(Param("lds"), lds)
	SHLQ(U8(2), lds)
	Load(Param("blocks"), RCX)
	LEAQ(Mem{Base: lds, Index: lds, Scale: 2}, lds3)
	LEAQ(Mem{Base: src, Index: lds, Scale: 4}, src4)
	LEAQ(Mem{Base: src1, Index: lds, Scale: 4}, src14)
	LEAQ(Mem{Base: ldd, Index: ldd, Scale: 2}, ldd3)
	rows := func(base, ld, ld3 GPPhysical) []Mem {
		return []Mem{{Base: base}, {Base: base, Index: ld, Scale: 1}, {Base: base, Index: ld, Scale: 2}, {Base: base, Index: ld3, Scale: 1}}
	}
	Label("block")
	Comment("Rows a..h of src0 in the low halves, of src1 in the high, 8 columns each.")
	in0 := append(rows(src, lds, lds3), rows(src4, lds, lds3)...)
	in1 := append(rows(src1, lds, lds3), rows(src14, lds, lds3)...)
	for r := 0; r < 8; r++ {
		VMOVUPS(in0[r], ymm[r])
		VINSERTF64X4(U8(1), in1[r], zmm[r], zmm[r])
	}
	Comment("Pairs of rows interleaved, then four rows a column (in each 128-bit lane).")
	for p := 0; p < 4; p++ {
		VUNPCKLPS(zmm[2*p+1], zmm[2*p], zmm[8+2*p])
		VUNPCKHPS(zmm[2*p+1], zmm[2*p], zmm[9+2*p])
	}
	for h := 0; h < 2; h++ {
		for q := 0; q < 2; q++ {
			lo, hi := zmm[8+4*h+q], zmm[10+4*h+q]
			VSHUFPS(U8(0x44), hi, lo, zmm[4*h+2*q])
			VSHUFPS(U8(0xEE), hi, lo, zmm[4*h+2*q+1])
		}
	}
	Comment("Columns 0..7: lanes 0 of rows a-d and e-h, of each half; columns 8..15 likewise.")
	for c := 0; c < 4; c++ {
		VSHUFF32X4(U8(0x88), zmm[4+c], zmm[c], zmm[16+c])
		VSHUFF32X4(U8(0xDD), zmm[4+c], zmm[c], zmm[20+c])
	}
	for c := 0; c < 8; c++ {
		VSHUFF32X4(U8(0xD8), zmm[16+c], zmm[16+c], zmm[8+c])
	}
	out := rows(dst, ldd, ldd3)
	for c := 0; c < 4; c++ {
		VMOVUPS(zmm[8+c], out[c])
	}
	LEAQ(Mem{Base: dst, Index: ldd, Scale: 4}, dst)
	for c := 0; c < 4; c++ {
		VMOVUPS(zmm[12+c], out[c])
	}
	LEAQ(Mem{Base: dst, Index: ldd, Scale: 4}, dst)
	Comment("The next 8 columns of src0 and src1.")
	ADDQ(U8(32), src)
	ADDQ(U8(32), src4)
	ADDQ(U8(32), src1)
	ADDQ(U8(32), src14)
	DECQ(RCX)
	JNE(LabelRef("block"))
	end()
}

func main() {
	ConstraintExpr("gc,!purego")

	avx2 := tile{mr: 6, nr: 16, isa: "AVX2", unroll: 4}
	avx512 := tile{mr: 12, nr: 32, isa: "AVX512", unroll: 2}
	avx512Tail := tile{mr: 4, nr: 32, isa: "AVX512", unroll: 4}

	gemm(avx2)
	setTiles(avx2, tilesOpts{})
	gemm(avx512)
	setTiles(avx512, tilesOpts{prefetch: true, lateC: true})
	pk := avx512
	pk.packB = true
	setTiles(pk, tilesOpts{prefetch: true, lateC: true, packB: true, pfRows: 32})
	setTiles(avx512Tail, tilesOpts{})
	biasBlocks(avx512)
	set(avx512Tail)
	fmaLoop("AVX2")
	fmaLoop("AVX512")
	packRow32()
	transpose8()
	transpose16()

	Generate()
}
