package main

// The 1-D transforms of Winograd F(4x4,3x3) and F(2x2,3x3) (Lavin & Gray,
// arXiv:1509.09308): the matrices BT (input), G (weights), AT (output) and,
// for backward-weights, Ah (output gradients), each with the order of
// operations the assembly has always had (results bit for bit the same as
// the hand-written code this generator replaced; internal/asm's
// TestWinogradBits checks it). Register numbers: inputs from 0, constants
// at the top of the 16 that AVX2 has.

// in4 is BT of F(4x4,3x3).
var in4 = &prog{
	name: "BT 6x6",
	mat: [][]float64{
		{4, 0, -5, 0, 1, 0},
		{0, -4, -4, 1, 1, 0},
		{0, 4, -4, -1, 1, 0},
		{0, -2, -1, 2, 1, 0},
		{0, 2, -1, -2, 1, 0},
		{0, 4, 0, -5, 0, 1},
	},
	ins:    []string{"d0", "d1", "d2", "d3", "d4", "d5"},
	outs:   []string{"t0", "t1", "t2", "t3", "t4", "t5"},
	consts: []konst{{"c4", 4}, {"c5", 5}, {"c2", 2}},
	bind:   "d0:0 d1:1 d2:2 d3:3 d4:4 d5:5 t0:6 t5:7 u:8 t1:9 t2:10 t3:11 t4:12 c4:13 c5:14 c2:15",
	ops: []string{
		"t0 = d4",
		"t0 += c4 * d0",
		"t0 -= c5 * d2", // t0 = 4d0 - 5d2 + d4
		"t5 = d5",
		"t5 += c4 * d1",
		"t5 -= c5 * d3", // t5 = 4d1 - 5d3 + d5
		"u = d1 + d2",
		"t1 = d4 + d3",
		"t1 -= c4 * u", // t1 = (d4 + d3) - 4(d1 + d2)
		"u = d1 - d2",
		"t2 = d4 - d3",
		"t2 += c4 * u", // t2 = (d4 - d3) + 4(d1 - d2)
		"u = d3 - d1",
		"t3 = d4 - d2",
		"t4 = t3",
		"t3 += c2 * u", // t3 = (d4 - d2) + 2(d3 - d1)
		"t4 -= c2 * u", // t4 = (d4 - d2) - 2(d3 - d1)
	},
}

// out4 is AT of F(4x4,3x3).
var out4 = &prog{
	name: "AT 4x6",
	mat: [][]float64{
		{1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 0},
		{0, 1, 1, 4, 4, 0},
		{0, 1, -1, 8, -8, 1},
	},
	ins:    []string{"m0", "m1", "m2", "m3", "m4", "m5"},
	outs:   []string{"o0", "o1", "o2", "o3"},
	consts: []konst{{"c4", 4}, {"c8", 8}, {"c2", 2}},
	bind:   "m0:0 m1:1 m2:2 m3:3 m4:4 m5:5 s12:6 d12:7 s34:8 d34:9 o0:10 o1:11 o2:12 o3:0 c4:13 c8:14 c2:15",
	ops: []string{
		"s12 = m1 + m2",
		"d12 = m1 - m2",
		"s34 = m3 + m4",
		"d34 = m3 - m4",
		"o0 = m0 + s12",
		"o0 = o0 + s34", // o0 = m0 + (m1 + m2) + (m3 + m4)
		"o1 = d12",
		"o1 += c2 * d34", // o1 = (m1 - m2) + 2(m3 - m4)
		"o2 = s12",
		"o2 += c4 * s34", // o2 = (m1 + m2) + 4(m3 + m4)
		"o3 = m5 + d12",
		"o3 += c8 * d34", // o3 = (m1 - m2) + 8(m3 - m4) + m5
	},
}

