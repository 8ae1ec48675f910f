//go:build gc && !purego

package kernels

import "github.com/lungo-ml/lungo/internal/asm"

const (
	bnResidual = asm.BNResidual
	bnReLU     = asm.BNReLU
)

// streamNEON are the NEON batch-norm and elementwise kernels.
var streamNEON = &streamKernels{
	lanes:        4,
	colSum:       asm.ColSum64NEON,
	colSqDev:     asm.ColSqDev64NEON,
	colGradSums:  asm.ColGradSums64NEON,
	applyRows:    asm.BNApplyRowsNEON,
	gradRows:     asm.BNGradRowsNEON,
	relu:         asm.ReLUNEON,
	reluBackward: asm.ReLUBackwardNEON,
	add:          asm.AddNEON,
}

// streamSIMD returns the batch-norm and elementwise kernels of the named
// implementation.
func streamSIMD(name string) *streamKernels {
	if name == "neon" {
		return streamNEON
	}
	return nil
}
