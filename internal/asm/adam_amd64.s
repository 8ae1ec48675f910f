//go:build gc && !purego

#include "textflag.h"

// AVX2 Adam/AdamW update, 8 floats per iteration, every product rounded
// before its sum (VMULPS + VADDPS, no FMA) so that it matches the Go loop
// bit for bit. Coefficients stay broadcast in Y0..Y8 all along.

#define B1    Y0
#define OMB1  Y1
#define B2    Y2
#define OMB2  Y3
#define EPS   Y4
#define BC2   Y5
#define STEP  Y6
#define DECAY Y7
#define WD    Y8

// func adamAVX2(w, g, m, v, vm []float32, c *AdamCoefs, flags int)
TEXT ·adamAVX2(SB), NOSPLIT, $0-136
	MOVQ w_base+0(FP), SI             // w
	MOVQ w_len+8(FP), BX              // n, a multiple of 8
	MOVQ g_base+24(FP), DX            // g
	MOVQ m_base+48(FP), R8            // m
	MOVQ v_base+72(FP), R9            // v
	MOVQ vm_base+96(FP), R10          // vm (AMSGrad only)
	MOVQ c+120(FP), CX                // coefficients
	MOVQ flags+128(FP), R11           // AdamDecay | AdamL2 | AdamAMSGrad
	VBROADCASTSS 0(CX), B1            // beta1
	VBROADCASTSS 4(CX), OMB1          // 1 - beta1
	VBROADCASTSS 8(CX), B2            // beta2
	VBROADCASTSS 12(CX), OMB2         // 1 - beta2
	VBROADCASTSS 16(CX), EPS          // eps
	VBROADCASTSS 20(CX), BC2          // sqrt(1 - beta2^t)
	VBROADCASTSS 24(CX), STEP         // lr / (1 - beta1^t)
	VBROADCASTSS 28(CX), DECAY        // 1 - lr*weight_decay (AdamW)
	VBROADCASTSS 32(CX), WD           // weight_decay (Adam's L2)
	XORQ AX, AX                       // AX = k

loop:
	VMOVUPS (DX)(AX*4), Y9            // d = g[k:k+8]
	VMOVUPS (SI)(AX*4), Y10           // wk = w[k:k+8]
	TESTQ   $1, R11                   // AdamDecay?
	JZ      nodecay
	VMULPS  DECAY, Y10, Y10           // wk = wk * Decay

nodecay:
	TESTQ  $2, R11                    // AdamL2?
	JZ     nol2
	VMULPS WD, Y10, Y11               // WeightDecay*wk
	VADDPS Y11, Y9, Y9                // d = d + WeightDecay*wk

nol2:
	VMULPS  (R8)(AX*4), B1, Y11       // Beta1*m
	VMULPS  Y9, OMB1, Y12             // OneMinusBeta1*d
	VADDPS  Y12, Y11, Y11             // mk = Beta1*m + OneMinusBeta1*d
	VMOVUPS Y11, (R8)(AX*4)           // m[k:k+8] = mk
	VMULPS  (R9)(AX*4), B2, Y12       // Beta2*v
	VMULPS  Y9, OMB2, Y13             // OneMinusBeta2*d
	VMULPS  Y9, Y13, Y13              // (OneMinusBeta2*d)*d
	VADDPS  Y13, Y12, Y12             // vk = Beta2*v + (OneMinusBeta2*d)*d
	VMOVUPS Y12, (R9)(AX*4)           // v[k:k+8] = vk
	TESTQ   $4, R11                   // AdamAMSGrad?
	JZ      noams
	VMOVUPS   (R10)(AX*4), Y13        // vm[k:k+8]
	VMAXPS    Y13, Y12, Y14           // max(vk, vm): vm where equal or either is NaN
	VCMPPS    $0, Y13, Y12, Y15       // lanes where vk == vm (ordered; -0 == +0)
	VANDPS    Y13, Y12, Y9            // vk & vm: that value, or +0 unless both are -0
	VBLENDVPS Y15, Y9, Y14, Y14       // there take it: Go's max(-0, +0) is +0
	VCMPPS    $3, Y12, Y12, Y15       // lanes where vk is NaN
	VBLENDVPS Y15, Y12, Y14, Y14      // there take vk: a NaN on either side wins
	VMOVUPS   Y14, (R10)(AX*4)        // vm[k:k+8] = max
	VMOVAPS   Y14, Y12                // vk = max

noams:
	VSQRTPS Y12, Y12                  // sqrt(vk), correctly rounded
	VDIVPS  BC2, Y12, Y12             // sqrt(vk)/BC2Sqrt
	VADDPS  EPS, Y12, Y12             // denom = sqrt(vk)/BC2Sqrt + Eps
	VDIVPS  Y12, Y11, Y13             // mk/denom
	VMULPS  STEP, Y13, Y13            // StepSize*(mk/denom)
	VSUBPS  Y13, Y10, Y10             // wk - StepSize*(mk/denom)
	VMOVUPS Y10, (SI)(AX*4)           // w[k:k+8]
	ADDQ    $8, AX
	CMPQ    AX, BX
	JLT     loop

	VZEROUPPER
	RET
