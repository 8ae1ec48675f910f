// Command winograd writes ../winograd_amd64.s and its declarations, the
// Winograd tile transforms of F(4x4,3x3) and F(2x2,3x3) (input, weights,
// output with bias, and the output-gradient transform of backward-weights)
// for AVX2+FMA (8 channels a step) and AVX-512F (16 a step), all from one
// description: the 1-D transforms as matrices and orders of operations
// (transforms.go), the two passes over a tile (columns, then rows) here,
// the ISA a parameter (register class and bytes per step). Run it with
// `go generate ./internal/asm` (see internal/asm/winograd_amd64.go).
package main

import (
	"fmt"
	"math"
	"slices"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// An isa is a vector extension the transforms are written for.
type isa struct {
	name  string // as in the function names: AVX2, AVX512
	lanes int    // float32s per register
	regs  []VecPhysical
}

func (v isa) vec(i int) VecPhysical { return v.regs[i] }

// bytes is the size of one register, the channels of one step.
func (v isa) bytes() int { return 4 * v.lanes }

var isas = []isa{
	{"AVX2", 8, []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}},
	{"AVX512", 16, []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15}},
}

// A kernel is one transform of a tile: kind "Input" or "Weight" (strided
// src to ne = a*a elements ds apart) or "Output" (ne elements to an m x m
// strided dst, plus a bias), with the 1-D transform p along both axes.
type kernel struct {
	kind, tile string // "Input", "4x4"
	a          int    // side of the transformed tile
	p          *prog
}

var kernels = []kernel{
	{"Input", "4x4", 6, in4},
	{"Output", "4x4", 6, out4},
	{"Weight", "4x4", 6, wt4},
	{"Input", "2x2", 4, in2},
	{"Output", "2x2", 4, out2},
	{"Weight", "2x2", 4, wt2},
}

// table holds every prog's constant once, in order of first use, in the
// data symbol consts; calls broadcast them from there.
var (
	table  []float32
	consts Mem
)

// offset returns the place of c in consts.
func offset(c konst) int { return 4 * slices.Index(table, c.v) }

func main() {
	ConstraintExpr("gc,!purego")
	for _, k := range kernels {
		for _, c := range k.p.consts {
			if !slices.Contains(table, c.v) {
				table = append(table, c.v)
			}
		}
	}
	consts = GLOBL("winoConst", RODATA|NOPTR)
	for i, c := range table {
		DATA(4*i, U32(math.Float32bits(c)))
	}
	for _, v := range isas {
		for _, k := range kernels {
			if k.kind == "Output" {
				toStrided(k, v)
			} else {
				fromStrided(k, v)
			}
		}
		dy(v)
	}
	Generate()
}

// head declares fn (lower-case: the assembly of the exported Go wrapper,
// which checks the bounds) with the doc of its stub.
func head(fn, sig string, v isa) {
	TEXT(fn, NOSPLIT, sig)
	exported := string(fn[0]-'a'+'A') + fn[1:]
	Doc(fmt.Sprintf("%s is the assembly of %s (%s, %d channels a step): see there.", fn, exported, v.name, v.lanes))
	Pragma("noescape")
}

// bytesOf loads the int parameter name into r as bytes (times 4).
func bytesOf(name string, r GPPhysical) {
	Load(Param(name), r)
	SHLQ(U8(2), r)
}

// steps loads n into CX as the number of steps of v, to done if none.
func steps(v isa, done string) {
	Load(Param("n"), RCX)
	SHRQ(U8(log2(v.lanes)), RCX)
	JZ(LabelRef(done))
}

func log2(x int) int {
	n := 0
	for ; x > 1; x >>= 1 {
		n++
	}
	return n
}

// times sets dst = k*src for a tile side k (4 or 6).
func times(k int, src, dst GPPhysical) {
	switch k {
	case 4:
		MOVQ(src, dst)
		SHLQ(U8(2), dst)
	case 6:
		LEAQ(Mem{Base: src, Index: src, Scale: 2}, dst)
		ADDQ(dst, dst)
	default:
		panic("tile side not 4 or 6")
	}
}

// broadcast loads p's constants into their registers.
func broadcast(p *prog, v isa) {
	rn := p.regs(nil)
	for _, c := range p.consts {
		VBROADCASTSS(consts.Offset(offset(c)), v.vec(rn[c.name]))
	}
}

// strided returns the addresses of k vectors stride bytes apart from base,
// computing base + 3*stride into tmp first if k > 3.
func strided(base, stride, tmp GPPhysical, k int) []Mem {
	m := []Mem{{Base: base}, {Base: base, Index: stride, Scale: 1}, {Base: base, Index: stride, Scale: 2}}
	if k > 3 {
		LEAQ(Mem{Base: base, Index: stride, Scale: 2}, tmp)
		ADDQ(stride, tmp)
		m = append(m, Mem{Base: tmp}, Mem{Base: tmp, Index: stride, Scale: 1}, Mem{Base: tmp, Index: stride, Scale: 2})
	}
	if k > len(m) {
		panic("more than 6 vectors")
	}
	return m[:k]
}

