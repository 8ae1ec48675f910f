package nn

import "github.com/lungo-ml/lungo/tensor"

// NamedParam is a parameter with its PyTorch state-dict key
// ("encoder.layer1.0.conv1.weight").
type NamedParam struct {
	Name  string
	Value *Value
}

// NamedBuffer is a non-trainable state tensor with its state-dict key
// ("bn1.running_mean"). Int64 marks buffers PyTorch stores as int64
// (num_batches_tracked); lungo keeps them as float32 and converts in files.
type NamedBuffer struct {
	Name   string
	Tensor *tensor.Tensor
	Int64  bool
}

// Module is a layer or a network of layers. Keys follow PyTorch: a child
// named "conv1" under prefix "layer1.0." yields "layer1.0.conv1.weight".
type Module interface {
	// NamedParameters returns the parameters in registration order, keys
	// prefixed with prefix (which ends in "." or is empty).
	NamedParameters(prefix string) []NamedParam
	// NamedBuffers returns the buffers, likewise.
	NamedBuffers(prefix string) []NamedBuffer
	// SetTraining switches train (true) or eval (false) mode, recursively.
	SetTraining(training bool)
}

// Parameters returns m's parameter values in order.
func Parameters(m Module) []*Value {
	named := m.NamedParameters("")
	out := make([]*Value, len(named))
	for i, p := range named {
		out[i] = p.Value
	}
	return out
}

// ZeroGrad zeroes the gradients of m's parameters.
func ZeroGrad(m Module) {
	for _, p := range m.NamedParameters("") {
		p.Value.ZeroGrad()
	}
}

// CountParameters returns the number of scalar parameters of m.
func CountParameters(m Module) int {
	n := 0
	for _, p := range m.NamedParameters("") {
		n += p.Value.Data.Numel()
	}
	return n
}
