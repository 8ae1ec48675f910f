// Package train is lungo's training loop as an importable API: Fit trains a
// U-Net (a Job: model, loss, optimizer, schedules, loaders) for a number of
// epochs with validation, checkpoints, metrics and curves, and resumes
// exactly after an interruption. Validation and prediction are package
// infer's, which train imports and a predict-only program uses alone.
//
// The files, one concern each: fit.go the loop (Job, Config, Fit, one
// epoch); checkpoint.go the run folder's files, the best and top-k
// checkpoints, saving and resuming; average.go weight averaging (EMA,
// AverageCheckpoints); metrics.go the per-epoch record (EpochInfo),
// validation scores, metrics.jsonl and curves.png.
//
// # Deterministic training
//
// Training is deterministic without a switch: the same seed, data and
// configuration give bit-identical weights, batch-norm statistics and
// optimizer state, run after run and on any number of kernel threads
// (kernels.SetThreads). Every reduction in a training step is cut into
// blocks fixed by the shape, never by the thread count, and its partial
// sums are added in a fixed order: the losses (float64 blocks of 8192
// elements), batch-norm statistics and gradients, bias gradients, the
// gradient norm, and the convolution weight gradients, whose blocks of
// positions are kernels' weightsShares (2) whatever the number of threads
// (shapes whose partial sums outweigh their input split the output rows
// between threads instead, which changes no sum). Forward and
// backward-data convolutions split only their outputs; Adam is
// element-wise. The loader's batches depend on (seed, epoch, position), not
// on its workers. TestDeterministicAcrossThreads trains a U-Net-ResNet18 on
// 1 and 2 threads and twice on 1 and compares every tensor bit for bit.
//
// What still changes the numbers: the kernel implementation (generic, avx2,
// avx512, neon: LUNGO_KERNELS), the Winograd settings (SetWinograd,
// SetWinogradTile), the CPU architecture, and the Go toolchain's
// floating-point code generation (FMA fusion differs between amd64 and
// arm64). Fix those too to reproduce a run on another machine.
package train
