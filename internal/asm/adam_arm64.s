//go:build gc && !purego

#include "textflag.h"
#include "neon_arm64.h"

// NEON Adam/AdamW update, 4 floats per iteration, every product rounded
// before its sum (FMUL + FADD, no FMLA) so that it matches the Go loop bit
// for bit. The vector FADD/FSUB/FMUL/FDIV/FMAX/FSQRT are neon_arm64.h's
// WORD macros (Arm register numbers, destination first). Coefficients stay
// broadcast in V0..V8: Beta1, OneMinusBeta1, Beta2, OneMinusBeta2, Eps,
// BC2Sqrt, StepSize, Decay, WeightDecay.

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
	FMUL_4S(17, 17, 7)       // wk = wk * Decay

nodecay:
	TBZ  $1, R6, nol2                 // AdamL2?
	FMUL_4S(20, 8, 17)       // WeightDecay*wk
	FADD_4S(16, 16, 20)      // d = d + WeightDecay*wk

nol2:
	VLD1 (R2), [V18.S4]               // m[k:k+4]
	FMUL_4S(18, 0, 18)       // Beta1*m
	FMUL_4S(20, 1, 16)       // OneMinusBeta1*d
	FADD_4S(18, 18, 20)      // mk = Beta1*m + OneMinusBeta1*d
	VST1.P [V18.S4], 16(R2)          // m[k:k+4] = mk
	VLD1   (R3), [V19.S4]            // v[k:k+4]
	FMUL_4S(19, 2, 19)       // Beta2*v
	FMUL_4S(20, 3, 16)       // OneMinusBeta2*d
	FMUL_4S(20, 20, 16)      // (OneMinusBeta2*d)*d
	FADD_4S(19, 19, 20)      // vk = Beta2*v + (OneMinusBeta2*d)*d
	VST1.P [V19.S4], 16(R3)          // v[k:k+4] = vk
	TBZ    $2, R6, noams             // AdamAMSGrad?
	VLD1   (R4), [V21.S4]            // vm[k:k+4]
	FMAX_4S(19, 21, 19)      // vk = max(vm, vk), NaN wins
	VST1.P [V19.S4], 16(R4)          // vm[k:k+4] = vk

noams:
	FSQRT_4S(19, 19)         // sqrt(vk), correctly rounded
	FDIV_4S(19, 19, 5)       // sqrt(vk)/BC2Sqrt
	FADD_4S(19, 19, 4)       // denom = sqrt(vk)/BC2Sqrt + Eps
	FDIV_4S(20, 18, 19)      // mk/denom
	FMUL_4S(20, 6, 20)       // StepSize*(mk/denom)
	FSUB_4S(17, 17, 20)      // wk - StepSize*(mk/denom)
	VST1.P [V17.S4], 16(R0)          // w[k:k+4]
	LOOP_DOWN(R7, 4, loop)    // 4 fewer to go
	RET
