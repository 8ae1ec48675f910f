"""PyTorch side of the bf16 comparison: U-Net-ResNet34 (../shared/ref/unet_ref.py)
inference in float32 and under torch.autocast("cpu", dtype=torch.bfloat16),
interleaved call by call, wall and process-CPU medians.

Usage (Debian's python3-torch):
  /usr/bin/python3 scripts/bench/torch_bf16.py --size 512 --threads 1 --runs 5 [--fmt channels_last]
"""
import argparse, os, statistics, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "ref"))
import torch
from unet_ref import Unet

p = argparse.ArgumentParser()
p.add_argument("--size", type=int, default=512); p.add_argument("--threads", type=int, default=1)
p.add_argument("--runs", type=int, default=5); p.add_argument("--fmt", default="channels_last")
a = p.parse_args()
torch.manual_seed(0)
torch.set_num_threads(a.threads)
mf = torch.channels_last if a.fmt == "channels_last" else torch.contiguous_format
model = Unet("resnet34", in_channels=1).eval().to(memory_format=mf)
x = torch.randn(1, 1, a.size, a.size).contiguous(memory_format=mf)

def fp32():
    with torch.no_grad():
        return model(x)

def bf16():
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        return model(x)

with torch.no_grad():
    ref = torch.sigmoid(fp32()).float()
    got = torch.sigmoid(bf16()).float()
print(f"autocast bf16 vs fp32 probabilities: mean |diff| {(ref - got).abs().mean().item():.2e}, max {(ref - got).abs().max().item():.3g}")
tw = {"fp32": [], "bf16": []}
tc = {"fp32": [], "bf16": []}
for i in range(a.runs + 1):
    for name, f in (("fp32", fp32), ("bf16", bf16)):
        w0, c0 = time.perf_counter(), time.process_time()
        f()
        if i > 0:
            tw[name].append((time.perf_counter() - w0) * 1e3)
            tc[name].append((time.process_time() - c0) * 1e3)
mw = {k: statistics.median(v) for k, v in tw.items()}
mc = {k: statistics.median(v) for k, v in tc.items()}
print(f"torch {torch.__version__} {a.fmt} infer 1x{a.size}x{a.size} threads={a.threads}: wall fp32 {mw['fp32']:.1f} ms, "
      f"autocast bf16 {mw['bf16']:.1f} ms, ratio {mw['bf16']/mw['fp32']:.2f}; process CPU fp32 {mc['fp32']:.1f} ms, "
      f"bf16 {mc['bf16']:.1f} ms, ratio {mc['bf16']/mc['fp32']:.2f} (medians of {a.runs}, interleaved)")
