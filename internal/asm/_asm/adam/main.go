// Command adam writes ../adam_amd64.s and its stubs, the AVX2 Adam/AdamW
// update: 8 floats a step, every product rounded before its sum (VMULPS +
// VADDPS, no FMA) so that it matches the Go loop of AdamAVX2's doc comment
// bit for bit. Run it with `go generate ./internal/asm` (see
// adam_amd64.go); it writes no stubs (see main).
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// coefs are AdamCoefs' fields in order (byte offsets 0, 4, ..., 32).
var coefs = []string{"Beta1", "OneMinusBeta1", "Beta2", "OneMinusBeta2", "Eps", "BC2Sqrt", "StepSize", "Decay", "WeightDecay"}

// Flags of the kernel (package asm's AdamDecay, AdamL2, AdamAMSGrad).
const (
	adamDecay   = 1
	adamL2      = 2
	adamAMSGrad = 4
)

func main() {
	ConstraintExpr("gc,!purego")
	// AdamCoefs is nine float32s. avo cannot load package asm's types (this
	// module does not require lungo), so the frame is laid out for
	// *[9]float32, a pointer all the same; the stub, with *AdamCoefs, is
	// hand-written in adam_amd64.go, and go vet (asmdecl) checks this frame
	// against it.
	TEXT("adamAVX2", NOSPLIT, "func(w, g, m, v, vm []float32, c *[9]float32, flags int)")
	Comment("Coefficients broadcast, one register each, all along; k runs over",
		"the n = len(w) elements 8 at a time (n a positive multiple of 8).")
	mem := map[string]Mem{}
	for _, p := range []string{"w", "g", "m", "v", "vm"} {
		mem[p] = Mem{Base: Load(Param(p).Base(), GP64())}
	}
	n := Load(Param("w").Len(), GP64())
	cp := Load(Param("c"), GP64())
	flags := Load(Param("flags"), GP64())
	c := map[string]VecVirtual{}
	for i, name := range coefs {
		c[name] = YMM()
		VBROADCASTSS(Mem{Base: cp, Disp: 4 * i}, c[name])
	}
	k := GP64()
	XORQ(k, k)
	at := func(p string) Mem { return mem[p].Idx(k, 4) }

	Label("loop")
	Comment("d = g[k:k+8], wk = w[k:k+8]")
	d, wk := YMM(), YMM()
	VMOVUPS(at("g"), d)
	VMOVUPS(at("w"), wk)
	Comment("wk = wk*Decay with AdamDecay")
	TESTQ(U32(adamDecay), flags)
	JZ(LabelRef("nodecay"))
	VMULPS(c["Decay"], wk, wk)
	Label("nodecay")
	Comment("d = d + WeightDecay*wk with AdamL2")
	TESTQ(U32(adamL2), flags)
	JZ(LabelRef("nol2"))
	t := YMM()
	VMULPS(c["WeightDecay"], wk, t)
	VADDPS(t, d, d)
	Label("nol2")

	Comment("m[k:k+8] = mk = Beta1*m + OneMinusBeta1*d")
	mk, u := YMM(), YMM()
	VMULPS(at("m"), c["Beta1"], mk)
	VMULPS(d, c["OneMinusBeta1"], u)
	VADDPS(u, mk, mk)
	VMOVUPS(mk, at("m"))
	Comment("v[k:k+8] = vk = Beta2*v + (OneMinusBeta2*d)*d")
	vk, s := YMM(), YMM()
	VMULPS(at("v"), c["Beta2"], vk)
	VMULPS(d, c["OneMinusBeta2"], s)
	VMULPS(d, s, s)
	VADDPS(s, vk, vk)
	VMOVUPS(vk, at("v"))

	Comment("vm[k:k+8] = vk = max(vm, vk) with AdamAMSGrad, as Go's max:",
		"VMAXPS gives vm where they are equal or either is NaN, so where",
		"vk == vm (ordered; -0 == +0) take vk & vm (+0 unless both are -0)",
		"and where vk is NaN take vk.")
	TESTQ(U32(adamAMSGrad), flags)
	JZ(LabelRef("noams"))
	old, mx, eq, and := YMM(), YMM(), YMM(), YMM()
	VMOVUPS(at("vm"), old)
	VMAXPS(old, vk, mx)
	VCMPPS(U8(0), old, vk, eq)
	VANDPS(old, vk, and)
	VBLENDVPS(eq, and, mx, mx)
	VCMPPS(U8(3), vk, vk, eq)
	VBLENDVPS(eq, vk, mx, mx)
	VMOVUPS(mx, at("vm"))
	VMOVAPS(mx, vk)
	Label("noams")

	Comment("denom = sqrt(vk)/BC2Sqrt + Eps (VSQRTPS rounds correctly)")
	VSQRTPS(vk, vk)
	VDIVPS(c["BC2Sqrt"], vk, vk)
	VADDPS(c["Eps"], vk, vk)
	Comment("w[k:k+8] = wk - StepSize*(mk/denom)")
	q := YMM()
	VDIVPS(vk, mk, q)
	VMULPS(c["StepSize"], q, q)
	VSUBPS(q, wk, wk)
	VMOVUPS(wk, at("w"))
	ADDQ(U8(8), k)
	CMPQ(k, n)
	JLT(LabelRef("loop"))
	VZEROUPPER()
	RET()
	Generate()
}
