package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// A prog is a 1-D Winograd transform, out = mat x in, as straight-line
// vector code: the matrix is the specification, the ops the order of
// operations (which fixes the float32 rounding; FMAs where a product meets
// a sum), checked against the matrix before anything is emitted.
//
// Values have names; bind maps each name to a vector register number (the
// ISA picks the register class), several names may share a register when
// their lives do not overlap. An op is one of
//
//	d = a          VMOVAPS
//	d = a + b      VADDPS  (also -, *: VSUBPS, VMULPS)
//	d += a * b     VFMADD231PS
//	d -= a * b     VFNMADD231PS
//
// with the operands in the order of the instruction's (Go assembler
// operand order: b, a, d for the binary ops, a, b, d for the FMAs).
type prog struct {
	name   string
	mat    [][]float64 // len(outs) x len(ins)
	ins    []string    // loaded in this order
	outs   []string    // results in this order
	consts []konst     // broadcast once per call
	bind   string      // "name:reg ..."
	ops    []string
}

// A konst is a constant operand of a prog, broadcast into a register.
type konst struct {
	name string
	v    float32
}

// regs returns p's register numbers, with over replacing some.
func (p *prog) regs(over map[string]int) map[string]int {
	r := map[string]int{}
	for _, f := range strings.Fields(p.bind) {
		name, num, ok := strings.Cut(f, ":")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			panic(fmt.Sprintf("%s: bad binding %q", p.name, f))
		}
		r[name] = n
	}
	for k, v := range over {
		r[k] = v
	}
	return r
}

// op is one parsed op: d = a (code "="), d = a x b (code "+", "-", "*"),
// d += a*b ("+="), d -= a*b ("-=").
type op struct{ code, d, a, b string }

func parseOp(s string) op {
	f := strings.Fields(s)
	switch {
	case len(f) == 3 && f[1] == "=":
		return op{"=", f[0], f[2], ""}
	case len(f) == 5 && f[1] == "=" && strings.Contains("+-*", f[3]):
		return op{f[3], f[0], f[2], f[4]}
	case len(f) == 5 && (f[1] == "+=" || f[1] == "-=") && f[3] == "*":
		return op{f[1], f[0], f[2], f[4]}
	}
	panic(fmt.Sprintf("bad op %q", s))
}

// check runs p on the linear forms of its inputs (each register holds
// either a vector of coefficients, one per input, or a constant) and
// panics unless its results are the rows of p.mat (to float32 precision).
func (p *prog) check(over map[string]int) {
	rn := p.regs(over)
	type val struct {
		coef  []float64 // nil for a constant
		konst float64
	}
	regs := map[int]val{}
	get := func(name string) val {
		r, ok := rn[name]
		if !ok {
			panic(fmt.Sprintf("%s: unbound %s", p.name, name))
		}
		v, ok := regs[r]
		if !ok {
			panic(fmt.Sprintf("%s: %s (register %d) read before it is set", p.name, name, r))
		}
		return v
	}
	lin := func(a, b val, fa, fb float64) val {
		if a.coef == nil || b.coef == nil {
			panic(fmt.Sprintf("%s: a sum with a constant", p.name))
		}
		c := make([]float64, len(a.coef))
		for i := range c {
			c[i] = fa*a.coef[i] + fb*b.coef[i]
		}
		return val{coef: c}
	}
	scale := func(a, b val) val { // exactly one of a, b constant
		if (a.coef == nil) == (b.coef == nil) {
			panic(fmt.Sprintf("%s: a product needs one constant operand", p.name))
		}
		if a.coef == nil {
			a, b = b, a
		}
		return lin(a, a, b.konst, 0)
	}
	for i, name := range p.ins {
		c := make([]float64, len(p.ins))
		c[i] = 1
		regs[rn[name]] = val{coef: c}
	}
	for _, k := range p.consts {
		regs[rn[k.name]] = val{konst: float64(k.v)}
	}
	for _, s := range p.ops {
		o := parseOp(s)
		var v val
		switch o.code {
		case "=":
			v = get(o.a)
		case "+":
			v = lin(get(o.a), get(o.b), 1, 1)
		case "-":
			v = lin(get(o.a), get(o.b), 1, -1)
		case "*":
			v = scale(get(o.a), get(o.b))
		case "+=":
			v = lin(get(o.d), scale(get(o.a), get(o.b)), 1, 1)
		case "-=":
			v = lin(get(o.d), scale(get(o.a), get(o.b)), 1, -1)
		}
		regs[rn[o.d]] = v
	}
	for i, name := range p.outs {
		got := get(name).coef
		for j, want := range p.mat[i] {
			if math.Abs(got[j]-want) > 1e-6*math.Max(1, math.Abs(want)) {
				panic(fmt.Sprintf("%s: output %d (%s) has %g x input %d, want %g", p.name, i, name, got[j], j, want))
			}
		}
	}
}

// emit writes p for ISA v: loads its inputs from loads (none: they are in
// their registers already), runs its ops and stores its results to stores
// (none: they stay in registers). It returns the results' registers.
func (p *prog) emit(v isa, over map[string]int, loads, stores []Mem) []reg.VecPhysical {
	p.check(over)
	rn := p.regs(over)
	r := func(name string) reg.VecPhysical { return v.vec(rn[name]) }
	for i, m := range loads {
		VMOVUPS(m, r(p.ins[i]))
	}
	for _, s := range p.ops {
		o := parseOp(s)
		switch o.code {
		case "=":
			VMOVAPS(r(o.a), r(o.d))
		case "+":
			VADDPS(r(o.b), r(o.a), r(o.d))
		case "-":
			VSUBPS(r(o.b), r(o.a), r(o.d))
		case "*":
			VMULPS(r(o.b), r(o.a), r(o.d))
		case "+=":
			VFMADD231PS(r(o.a), r(o.b), r(o.d))
		case "-=":
			VFNMADD231PS(r(o.a), r(o.b), r(o.d))
		}
	}
	out := make([]reg.VecPhysical, len(p.outs))
	for i, name := range p.outs {
		out[i] = r(name)
	}
	for i, m := range stores {
		VMOVUPS(out[i], m)
	}
	return out
}

// formulas returns p's results as comment lines, "t0 = 4 d0 - 5 d2 + d4".
func (p *prog) formulas() []string {
	var lines []string
	for i, name := range p.outs {
		var b strings.Builder
		for j, c := range p.mat[i] {
			if c == 0 {
				continue
			}
			switch {
			case b.Len() == 0 && c < 0:
				b.WriteString("-")
			case b.Len() > 0 && c < 0:
				b.WriteString(" - ")
			case b.Len() > 0:
				b.WriteString(" + ")
			}
			if a := math.Abs(c); a != 1 {
				b.WriteString(ratio(a) + " ")
			}
			b.WriteString(p.ins[j])
		}
		lines = append(lines, fmt.Sprintf("  %s = %s", name, b.String()))
	}
	return lines
}

// ratio formats a as an integer or 1/k.
func ratio(a float64) string {
	if a == math.Trunc(a) {
		return strconv.FormatFloat(a, 'f', -1, 64)
	}
	return "1/" + strconv.FormatFloat(math.Round(1/a), 'f', -1, 64)
}
