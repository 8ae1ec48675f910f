//go:build gc && !purego

package kernels

import "github.com/lungo-ml/lungo/internal/asm"

const (
	bnResidual = asm.BNResidual
	bnReLU     = asm.BNReLU
)

// streamAVX2 are the AVX2 batch-norm and elementwise kernels.
var streamAVX2 = &streamKernels{
	lanes:        8,
	colSum:       asm.ColSum64AVX2,
	colSqDev:     asm.ColSqDev64AVX2,
	colGradSums:  asm.ColGradSums64AVX2,
	applyRows:    asm.BNApplyRowsAVX2,
	gradRows:     asm.BNGradRowsAVX2,
	relu:         asm.ReLUAVX2,
	reluBackward: asm.ReLUBackwardAVX2,
	add:          asm.AddAVX2,
}

// streamSIMD returns the batch-norm and elementwise kernels of the named
// implementation: AVX2 for both amd64 ones (AVX-512 would not pay: these
// passes are bound by memory bandwidth, and Zen 4 runs both widths alike).
func streamSIMD(name string) *streamKernels {
	switch name {
	case "avx2", "avx512":
		return streamAVX2
	}
	return nil
}
