#!/usr/bin/python3
"""PyTorch side of the training-parity check (scripts/parity/run.sh).

    torch_side.py init  --arch resnet18 --seed K --out init.pth
    torch_side.py train --arch resnet18 --init init.pth --stream DIR --steps N --batch B
                        [--dtype float32|float64] [--lr ...] --out PREFIX

init saves the reference U-Net's initial weights (../shared/ref/unet_ref.py, seeded with
torch.manual_seed(K)) once; both sides start from them. train runs the same training as
scripts/parity/lungo: the batch stream from the .npy files in order, BCE-with-logits plus
soft Dice (smooth 1, one Dice over the batch), AdamW, LambdaLR with lungo's warm-up + cosine
factor, batch norm in training mode, validation with the competition metric (mean per-image
Dice of sigmoid > 0.5, 1 for an empty prediction of an empty mask). It writes one JSON line
per step (loss, lr, grad_norm, seconds) and per validation to PREFIX_steps.jsonl, and the
state dict after --save-after steps to PREFIX_after<k>.npz. --dtype float64 runs the same
model in double precision (model.double()): the yardstick for the float32 runs.
--channels-last runs PyTorch's channels-last kernels: a second float32 sample of the same
run, which shows how far two correct float32 runs fall apart.

Run with Debian's python3-torch (/usr/bin/python3).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "ref"))
from unet_ref import Unet  # noqa: E402


def warmup_cosine(warmup, total, min_ratio):
    """lungo's optim.WarmupCosine factor f(step), step = 0, 1, ... (LambdaLR's argument)."""
    def f(s):
        if s < warmup:
            return (s + 1) / warmup
        if s >= total:
            return min_ratio
        p = (s - warmup) / (total - warmup)
        return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * p))
    return f


def soft_dice(logits, target, smooth=1.0, eps=1e-7):
    """lungo's nn.SoftDice(perImage=false): 1 - (2I + s) / max(P + T + s, eps) over the batch."""
    p = torch.sigmoid(logits)
    inter = (p * target).sum()
    denom = (p.sum() + target.sum() + smooth).clamp_min(eps)
    return 1 - (2 * inter + smooth) / denom


def competition_dice(pred, truth):
    """Mean over images of Dice(pred_i, truth_i); 1 when both are empty, 0 when one is."""
    scores = []
    for p, t in zip(pred, truth):
        p, t = p.astype(bool), t.astype(bool)
        s = p.sum() + t.sum()
        scores.append(1.0 if s == 0 else 2.0 * (p & t).sum() / s)
    return float(np.mean(scores))


def val_dice(model, vx, vy, dtype):
    model.eval()
    preds = []
    with torch.no_grad():
        for lo in range(0, len(vx), 4):
            x = torch.from_numpy(vx[lo:lo + 4]).to(dtype)
            preds.append((torch.sigmoid(model(x)) > 0.5).numpy())
    model.train()
    return competition_dice(np.concatenate(preds)[:, 0], vy[:, 0] > 0.5)


def cmd_init(a):
    torch.manual_seed(a.seed)
    m = Unet(a.arch, in_channels=1, classes=1)
    torch.save(m.state_dict(), a.out)


def cmd_train(a):
    torch.set_num_threads(a.threads)
    dtype = {"float32": torch.float32, "float64": torch.float64}[a.dtype]
    m = Unet(a.arch, in_channels=1, classes=1)
    m.load_state_dict(torch.load(a.init))
    m = m.to(dtype)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    m = m.to(memory_format=fmt)
    m.train()
    xs = np.load(os.path.join(a.stream, "train_x.npy"), mmap_mode="r")
    ys = np.load(os.path.join(a.stream, "train_y.npy"), mmap_mode="r")
    vx = np.load(os.path.join(a.stream, "val_x.npy"))
    vy = np.load(os.path.join(a.stream, "val_y.npy"))
    if len(xs) < a.steps * a.batch:
        sys.exit(f"the stream holds {len(xs)} images, {a.steps} steps of {a.batch} need {a.steps * a.batch}")
    params = list(m.parameters())
    opt = torch.optim.AdamW(params, lr=a.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=a.wd)
    total = a.total or a.steps
    sched = torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine(a.warmup, total, a.min_ratio))
    train_secs = 0.0
    with open(a.out + "_steps.jsonl", "w") as f:
        def emit(d):
            f.write(json.dumps(d) + "\n")
            f.flush()
        for step in range(1, a.steps + 1):
            t0 = time.perf_counter()
            lo = (step - 1) * a.batch
            x = torch.from_numpy(np.array(xs[lo:lo + a.batch])).to(dtype).contiguous(memory_format=fmt)
            y = torch.from_numpy(np.array(ys[lo:lo + a.batch])).to(dtype).contiguous(memory_format=fmt)
            lr = opt.param_groups[0]["lr"]
            opt.zero_grad(set_to_none=True)
            logits = m(x)
            loss = F.binary_cross_entropy_with_logits(logits, y) + soft_dice(logits, y)
            loss.backward()
            # The norm only: max_norm infinite clips nothing.
            gn = float(torch.sqrt(sum((p.grad.double() ** 2).sum() for p in params)))
            opt.step()
            sched.step()
            secs = time.perf_counter() - t0
            train_secs += secs
            lv = float(loss)
            if not math.isfinite(lv):
                sys.exit(f"loss {lv} at step {step}")
            emit({"step": step, "loss": lv, "lr": lr, "grad_norm": gn, "seconds": secs})
            if step == a.save_after:
                sd = {k: v.detach().double().numpy() for k, v in m.state_dict().items()}
                np.savez(f"{a.out}_after{step}.npz", **sd)
            if (a.eval_every > 0 and step % a.eval_every == 0) or step == a.steps:
                if a.no_eval:
                    continue
                t1 = time.perf_counter()
                d = val_dice(m, vx, vy, dtype)
                print(f"torch {a.dtype} step {step}: val dice {d:.4f}", file=sys.stderr)
                emit({"step": step, "val_dice": d, "eval_seconds": time.perf_counter() - t1})
        emit({"train_seconds": train_secs, "threads": a.threads})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("init")
    i.add_argument("--arch", default="resnet18")
    i.add_argument("--seed", type=int, default=1)
    i.add_argument("--out", required=True)
    t = sub.add_parser("train")
    t.add_argument("--arch", default="resnet18")
    t.add_argument("--init", required=True)
    t.add_argument("--stream", required=True)
    t.add_argument("--steps", type=int, default=5)
    t.add_argument("--total", type=int, default=0, help="schedule length (default --steps)")
    t.add_argument("--batch", type=int, default=4)
    t.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--wd", type=float, default=0.01)
    t.add_argument("--warmup", type=int, default=1)
    t.add_argument("--min-ratio", type=float, default=0.05)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--eval-every", type=int, default=0)
    t.add_argument("--no-eval", action="store_true")
    t.add_argument("--channels-last", action="store_true",
                   help="channels-last tensors: other kernels, so another float32 rounding of the same run")
    t.add_argument("--save-after", type=int, default=5)
    t.add_argument("--out", required=True)
    a = ap.parse_args()
    {"init": cmd_init, "train": cmd_train}[a.cmd](a)


if __name__ == "__main__":
    main()
