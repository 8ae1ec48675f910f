// Package optim updates a model's parameters from their gradients: the
// optimizers SGD (momentum, dampening, Nesterov, weight decay), Adam (L2
// weight decay, optional AMSGrad) and AdamW (decoupled weight decay), with
// PyTorch 1.13's exact update rules (torch/optim/sgd.py, adam.py, adamw.py,
// single-tensor path); the learning-rate schedules StepLR, WarmupCosine and
// ReduceLROnPlateau; and ClipGradNorm (torch.nn.utils.clip_grad_norm_).
//
// Parameters are *nn.Value leaves (nn.Parameters(model)); a parameter whose
// Grad is nil is skipped by Step, as PyTorch skips p.grad is None. Updates
// are element-wise in float32 (as PyTorch computes them on float32 tensors)
// and split across kernels.Parallel workers: results do not depend on the
// thread count.
//
// A training step is
//
//	opt.ZeroGrad()
//	loss := nn.BCEWithLogits(model.Forward(x), y, nil)
//	loss.Backward()
//	optim.ClipGradNorm(params, 1)   // optional
//	opt.Step()
//	sched.Step()                    // per step or per epoch, as configured
//
// # Resuming
//
// Optimizers and schedules export their state as a *State (a kind, named
// float64 scalars such as step counters and the learning rate, and named
// tensors such as Adam's moments) and restore it with LoadState, so a run
// resumes exactly. State.Encode stores a State in an nn.StateDict plus a
// string metadata map (scalars formatted exactly), which
// nn.SaveSafetensors writes to one file; DecodeState reads it back.
package optim
