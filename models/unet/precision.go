package unet

import (
	"context"
	"fmt"

	"github.com/lungo-ml/lungo/tensor"
)

// Precision is the number format inference runs in.
type Precision int

const (
	// FP32 is float32 throughout: Model.Predict.
	FP32 Precision = iota
	// BF16 is bfloat16 weights and activations with float32 sums:
	// BF16Model.
	BF16
	// Int8 is int8 weights and uint8 activations with int32 sums and the
	// ranges of a Calibration: Int8Model (NewInt8).
	Int8
)

// String returns "fp32", "bf16" or "int8".
func (p Precision) String() string {
	switch p {
	case FP32:
		return "fp32"
	case BF16:
		return "bf16"
	case Int8:
		return "int8"
	}
	return fmt.Sprintf("Precision(%d)", int(p))
}

// ParsePrecision parses "fp32", "bf16" or "int8".
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "fp32", "float32", "":
		return FP32, nil
	case "bf16", "bfloat16":
		return BF16, nil
	case "int8":
		return Int8, nil
	}
	return FP32, fmt.Errorf("unet: precision %q, want fp32, bf16 or int8", s)
}

// Predictor is inference in some precision: Model, BF16Model and
// Int8Model.
type Predictor interface {
	Predict(x *tensor.Tensor) (*tensor.Tensor, error)
	PredictContext(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error)
}

// NewPredictor returns m itself for FP32 and NewBF16(m) for BF16; Int8
// needs a Calibration: NewInt8(m, cal).
func NewPredictor(m *Model, p Precision) (Predictor, error) {
	switch p {
	case FP32:
		return m, nil
	case BF16:
		return NewBF16(m)
	case Int8:
		return nil, fmt.Errorf("unet: int8 inference needs a calibration: NewInt8(m, Calibrate(...)), or a checkpoint made by lungo quantize")
	}
	return nil, fmt.Errorf("unet: unsupported precision %v", p)
}