// loop closes a loop: decrements r and jumps to label while not zero.
func loop(r GPPhysical, label string) {
	DECQ(r)
	JNZ(LabelRef(label))
}

// fromStrided writes the input or weight transform k for v:
//
//	dst[(i*a+j)*ds+c] = sum over x, y < q of P[i][x] * src[x*sa+y*sb+c] * P[j][y]
//
// for P = k.p.mat (a x q): the columns pass applies P to each of the q
// columns of src into the columns of dst, the rows pass to the rows of
// dst in place.
func fromStrided(k kernel, v isa) {
	fn := "wino" + k.kind + k.tile + v.name
	head(fn, "func(dst []float32, ds int, src []float32, sa, sb, n int)", v)
	p, q, a := k.p, len(k.p.ins), k.a
	l := func(s string) string { return fn + "_" + s }
	Comment(fmt.Sprintf("P = %s, the 1-D transform of both passes:", p.name))
	Comment(p.formulas()...)
	Comment("DI, SI: dst, src at the current channels; DX (DS): bytes between elements of dst;",
		"R8, R9: bytes between rows, columns of src; R10 (X): one row of dst; CX: steps left.")
	Load(Param("dst").Base(), RDI)
	bytesOf("ds", RDX) // DS: bytes between elements of dst
	Load(Param("src").Base(), RSI)
	bytesOf("sa", R8) // SA: bytes between rows of src
	bytesOf("sb", R9) // SB: bytes between columns of src
	steps(v, l("done"))
	times(a, RDX, R10) // X = a*DS: one row of dst
	broadcast(p, v)

	Label(l("chunk"))
	Comment(fmt.Sprintf("Columns: T[i][y] = sum over x of P[i][x] src[x][y], into dst[(i*%d+y)*ds].", a))
	MOVQ(RSI, RAX) // column y of src
	MOVQ(RDI, RBX) // dst + y*DS
	MOVQ(U32(q), R11)
	Label(l("col"))
	src := strided(RAX, R8, R12, q)
	dst := strided(RBX, R10, R13, a)
	p.emit(v, nil, src, dst)
	ADDQ(R9, RAX)
	ADDQ(RDX, RBX)
	loop(R11, l("col"))

	Comment("Rows: dst[i][j] = sum over y of T[i][y] P[j][y], in place.")
	MOVQ(RDI, RBX) // dst row i
	MOVQ(U32(a), R11)
	Label(l("row"))
	e := strided(RBX, RDX, R13, a)
	p.emit(v, nil, e[:q], e)
	ADDQ(R10, RBX)
	loop(R11, l("row"))

	Comment(fmt.Sprintf("Next %d channels.", v.lanes))
	ADDQ(U8(v.bytes()), RSI)
	ADDQ(U8(v.bytes()), RDI)
	loop(RCX, l("chunk"))

	Label(l("done"))
	VZEROUPPER()
	RET()
}

// toStrided writes the output transform k for v:
//
//	dst[i*da+j*db+c] = bias[c] + sum over x, y < a of P[i][x] * src[(x*a+y)*ss+c] * P[j][y]
//
// for P = k.p.mat (m x a): the columns pass applies P to the columns of
// src in place (rows m to a-1 are left as they were), the rows pass to
// its first m rows, adding the bias, into dst.
func toStrided(k kernel, v isa) {
	fn := "wino" + k.kind + k.tile + v.name
	head(fn, "func(dst []float32, da, db int, src []float32, ss int, bias []float32, n int)", v)
	p, a, m := k.p, k.a, len(k.p.outs)
	l := func(s string) string { return fn + "_" + s }
	Comment(fmt.Sprintf("P = %s, the 1-D transform of both passes:", p.name))
	Comment(p.formulas()...)
	Comment("DI, SI, R12: dst, src, bias at the current channels; R8, R9: bytes between rows,",
		"columns of dst; DX (SS): bytes between elements of src; R10 (X): one row of src.")
	Load(Param("dst").Base(), RDI)
	bytesOf("da", R8) // DA: bytes between rows of dst
	bytesOf("db", R9) // DB: bytes between columns of dst
	Load(Param("src").Base(), RSI)
	bytesOf("ss", RDX) // SS: bytes between elements of src
	Load(Param("bias").Base(), R12)
	steps(v, l("done"))
	times(a, RDX, R10) // X = a*SS: one row of src
	broadcast(p, v)

	Label(l("chunk"))
	Comment(fmt.Sprintf("Columns: T[i][y] = sum over x of P[i][x] src[x][y], i < %d, into src[(i*%d+y)*ss].", m, a))
	MOVQ(RSI, RBX) // src + y*SS
	MOVQ(U32(a), R11)
	Label(l("col"))
	e := strided(RBX, R10, R13, a)
	p.emit(v, nil, e, e[:m])
	ADDQ(RDX, RBX)
	loop(R11, l("col"))

	Comment("Rows: dst[i][j] = bias + sum over y of T[i][y] P[j][y].")
	MOVQ(RSI, RBX) // src row i
	MOVQ(RDI, RAX) // dst row i
	MOVQ(U32(m), R11)
	Label(l("row"))
	e = strided(RBX, RDX, R13, a)
	o := p.emit(v, nil, e, nil)
	for _, r := range o {
		VADDPS(Mem{Base: R12}, r, r)
	}
	row := []Mem{{Base: RAX}, {Base: RAX, Index: R9, Scale: 1}, {Base: RAX, Index: R9, Scale: 2}}
	for j, r := range o {
		switch {
		case j < 3:
			VMOVUPS(r, row[j])
		case j == 3: // 3*DB = DB + 2*DB
			ADDQ(R9, RAX)
			VMOVUPS(r, row[2])
			SUBQ(R9, RAX)
		default:
			panic("more than 4 outputs")
		}
	}
	ADDQ(R10, RBX)
	ADDQ(R8, RAX)
	loop(R11, l("row"))

	Comment(fmt.Sprintf("Next %d channels.", v.lanes))
	ADDQ(U8(v.bytes()), RSI)
	ADDQ(U8(v.bytes()), RDI)
	ADDQ(U8(v.bytes()), R12)
	loop(RCX, l("chunk"))

	Label(l("done"))
	VZEROUPPER()
	RET()
}

