//go:build gc && !purego

#include "textflag.h"

// NEON Adam/AdamW update, 4 floats per iteration, every product rounded
// before its sum (FMUL + FADD, no FMLA) so that it matches the Go loop bit
// for bit. Go's assembler has no vector FADD/FSUB/FMUL/FDIV/FMAX/FSQRT:
// they are WORDs, each with its instruction in the comment (encodings from
// the Arm ARM, .4S: FADD 0x4E20D400, FSUB 0x4EA0D400, FMUL 0x6E20DC00,
// FDIV 0x6E20FC00, FMAX 0x4E20F400 | Rm<<16 | Rn<<5 | Rd; FSQRT 0x6EA1F800
// | Rn<<5 | Rd). Coefficients stay broadcast in V0..V8: Beta1,
// OneMinusBeta1, Beta2, OneMinusBeta2, Eps, BC2Sqrt, StepSize, Decay,
// WeightDecay.

// func adamNEON(w, g, m, v, vm []float32, c *AdamCoefs, flags int)
TEXT ·adamNEON(SB), NOSPLIT, $0-136
	MOVD w_base+0(FP), R0             // w
	MOVD w_len+8(FP), R7              // n, a positive multiple of 4
	MOVD g_base+24(FP), R1            // g
	MOVD m_base+48(FP), R2            // m
	MOVD v_base+72(FP), R3            // v
	MOVD vm_base+96(FP), R4           // vm (AMSGrad only)
	MOVD c+120(FP), R5                // coefficients
	MOVD flags+128(FP), R6            // AdamDecay | AdamL2 | AdamAMSGrad
	VLD1R.P 4(R5), [V0.S4]            // beta1
	VLD1R.P 4(R5), [V1.S4]            // 1 - beta1
	VLD1R.P 4(R5), [V2.S4]            // beta2
	VLD1R.P 4(R5), [V3.S4]            // 1 - beta2
	VLD1R.P 4(R5), [V4.S4]            // eps
	VLD1R.P 4(R5), [V5.S4]            // sqrt(1 - beta2^t)
	VLD1R.P 4(R5), [V6.S4]            // lr / (1 - beta1^t)
	VLD1R.P 4(R5), [V7.S4]            // 1 - lr*weight_decay (AdamW)
	VLD1R   (R5), [V8.S4]             // weight_decay (Adam's L2)

loop:
	VLD1.P 16(R1), [V16.S4]          // d = g[k:k+4]
	VLD1   (R0), [V17.S4]            // wk = w[k:k+4]
	TBZ    $0, R6, nodecay           // AdamDecay?
	WORD $0x6E27DE31                   // FMUL V17.4S, V17.4S, V7.4S: wk = wk * Decay

nodecay:
	TBZ  $1, R6, nol2                 // AdamL2?
	WORD $0x6E31DD14                   // FMUL V20.4S, V8.4S, V17.4S: WeightDecay*wk
	WORD $0x4E34D610                   // FADD V16.4S, V16.4S, V20.4S: d = d + WeightDecay*wk

nol2:
	VLD1 (R2), [V18.S4]               // m[k:k+4]
	WORD $0x6E32DC12                   // FMUL V18.4S, V0.4S, V18.4S: Beta1*m
	WORD $0x6E30DC34                   // FMUL V20.4S, V1.4S, V16.4S: OneMinusBeta1*d
	WORD $0x4E34D652                   // FADD V18.4S, V18.4S, V20.4S: mk = Beta1*m + OneMinusBeta1*d
	VST1.P [V18.S4], 16(R2)          // m[k:k+4] = mk
	VLD1   (R3), [V19.S4]            // v[k:k+4]
	WORD $0x6E33DC53                   // FMUL V19.4S, V2.4S, V19.4S: Beta2*v
	WORD $0x6E30DC74                   // FMUL V20.4S, V3.4S, V16.4S: OneMinusBeta2*d
	WORD $0x6E30DE94                   // FMUL V20.4S, V20.4S, V16.4S: (OneMinusBeta2*d)*d
	WORD $0x4E34D673                   // FADD V19.4S, V19.4S, V20.4S: vk = Beta2*v + (OneMinusBeta2*d)*d
	VST1.P [V19.S4], 16(R3)          // v[k:k+4] = vk
	TBZ    $2, R6, noams             // AdamAMSGrad?
	VLD1   (R4), [V21.S4]            // vm[k:k+4]
	WORD $0x4E33F6B3                   // FMAX V19.4S, V21.4S, V19.4S: vk = max(vm, vk), NaN wins
	VST1.P [V19.S4], 16(R4)          // vm[k:k+4] = vk

noams:
	WORD $0x6EA1FA73                   // FSQRT V19.4S, V19.4S: sqrt(vk), correctly rounded
	WORD $0x6E25FE73                   // FDIV V19.4S, V19.4S, V5.4S: sqrt(vk)/BC2Sqrt
	WORD $0x4E24D673                   // FADD V19.4S, V19.4S, V4.4S: denom = sqrt(vk)/BC2Sqrt + Eps
	WORD $0x6E33FE54                   // FDIV V20.4S, V18.4S, V19.4S: mk/denom
	WORD $0x6E34DCD4                   // FMUL V20.4S, V6.4S, V20.4S: StepSize*(mk/denom)
	WORD $0x4EB4D631                   // FSUB V17.4S, V17.4S, V20.4S: wk - StepSize*(mk/denom)
	VST1.P [V17.S4], 16(R0)          // w[k:k+4]
	SUBS   $4, R7, R7                // 4 fewer to go
	BNE    loop
	RET
