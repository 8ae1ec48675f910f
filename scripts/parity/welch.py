#!/usr/bin/python3
"""Whole-run parity over seeds: joins the run.sh folders of several seeds (one side each of
lungo and PyTorch float32 per seed), compares the final validation Dice with Welch's t-test
(two-sided; the t distribution's CDF from the regularized incomplete beta function, so no
scipy), lists each run's wall time, and draws every seed's loss and validation-Dice curves of
both sides into one PNG.

    welch.py OUT.png RUN_DIR... > summary.json
"""
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import read_steps  # noqa: E402


def betacf(a, b, x):
    """Continued fraction of the incomplete beta function (Numerical Recipes' betacf)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c if abs(1 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c if abs(1 + aa / c) > tiny else tiny
        de = d * c
        h *= de
        if abs(de - 1) < 1e-15:
            break
    return h


def betainc(a, b, x):
    """Regularized incomplete beta I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    lbt = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1 - x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(lbt) * betacf(a, b, x) / a
    return 1 - math.exp(lbt) * betacf(b, a, 1 - x) / b


def welch(x, y):
    """Welch's t, its degrees of freedom and the two-sided p-value."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    if vx + vy == 0:
        return 0.0, float("inf"), 1.0 if x.mean() == y.mean() else 0.0
    t = (x.mean() - y.mean()) / math.sqrt(vx + vy)
    df = (vx + vy) ** 2 / (vx ** 2 / (len(x) - 1) + vy ** 2 / (len(y) - 1))
    p = betainc(df / 2, 0.5, df / (df + t * t))  # P(|T| > |t|)
    return t, df, p


def main():
    png, dirs = sys.argv[1], sys.argv[2:]
    rows, ld, td = [], [], []
    curves = []
    for d in dirs:
        s = json.load(open(os.path.join(d, "summary.json")))
        rows.append({"run": d, "lungo_dice": s.get("lungo_dice"), "torch_dice": s.get("torch_dice"),
                     "lungo_seconds": s.get("lungo_seconds"), "torch_seconds": s.get("torch_seconds"),
                     "loss_rel_diff_step1": s.get("loss_rel_diff_step1")})
        ld.append(s["lungo_dice"])
        td.append(s["torch_dice"])
        curves.append([read_steps(os.path.join(d, f)) for f in ("lungo_steps.jsonl", "torch32_steps.jsonl")])
    t, df, p = welch(ld, td)
    out = {"runs": rows, "lungo_dice_mean": float(np.mean(ld)), "torch_dice_mean": float(np.mean(td)),
           "lungo_dice_sd": float(np.std(ld, ddof=1)) if len(ld) > 1 else 0.0,
           "torch_dice_sd": float(np.std(td, ddof=1)) if len(td) > 1 else 0.0,
           "dice_mean_diff": float(np.mean(ld) - np.mean(td)), "welch_t": t, "welch_df": df, "welch_p": p,
           "lungo_seconds_mean": float(np.mean([r["lungo_seconds"] for r in rows])),
           "torch_seconds_mean": float(np.mean([r["torch_seconds"] for r in rows]))}
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(1, 2, figsize=(11, 4))
        for i, ((ls, le, _), (ts, te, _)) in enumerate(curves):
            for st, ev, c, name in ((ts, te, "tab:red", "PyTorch float32"), (ls, le, "tab:blue", "lungo")):
                xs = sorted(st)
                ax[0].plot(xs, [st[k]["loss"] for k in xs], color=c, lw=0.8, alpha=0.6, label=name if i == 0 else None)
                xe = sorted(ev)
                ax[1].plot(xe, [ev[k] for k in xe], "o-", color=c, ms=3, lw=0.8, alpha=0.7, label=name if i == 0 else None)
        ax[0].set_xlabel("step")
        ax[0].set_ylabel("training loss (BCE + soft Dice), one line per seed")
        ax[0].legend()
        ax[1].set_xlabel("step")
        ax[1].set_ylabel("validation Dice (competition)")
        ax[1].legend()
        fig.suptitle(f"{len(dirs)} seeds: Dice lungo {np.mean(ld):.3f} / PyTorch {np.mean(td):.3f}, Welch p = {p:.2f}")
        fig.tight_layout()
        fig.savefig(png, dpi=100)
    except ImportError:
        print("matplotlib missing: no PNG", file=sys.stderr)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
