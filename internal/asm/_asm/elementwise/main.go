// Command elementwise writes ../elementwise_amd64.s and its stubs, the AVX2
// flat elementwise kernels (ReLU, ReLU backward, Add): one loop over 8
// floats a step, its body a parameter. Run it with `go generate
// ./internal/asm` (see elementwise_amd64.go).
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// flat is one flat kernel: its destination and source slices (the first
// is the destination, whose length is n) and its body, which computes 8
// floats of the destination into a register from the sources at the byte
// offset of the step (zero holds +0 in every lane).
type flat struct {
	name, sig, doc string
	args           []string
	zero           bool
	body           func(src []Mem, zero VecVirtual) VecVirtual
}

var kernels = []flat{
	{
		name: "reluAVX2", sig: "func(y, x []float32)", args: []string{"y", "x"}, zero: true,
		doc: "reluAVX2 is ReLUAVX2 without its checks; it requires len(y) > 0.",
		body: func(src []Mem, zero VecVirtual) VecVirtual {
			v := YMM()
			Comment("y[k:k+8] = max(0, x[k:k+8]): x where x is NaN; -0 stays -0")
			VMOVUPS(src[0], v)
			VMAXPS(v, zero, v)
			return v
		},
	},
	{
		name: "reluBackwardAVX2", sig: "func(dx, dy, y []float32)", args: []string{"dx", "dy", "y"}, zero: true,
		doc: "reluBackwardAVX2 is ReLUBackwardAVX2 without its checks; it requires len(dx) > 0.",
		body: func(src []Mem, zero VecVirtual) VecVirtual {
			v := YMM()
			Comment("dx[k:k+8] = dy where y > 0 (GT_OQ: false for NaN), else +0")
			VMOVUPS(src[1], v)
			VCMPPS(U8(0x1e), zero, v, v)
			VANDPS(src[0], v, v)
			return v
		},
	},
	{
		name: "addAVX2", sig: "func(y, a, b []float32)", args: []string{"y", "a", "b"},
		doc: "addAVX2 is AddAVX2 without its checks; it requires len(y) > 0.",
		body: func(src []Mem, _ VecVirtual) VecVirtual {
			v := YMM()
			Comment("y[k:k+8] = a[k:k+8] + b[k:k+8]")
			VMOVUPS(src[0], v)
			VADDPS(src[1], v, v)
			return v
		},
	},
}

// gen writes k: a loop over the byte offset k*4 of the destination, 32
// bytes a step, up to its byte length (a positive multiple of 32).
func gen(k flat) {
	TEXT(k.name, NOSPLIT, k.sig)
	Pragma("noescape")
	Doc(k.doc)
	Comment("8 floats per iteration over the first n = len("+k.args[0]+") elements,",
		"n a positive multiple of 8: the offset counts bytes up to 4*n.")
	dst := Load(Param(k.args[0]).Base(), GP64())
	n := Load(Param(k.args[0]).Len(), GP64())
	SHLQ(U8(2), n)
	var src []Mem
	for _, a := range k.args[1:] {
		src = append(src, Mem{Base: Load(Param(a).Base(), GP64())})
	}
	var zero VecVirtual
	if k.zero {
		zero = YMM()
		VXORPS(zero, zero, zero)
	}
	off := GP64()
	XORQ(off, off)
	loop := k.name + "_loop"
	Label(loop)
	for i := range src {
		src[i] = src[i].Idx(off, 1)
	}
	v := k.body(src, zero)
	VMOVUPS(v, Mem{Base: dst}.Idx(off, 1))
	ADDQ(U8(32), off)
	CMPQ(off, n)
	JLT(LabelRef(loop))
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
