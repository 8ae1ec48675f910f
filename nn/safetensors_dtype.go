package nn

import (
	"encoding/binary"
	"fmt"
	"math"
)

// DType is how a safetensors file stores floating-point tensors. lungo
// computes in float32 whatever the file holds: BF16 and F16 halve a
// checkpoint (ResNet34 U-Net: 98 MB instead of 196 MB) at the cost of
// rounding the weights once, as PyTorch's model.bfloat16() / model.half()
// followed by save_file do.
type DType string

const (
	F32  DType = "F32"  // IEEE binary32, exact
	BF16 DType = "BF16" // bfloat16: float32's range, 8 significant bits
	F16  DType = "F16"  // IEEE binary16: 11 significant bits, |x| <= 65504
)

// ParseDType accepts the safetensors names and the usual aliases
// ("fp32", "float32", "bf16", "bfloat16", "fp16", "float16", "half").
func ParseDType(s string) (DType, error) {
	switch s {
	case "F32", "fp32", "float32", "f32":
		return F32, nil
	case "BF16", "bf16", "bfloat16":
		return BF16, nil
	case "F16", "fp16", "float16", "half", "f16":
		return F16, nil
	}
	return "", fmt.Errorf("nn: dtype %q, want fp32, bf16 or fp16", s)
}

// Size is the bytes per value, 0 for a dtype lungo does not write.
func (dt DType) Size() int {
	switch dt {
	case F32:
		return 4
	case BF16, F16:
		return 2
	}
	return 0
}

// check reports the first value that dt cannot hold: a finite float32
// whose rounding overflows to infinity would be a silently different model,
// so it is an error (PyTorch's half() makes it inf). NaN and infinities
// stay what they are.
func (dt DType) check(x []float32) error {
	switch dt {
	case F16:
		for i, v := range x {
			if f := float64(v); !math.IsInf(f, 0) && !math.IsNaN(f) && math.Abs(f) >= 65520 {
				return fmt.Errorf("element %d = %g overflows float16 (largest 65504)", i, v)
			}
		}
	case BF16:
		for i, v := range x {
			if a := math.Float32bits(v) & 0x7fffffff; a >= 0x7f7f8000 && a < 0x7f800000 {
				return fmt.Errorf("element %d = %g overflows bfloat16 (largest 3.39e38)", i, v)
			}
		}
	}
	return nil
}

// encode writes x as little-endian dt values into buf (Size()*len(x)
// bytes). The caller has run check.
func (dt DType) encode(buf []byte, x []float32) {
	le := binary.LittleEndian
	switch dt {
	case F32:
		for i, v := range x {
			le.PutUint32(buf[4*i:], math.Float32bits(v))
		}
	case BF16:
		for i, v := range x {
			le.PutUint16(buf[2*i:], float32ToBF16(v))
		}
	case F16:
		for i, v := range x {
			le.PutUint16(buf[2*i:], float32ToFloat16(v))
		}
	}
}

// float32ToBF16 rounds to the nearest bfloat16, ties to even, keeping
// subnormals (as torch.Tensor.bfloat16 does); NaN stays a quiet NaN.
func float32ToBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return uint16(u>>16) | 0x40
	}
	u += 0x7fff + (u >> 16 & 1)
	return uint16(u >> 16)
}

// float32ToFloat16 rounds to the nearest IEEE binary16, ties to even, with
// subnormals; values past the largest finite one become infinities (check
// refuses them first) and NaN stays a quiet NaN.
func float32ToFloat16(f float32) uint16 {
	u := math.Float32bits(f)
	sign := uint16(u>>16) & 0x8000
	exp := int(u>>23&0xff) - 127
	mant := u & 0x7fffff
	switch {
	case u&0x7fffffff > 0x7f800000: // NaN
		return sign | 0x7e00 | uint16(mant>>13)
	case exp == 128: // infinity
		return sign | 0x7c00
	case exp > 15: // overflows
		return sign | 0x7c00
	case exp >= -14: // normal: round 23 mantissa bits to 10
		h := uint32(exp+15)<<10 | mant>>13
		rest := mant & 0x1fff
		if rest > 0x1000 || rest == 0x1000 && h&1 == 1 {
			h++ // may carry into the exponent, up to infinity: right
		}
		return sign | uint16(h)
	case exp >= -25: // subnormal: value = m * 2^-24, m < 1024
		m := mant | 0x800000    // 24-bit significand, value = m * 2^(exp-23)
		shift := uint(-exp - 1) // to units of 2^-24: m >> (-14-exp+13)
		h := m >> shift
		rest := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rest > half || rest == half && h&1 == 1 {
			h++
		}
		return sign | uint16(h)
	}
	return sign // underflows to signed zero
}