// wt4 is G of F(4x4,3x3).
var wt4 = &prog{
	name: "G 6x3",
	mat: [][]float64{
		{1.0 / 4, 0, 0},
		{-1.0 / 6, -1.0 / 6, -1.0 / 6},
		{-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6},
		{1.0 / 24, -1.0 / 12, 1.0 / 6},
		{0, 0, 1},
	},
	ins:    []string{"g0", "g1", "g2"},
	outs:   []string{"u0", "u1", "u2", "u3", "u4", "g2"},
	consts: []konst{{"c1_4", 1.0 / 4}, {"c1_6", 1.0 / 6}, {"cm1_6", -1.0 / 6}, {"c1_24", 1.0 / 24}, {"c1_12", 1.0 / 12}},
	bind:   "g0:0 g1:1 g2:2 s02:3 s:4 d:5 u0:6 u1:7 u2:8 u4:9 u3:10 c1_4:11 c1_6:12 cm1_6:13 c1_24:14 c1_12:15",
	ops: []string{
		"s02 = g0 + g2",
		"s = s02 + g1",
		"u1 = s * cm1_6", // u1 = -(g0 + g1 + g2)/6
		"d = g1 - s02",
		"u2 = d * c1_6",  // u2 = (g1 - g0 - g2)/6
		"u0 = g0 * c1_4", // u0 = g0/4
		"u4 = g0 * c1_24",
		"u4 += c1_6 * g2",
		"u3 = u4",
		"u3 += c1_12 * g1", // u3 = g0/24 + g2/6 + g1/12
		"u4 -= c1_12 * g1", // u4 = g0/24 + g2/6 - g1/12
	},
}

// in2 is BT of F(2x2,3x3).
var in2 = &prog{
	name: "BT 4x4",
	mat: [][]float64{
		{1, 0, -1, 0},
		{0, 1, 1, 0},
		{0, -1, 1, 0},
		{0, 1, 0, -1},
	},
	ins:  []string{"d0", "d1", "d2", "d3"},
	outs: []string{"t0", "t1", "t2", "t3"},
	bind: "d0:0 d1:1 d2:2 d3:3 t0:4 t1:5 t2:6 t3:7",
	ops: []string{
		"t0 = d0 - d2",
		"t1 = d1 + d2",
		"t2 = d2 - d1",
		"t3 = d1 - d3",
	},
}

// out2 is AT of F(2x2,3x3).
var out2 = &prog{
	name: "AT 2x4",
	mat: [][]float64{
		{1, 1, 1, 0},
		{0, 1, -1, -1},
	},
	ins:  []string{"m0", "m1", "m2", "m3"},
	outs: []string{"o0", "o1"},
	bind: "m0:0 m1:1 m2:2 m3:3 o0:4 o1:5",
	ops: []string{
		"o0 = m0 + m1",
		"o0 = o0 + m2", // o0 = m0 + m1 + m2
		"o1 = m1 - m2",
		"o1 = o1 - m3", // o1 = m1 - m2 - m3
	},
}

// wt2 is G of F(2x2,3x3).
var wt2 = &prog{
	name: "G 4x3",
	mat: [][]float64{
		{1, 0, 0},
		{0.5, 0.5, 0.5},
		{0.5, -0.5, 0.5},
		{0, 0, 1},
	},
	ins:    []string{"g0", "g1", "g2"},
	outs:   []string{"g0", "u1", "u2", "g2"},
	consts: []konst{{"c1_2", 0.5}},
	bind:   "g0:0 g1:1 g2:2 s02:3 u1:4 u2:5 c1_2:15",
	ops: []string{
		"s02 = g0 + g2",
		"u1 = s02 + g1",
		"u1 = u1 * c1_2", // u1 = (g0 + g1 + g2)/2
		"u2 = s02 - g1",
		"u2 = u2 * c1_2", // u2 = (g0 - g1 + g2)/2
	},
}

// ah is Ah = A with its last column negated, A = AT^T of F(2x2,3x3): the
// transform of output gradients for backward-weights, dM = Ah dY Ah^T
// (the negations cancel in the products), applied along both axes from
// registers (bound per use).
var ah = &prog{
	name: "Ah 4x2",
	mat: [][]float64{
		{1, 0},
		{1, 1},
		{1, -1},
		{0, 1},
	},
	ins:  []string{"y0", "y1"},
	outs: []string{"y0", "s", "d", "y1"},
	bind: "y0:0 y1:1 s:8 d:9",
	ops: []string{
		"s = y0 + y1",
		"d = y0 - y1",
	},
}
