// Package nn is lungo's neural-network layer: a define-by-run autograd
// engine, differentiable operations, PyTorch-compatible layers, losses and
// state dicts.
//
// # Layout
//
// Inside nn, 4-D activations are channels-last [N, H, W, C], the layout the
// kernels vectorise over; parameters keep PyTorch's layouts (Conv2DLayer weights
// [Out, In, KH, KW], ConvTranspose2DLayer weights [In, Out, KH, KW], Linear
// [Out, In]) so that state dicts load unchanged. A model converts its
// PyTorch-layout input once with ToNHWC and its output once with ToNCHW;
// both are differentiable. Reshape and Flatten follow the data's own
// (channels-last) element order.
//
// # The graph
//
// Every operation returns a *Value holding its result. When graph recording
// is on (the default) and an input requires a gradient, the result also
// records its inputs and a backward function. Backward (or BackwardWith for
// a non-scalar seed) sorts the graph topologically and runs the backward
// functions in reverse, each accumulating into its inputs' Grad. Leaves made
// with Param require gradients; Const leaves do not. Gradients accumulate
// across passes until ZeroGrad. New operations outside nn (losses, custom
// layers) are written with NewResult.
//
// # Execution state: Exec
//
// nn keeps no process-wide execution state. What a pass needs (the arena its
// memory comes from, whether it records the graph, the context that can
// cancel it) is an Exec, and it travels with the values: an input made with
// Exec.Input carries its Exec, and every operation's result belongs to the
// Exec of its inputs. A pass whose Exec does not record the graph is
// torch.no_grad: results keep no parents or backward closures, so inference
// holds only live activations. Values without an Exec (Const, Param)
// record and use the heap, as plain PyTorch does.
//
// Why on the values, not in a global switch or a goroutine-local: Go has no
// goroutine-local storage, and a global (torch.no_grad, an installed arena)
// made two models predicting in two goroutines swap each other's arena and
// grad mode mid-pass. Passing an Exec to every operation would have doubled
// every signature; carrying it on the values gives each pass its own state
// with the operations' signatures unchanged, the way a PyTorch tensor carries
// its device. Parameters belong to no pass, so replicas of a model that share
// read-only weights run at once, each with its own Exec (see
// unet.Model.Replica). An Exec serves one goroutine at a time.
//
// # Layers
//
// An operation is a function named after what it computes (Conv2D, ReLU,
// MaxPool2D); the layer that holds its parameters and settings is a type of
// the same name with Layer added (Conv2DLayer, built by NewConv2DLayer), the
// split of PyTorch's torch.nn.functional.conv2d and torch.nn.Conv2d without
// names that differ only by the case of one letter. Layers (Conv2DLayer,
// ConvTranspose2DLayer, BatchNorm2DLayer, ReLULayer, MaxPool2DLayer,
// UpsampleLayer, LinearLayer, DropoutLayer, Sequential) implement Layer: Module (named
// parameters and buffers with PyTorch's state-dict keys, train/eval mode)
// plus Forward. Constructors take a *tensor.RNG and initialise like PyTorch's
// defaults (kaiming_uniform with a = sqrt(5), bias uniform in
// ±1/sqrt(fan_in)), deterministically for a seed. Layers start in training
// mode, as in PyTorch.
//
// # Memory: the Arena
//
// A training step creates the same activations, saved tensors and
// intermediate gradients every time. Give its Exec an Arena and call the
// arena's Release after the optimizer step: ops then draw all of that memory
// from the arena (best-fit ranges of reused slabs) and the
// next step reuses it, so steady-state steps allocate only small graph
// bookkeeping (Value structs and closures), not activations. Anything read
// after Release must be copied out first; parameters and their gradients
// are always heap memory. See Arena for the loop, and
// BenchmarkTrainStepSmallNet for the measured effect.
//
// Fused operations keep fewer activations alive for backward:
// BatchNormReLU (batch norm, optional residual add, ReLU: it keeps the
// input and the output, like PyTorch, but no normalised or summed tensor)
// and UpsampleConcat (nearest 2x upsampling written straight into the
// concatenation with a skip connection). Sequential runs a BatchNorm2DLayer
// followed by a ReLU as one BatchNormReLU.
//
// Inference under an arena frees as it goes: in a pass that records no
// graph, Free hands a consumed value's buffer back for the next operations, and Sequential
// frees each intermediate result once the next layer has read it, so a
// forward pass needs memory for the values alive at once, not for all.
package nn