// dy writes the transform of 2x2 blocks of output gradients for
// backward-weights, for v:
//
//	dst[(i*4+j)*ds+c] = sum over x, y < 2 of Ah[i][x] * src[x*sa+y*sb+c] * Ah[j][y]
//
// with both passes in registers: Ah on the two columns of src (four
// loads), then on each of the four resulting rows, stored.
func dy(v isa) {
	fn := "winoDy2x2" + v.name
	head(fn, "func(dst []float32, ds int, src []float32, sa, sb, n int)", v)
	l := func(s string) string { return fn + "_" + s }
	Comment(fmt.Sprintf("%s along both axes:", ah.name))
	Comment(ah.formulas()...)
	Comment("SI, BX: rows 0, 1 of src; R9: bytes between its columns; DI, R11, R12, R13: rows",
		"0 to 3 of dst; DX: bytes between elements of dst, R10 three times that.")
	Load(Param("dst").Base(), RDI) // row 0 of dst
	bytesOf("ds", RDX)             // ELEM: bytes between elements of dst
	Load(Param("src").Base(), RSI) // src row 0
	bytesOf("sa", R8)
	LEAQ(Mem{Base: RSI, Index: R8, Scale: 1}, RBX) // src row 1
	bytesOf("sb", R9)                              // bytes between the columns of src
	steps(v, l("done"))
	LEAQ(Mem{Base: RDX, Index: RDX, Scale: 2}, R10) // 3*ELEM
	rows := []GPPhysical{RDI, R11, R12, R13}        // rows of dst, 4*ELEM apart
	for i := 1; i < 4; i++ {
		LEAQ(Mem{Base: rows[i-1], Index: RDX, Scale: 4}, rows[i])
	}

	Label(l("loop"))
	Comment("Columns: the rows of Ah dY in registers.")
	var col [2][]VecPhysical
	for y := range 2 {
		src := []Mem{{Base: RSI}, {Base: RBX}}
		if y == 1 {
			src = []Mem{{Base: RSI, Index: R9, Scale: 1}, {Base: RBX, Index: R9, Scale: 1}}
		}
		// Column y: dY[x][y] in registers y and 2+y, results in y, 4+y, 6+y, 2+y.
		col[y] = ah.emit(v, map[string]int{"y0": y, "y1": 2 + y, "s": 4 + y, "d": 6 + y}, src, nil)
	}
	Comment("Rows: each row (c0, c1) of Ah dY gives the elements Ah (c0, c1).")
	for i, r := range rows {
		dst := []Mem{{Base: r}, {Base: r, Index: RDX, Scale: 1}, {Base: r, Index: RDX, Scale: 2}, {Base: r, Index: R10, Scale: 1}}
		in := map[string]int{"y0": index(v, col[0][i]), "y1": index(v, col[1][i])}
		ah.emit(v, in, nil, dst)
	}
	Comment(fmt.Sprintf("Next %d channels.", v.lanes))
	for _, r := range append([]GPPhysical{RSI, RBX}, rows...) {
		ADDQ(U8(v.bytes()), r)
	}
	loop(RCX, l("loop"))

	Label(l("done"))
	VZEROUPPER()
	RET()
}

// index returns the number of register r of v.
func index(v isa, r VecPhysical) int {
	for i, x := range v.regs {
		if x == r {
			return i
		}
	}
	panic("not a register of " + v.name)
}
