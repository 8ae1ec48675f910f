package nn

import "github.com/lungo-ml/lungo/tensor"

// BatchNorm2DLayer is nn.BatchNorm2DLayer over the channels of x [N, H, W, C]:
// parameters "weight" (gamma, ones) and "bias" (beta, zeros), buffers
// "running_mean" (zeros), "running_var" (ones) and "num_batches_tracked"
// (a zero-dimensional count, int64 in PyTorch files). Training mode (the
// default) normalises with batch statistics and updates the running ones;
// evaluation mode uses the running statistics.
type BatchNorm2DLayer struct {
	Weight, Bias            *Value
	RunningMean, RunningVar *tensor.Tensor
	NumBatchesTracked       *tensor.Tensor
	Eps, Momentum           float32
	Training                bool
}

// NewBatchNorm2d returns a BatchNorm2DLayer for c channels with eps 1e-5 and
// momentum 0.1, in training mode.
func NewBatchNorm2DLayer(c int) *BatchNorm2DLayer {
	return &BatchNorm2DLayer{
		Weight:            Param(tensor.Full(1, c)),
		Bias:              Param(tensor.New(c)),
		RunningMean:       tensor.New(c),
		RunningVar:        tensor.Full(1, c),
		NumBatchesTracked: tensor.Scalar(0),
		Eps:               1e-5,
		Momentum:          0.1,
		Training:          true,
	}
}

// Forward normalises x [N, H, W, C] (or [M, C]). In training mode it also
// updates the running statistics and counts the batch.
func (b *BatchNorm2DLayer) Forward(x *Value) *Value {
	if b.Training {
		b.NumBatchesTracked.Data[0]++
	}
	return BatchNorm2D(x, b.Weight, b.Bias, b.RunningMean, b.RunningVar, b.Training, b.Momentum, b.Eps)
}

// ForwardReLU returns relu(b.Forward(x) + residual) (residual nil: no add)
// as one BatchNormReLU, which keeps neither the normalised tensor nor the
// sum alive; residual has x's shape.
func (b *BatchNorm2DLayer) ForwardReLU(x, residual *Value) *Value {
	if b.Training {
		b.NumBatchesTracked.Data[0]++
	}
	return BatchNormReLU(x, b.Weight, b.Bias, residual, b.RunningMean, b.RunningVar, b.Training, b.Momentum, b.Eps)
}

// NamedParameters returns "weight" and "bias".
func (b *BatchNorm2DLayer) NamedParameters(prefix string) []NamedParam {
	return weightBias(prefix, b.Weight, b.Bias)
}

// NamedBuffers returns "running_mean", "running_var" and
// "num_batches_tracked" (Int64).
func (b *BatchNorm2DLayer) NamedBuffers(prefix string) []NamedBuffer {
	return []NamedBuffer{
		{Name: prefix + "running_mean", Tensor: b.RunningMean},
		{Name: prefix + "running_var", Tensor: b.RunningVar},
		{Name: prefix + "num_batches_tracked", Tensor: b.NumBatchesTracked, Int64: true},
	}
}

// SetTraining switches between batch (true) and running statistics.
func (b *BatchNorm2DLayer) SetTraining(training bool) { b.Training = training }
