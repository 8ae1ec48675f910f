// Package unet is the U-Net for pneumothorax segmentation: a torchvision
// ResNet-18/34/50 encoder, segmentation_models_pytorch's U-Net decoder
// (nearest 2x upsampling, concatenated skips, two 3x3 conv-BN-ReLU per block,
// optional scSE attention; decoder channels 256, 128, 64, 32, 16), a 3x3
// segmentation head without activation and an optional classification head
// (global average pool, dropout 0.2, linear) on the deepest features.
//
// # Compatibility
//
// State-dict keys and shapes are those of /work/shared/ref/unet_ref.py
// (smp's Unet): "encoder.layer1.0.conv1.weight", "decoder.blocks.0.conv1.0.weight",
// "segmentation_head.0.weight", "classification_head.3.weight". Weights load
// from PyTorch .pth files (package nn/pth), safetensors and lungo checkpoints
// (safetensors whose metadata holds the Config, see SaveCheckpoint and Open).
// Open works the architecture out from the keys and shapes when no Config is
// given, and weights that leave any parameter or batch-norm buffer unset are
// an error naming what is missing: encoder-only weights (a torchvision
// ResNet) are refused by Open and LoadStateDict and load with LoadEncoder.
// A 3-channel stem loads into a 1-channel model by summing its RGB weights.
//
// # Layout
//
// Forward and Predict take and return PyTorch's NCHW tensors; inside, the
// network runs channels-last (nn's convention) and converts once at each end.
// Heights and widths that are not multiples of 32 are zero-padded at the
// bottom and right and the mask is cropped back.
//
// # Memory
//
// Training keeps, per conv-BN-ReLU, the convolution's output (the batch
// norm's input) and the ReLU's output, as PyTorch does: batch norm, the
// residual add and ReLU run as one nn.BatchNormReLU, and the decoder's
// nearest upsampling is written straight into the concatenation with the
// skip features (nn.UpsampleConcat). Under an nn.Arena a U-Net-ResNet34
// step on 4 images of 256x256 draws about 435 MiB of activations and
// gradients; parameters, their gradients and Adam's two moments add
// 4 x 93 MiB.
//
// Predict runs in an arena of its own and frees each activation as soon as
// the next layer has consumed it (nn.Free), so it needs the activations
// alive at one time, not all of them: for ResNet-34 at batch 1 about 20, 83
// and 339 MiB at 256, 512 and 1024 pixels square (about 340 bytes per input
// pixel), plus the 93 MiB of parameters and the kernels' scratch buffers,
// whatever the thread count. The arena keeps its buffers for the next call,
// which then allocates no activations; ReleaseInferenceMemory hands them to
// the garbage collector.
//
// # Concurrency
//
// Any number of models predict at once from any number of goroutines: each
// pass carries its own execution state (an nn.Exec with the model's arena),
// and nothing process-wide changes with it. Calls on one model take turns;
// for parallel predictions with one set of weights, give each goroutine a
// Replica (shared read-only weights, its own arena: about 93 MiB of weights
// once, plus each replica's activations). Clone makes an independent copy,
// for predicting on a snapshot while the original trains. Every Predict
// holds a kernels compute slot (kernels.Acquire) while it runs, so that
// concurrent calls share the pool's threads instead of oversubscribing the
// cores; PredictContext gives up when its context is done, and the model
// stays usable.
//
// # Reduced precision
//
// NewBF16 (or NewPredictor(m, BF16)) makes a bfloat16 inference model from
// a Model: batch norm folded into the convolutions, weights and
// activations in bf16, products summed in float32 (AVX-512 BF16 where the
// CPU has it, a generic Go kernel otherwise: kernels.BF16Accelerated). It
// predicts like Model (Predict, PredictContext, Replica); on a trained
// demo model its probabilities differed from float32's by 4e-5 on average
// (masks: Dice 0.998 between the two). scSE attention and a classification
// head are not supported yet.
//
//	m, _ := unet.New(unet.Config{Encoder: "resnet34", InChannels: 1, Classes: 1}, tensor.NewRNG(1))
//	_ = m.LoadWeights("unet_r34.pth")
//	probs, _ := m.Predict(x) // x [N, 1, H, W] -> probs [N, 1, H, W]
package unet
