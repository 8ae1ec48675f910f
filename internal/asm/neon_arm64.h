// Macros shared by the hand-written NEON kernels (adam_arm64.s,
// bn_arm64.s, elementwise_arm64.s).
//
// Go's arm64 assembler lacks the vector floating-point arithmetic below.
// Each macro assembles one instruction as a WORD from its encoding in the
// Arm ARM, with register numbers (0-31) as arguments, destination first as
// in Arm syntax: FADD_4S(0, 1, 2) is FADD V0.4S, V1.4S, V2.4S. The
// encodings were checked against go tool objdump. Vector FMLA, VLD1/VST1,
// VEOR and VAND have mnemonics and are written directly.

// Three-register instructions: opcode | Rm<<16 | Rn<<5 | Rd.
#define NEON_RRR(op, d, n, m) WORD $((op) | (m)<<16 | (n)<<5 | (d))

// Two-register instructions: opcode | Rn<<5 | Rd.
#define NEON_RR(op, d, n) WORD $((op) | (n)<<5 | (d))

// float32 lanes (.4S).
// Vd = Vn + Vm
#define FADD_4S(d, n, m) NEON_RRR(0x4E20D400, d, n, m)
// Vd = Vn - Vm
#define FSUB_4S(d, n, m) NEON_RRR(0x4EA0D400, d, n, m)
// Vd = Vn * Vm
#define FMUL_4S(d, n, m) NEON_RRR(0x6E20DC00, d, n, m)
// Vd = Vn / Vm
#define FDIV_4S(d, n, m) NEON_RRR(0x6E20FC00, d, n, m)
// Vd = max(Vn, Vm): NaN propagates, max(-0, +0) = +0
#define FMAX_4S(d, n, m) NEON_RRR(0x4E20F400, d, n, m)
// Vd = sqrt(Vn), correctly rounded
#define FSQRT_4S(d, n) NEON_RR(0x6EA1F800, d, n)
// Vd = Vn > 0 ? all ones : 0 (0 for NaN)
#define FCMGT0_4S(d, n) NEON_RR(0x4EA0C800, d, n)

// float64 lanes (.2D).
// Vd = Vn + Vm
#define FADD_2D(d, n, m) NEON_RRR(0x4E60D400, d, n, m)
// Vd = Vn - Vm
#define FSUB_2D(d, n, m) NEON_RRR(0x4EE0D400, d, n, m)

// float32 to float64: FCVTL widens lanes 0-1 of Vn.4S, FCVTL2 lanes 2-3.
// Vd.2D = float64(Vn.2S)
#define FCVTL_2D(d, n) NEON_RR(0x0E617800, d, n)
// Vd.2D = float64(Vn.4S[2:4])
#define FCVTL2_2D(d, n) NEON_RR(0x4E617800, d, n)

// Loop control: the count register r goes down by step; loop while nonzero.
#define LOOP_DOWN(r, step, label) SUBS $(step), r, r; BNE label

// bfloat16 widening multiply-add (FEAT_BF16, bf16_arm64.s): with f the
// float32 of a bf16, Vd.S[i] = Vd.S[i] + f(Vn.H[2i+t])*f(Vm.H[2i+t]) fused
// (one rounding, under FPCR), t = 0 for B (even halves), 1 for T (odd).
// Vd.4S += even products of Vn.8H, Vm.8H
#define BFMLALB_4S(d, n, m) NEON_RRR(0x2EC0FC00, d, n, m)
// Vd.4S += odd products of Vn.8H, Vm.8H
#define BFMLALT_4S(d, n, m) NEON_RRR(0x6EC0FC00, d, n, m)
