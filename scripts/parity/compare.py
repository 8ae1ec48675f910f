#!/usr/bin/python3
"""Joins the two sides of one parity run (scripts/parity/run.sh): prints a per-step table and
the per-tensor distances after --after steps to stderr, writes OUT/parity.png (both loss
curves and both validation-Dice curves) and OUT/summary.json, and prints the summary as one
JSON line on stdout (run.sh's last line).

    compare.py OUT [--after 5]

Reads OUT/torch32_steps.jsonl, OUT/torch64_steps.jsonl, OUT/lungo_steps.jsonl and the
*_after<k>.npz state dicts. Distances: relative loss difference |a - b| / |b|; per tensor
||a - b|| / ||b|| (float64 norms; num_batches_tracked skipped).
"""
import argparse
import json
import os
import sys

import numpy as np


def read_steps(path):
    steps, evals, tail = {}, {}, {}
    if not os.path.exists(path):
        return steps, evals, tail
    with open(path) as f:
        for line in f:
            d = json.loads(line)
            if "loss" in d:
                steps[d["step"]] = d
            elif "val_dice" in d:
                evals[d["step"]] = d["val_dice"]
            else:
                tail.update(d)
    return steps, evals, tail


def rel(a, b):
    return abs(a - b) / abs(b) if b != 0 else abs(a - b)


def tensor_dists(a_path, b_path):
    """{key: ||a - b|| / ||b||} over b's floating tensors."""
    a, b = np.load(a_path), np.load(b_path)
    out = {}
    for k in b.files:
        if k.endswith("num_batches_tracked"):
            continue
        x, y = a[k].astype(np.float64).ravel(), b[k].astype(np.float64).ravel()
        ny = np.linalg.norm(y)
        d = np.linalg.norm(x - y)
        out[k] = d / ny if ny > 0 else d
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--after", type=int, default=5)
    a = ap.parse_args()
    o = a.out
    t32, t32e, t32t = read_steps(os.path.join(o, "torch32_steps.jsonl"))
    t64, _, _ = read_steps(os.path.join(o, "torch64_steps.jsonl"))
    lg, lge, lgt = read_steps(os.path.join(o, "lungo_steps.jsonl"))
    tcl, _, _ = read_steps(os.path.join(o, "torch32cl_steps.jsonl"))
    summary = {}
    n5 = min(5, len(t64), len(lg), len(t32))

    print("step  loss lungo    loss torch32  loss torch64  rel l-t32  rel l-t64  rel t32-t64  lr lungo / torch  gnorm lungo / torch32",
          file=sys.stderr)
    for s in sorted(lg):
        if s not in t32:
            continue
        l, t = lg[s]["loss"], t32[s]["loss"]
        line = f"{s:4d}  {l:.8f}  {t:.8f}  "
        if s in t64:
            d = t64[s]["loss"]
            line += f"{d:.8f}  {rel(l, t):9.2e}  {rel(l, d):9.2e}  {rel(t, d):11.2e}  "
        else:
            line += f"{'':10s}  {rel(l, t):9.2e}  {'':9s}  {'':11s}  "
        line += f"{lg[s]['lr']:.3e} / {t32[s]['lr']:.3e}  {lg[s]['grad_norm']:.5f} / {t32[s]['grad_norm']:.5f}"
        if s <= 10 or s % 25 == 0 or s == max(lg):
            print(line, file=sys.stderr)

    if 1 in lg and 1 in t32:
        summary["loss_rel_diff_step1"] = rel(lg[1]["loss"], t32[1]["loss"])
    if n5:
        summary["lungo_loss_vs_f64_first5"] = max(rel(lg[s]["loss"], t64[s]["loss"]) for s in range(1, n5 + 1))
        summary["torch32_loss_vs_f64_first5"] = max(rel(t32[s]["loss"], t64[s]["loss"]) for s in range(1, n5 + 1))
        if len(tcl) >= n5:
            summary["torch32cl_loss_vs_f64_first5"] = max(rel(tcl[s]["loss"], t64[s]["loss"]) for s in range(1, n5 + 1))
        summary["lr_max_rel_diff"] = max(rel(lg[s]["lr"], t32[s]["lr"]) for s in lg if s in t32)

    f64 = os.path.join(o, f"torch64_after{a.after}.npz")
    if os.path.exists(f64):
        dl = tensor_dists(os.path.join(o, f"lungo_after{a.after}.npz"), f64)
        dt = tensor_dists(os.path.join(o, f"torch32_after{a.after}.npz"), f64)
        summary[f"lungo_vs_f64_after{a.after}"] = max(dl.values())
        summary[f"torch32_vs_f64_after{a.after}"] = max(dt.values())
        over = []
        for k in dl:
            bound = max(2 * dt[k], 1e-5)
            if dl[k] > bound:
                over.append({"tensor": k, "lungo": dl[k], "torch32": dt[k], "ratio": dl[k] / max(dt[k], 1e-30)})
        summary["tensors_over_bound"] = len(over)
        summary["tensors"] = len(dl)
        worst = sorted(dl, key=lambda k: -dl[k] / max(2 * dt[k], 1e-5))[:8]
        print(f"\nafter {a.after} steps, ||x - f64|| / ||f64|| (bound max(2 * torch32, 1e-5)); worst 8 by ratio to bound:",
              file=sys.stderr)
        for k in worst:
            print(f"  {k:50s} lungo {dl[k]:.3e}  torch32 {dt[k]:.3e}  {'OVER' if dl[k] > max(2 * dt[k], 1e-5) else 'ok'}",
                  file=sys.stderr)
        if over:
            summary["over"] = over
        # A second PyTorch float32 run (channels-last kernels), checked against the same
        # bound: how often a correct float32 run exceeds it by chance.
        alt = os.path.join(o, f"torch32cl_after{a.after}.npz")
        if os.path.exists(alt):
            da = tensor_dists(alt, f64)
            summary[f"torch32cl_vs_f64_after{a.after}"] = max(da.values())
            summary["torch32cl_tensors_over_bound"] = int(sum(da[k] > max(2 * dt[k], 1e-5) for k in da))
            for k in worst:
                print(f"  (channels-last PyTorch float32) {k:34s} {da[k]:.3e}", file=sys.stderr)

    if lge and t32e:
        summary["lungo_dice"] = lge[max(lge)]
        summary["torch_dice"] = t32e[max(t32e)]
    last = max(lg) if lg else 0
    if last:
        k = max(1, last // 10)
        summary["lungo_loss_last10pct"] = float(np.mean([lg[s]["loss"] for s in lg if s > last - k]))
        summary["torch_loss_last10pct"] = float(np.mean([t32[s]["loss"] for s in t32 if s > last - k]))
    summary["lungo_seconds"] = lgt.get("train_seconds")
    summary["torch_seconds"] = t32t.get("train_seconds")
    summary["steps"] = last

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(1, 2, figsize=(11, 4))
        for name, st, ev, c in (("PyTorch float32", t32, t32e, "tab:red"), ("lungo", lg, lge, "tab:blue")):
            xs = sorted(st)
            ax[0].plot(xs, [st[s]["loss"] for s in xs], color=c, lw=1, alpha=0.8, label=name)
            if ev:
                xe = sorted(ev)
                ax[1].plot(xe, [ev[s] for s in xe], "o-", color=c, label=name)
        if t64:
            xs = sorted(t64)
            ax[0].plot(xs, [t64[s]["loss"] for s in xs], "k.", label="PyTorch float64")
        ax[0].set_xlabel("step")
        ax[0].set_ylabel("loss (BCE + soft Dice)")
        ax[0].legend()
        ax[1].set_xlabel("step")
        ax[1].set_ylabel("validation Dice (competition)")
        ax[1].legend()
        fig.suptitle(os.path.basename(os.path.abspath(o)))
        fig.tight_layout()
        fig.savefig(os.path.join(o, "parity.png"), dpi=100)
    except ImportError:
        print("matplotlib missing: no PNG", file=sys.stderr)

    with open(os.path.join(o, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    short = {k: v for k, v in summary.items() if k != "over"}
    print(json.dumps(short))


if __name__ == "__main__":
    main()
