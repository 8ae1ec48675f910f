"""Goldens for package optim: 5 steps of every optimizer on a fixed quadratic,
ClipGradNorm, and the learning-rate sequences of the schedules.

The loss is sum_ij 0.5*a_ij*(p_ij - c_ij)^2 over two parameters; its gradient
a*(p-c) is set by hand in float32 (exactly as the Go test computes it), so the
test isolates the optimizers' arithmetic. A third parameter never gets a
gradient and must stay unchanged.

Regenerate with: /usr/bin/python3 scripts/golden/optim.py  (writes testdata/optim.gold)
"""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from goldfile import write  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "testdata", "optim.gold")
STEPS = 5
torch.manual_seed(1)

shapes = [(3, 4), (5,)]
init = [torch.randn(s) for s in shapes]
curv = [torch.rand(s) * 4 + 0.05 for s in shapes]
centre = [torch.randn(s) * 2 for s in shapes]
frozen = torch.tensor([1.5, -2.5])

out = {}
for i in range(2):
    out["p%d.init" % i] = init[i]
    out["p%d.a" % i] = curv[i]
    out["p%d.c" % i] = centre[i]
out["frozen"] = frozen

CASES = {
    "sgd": lambda ps: torch.optim.SGD(ps, lr=0.1),
    "sgd_mom": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
    "sgd_damp": lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01),
    "sgd_nesterov": lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.001),
    "adam": lambda ps: torch.optim.Adam(ps, lr=0.1),
    "adam_wd_ams": lambda ps: torch.optim.Adam(ps, lr=0.05, weight_decay=0.1, amsgrad=True),
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=0.1),
    "adamw_ams": lambda ps: torch.optim.AdamW(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.5, amsgrad=True),
    "sgd_clip": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.5),
}

for name, make in CASES.items():
    ps = [p.clone().requires_grad_(True) for p in init]
    fz = frozen.clone().requires_grad_(True)
    opt = make(ps + [fz])
    norms = []
    for step in range(STEPS):
        opt.zero_grad()
        for p, a, c in zip(ps, curv, centre):
            p.grad = (p.detach() - c) * a
        if name == "sgd_clip":
            norms.append(float(torch.nn.utils.clip_grad_norm_(ps + [fz], 0.5)))
        opt.step()
        for i, p in enumerate(ps):
            out["%s.p%d.step%d" % (name, i, step + 1)] = p.detach().clone()
    assert torch.equal(fz.detach(), frozen)
    if norms:
        out[name + ".norms"] = torch.tensor(norms, dtype=torch.float64)


def lr_sequence(opt, sched, n, metrics=None):
    lrs = [opt.param_groups[0]["lr"]]
    for k in range(n):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[k])
        lrs.append(opt.param_groups[0]["lr"])
    return torch.tensor(lrs, dtype=torch.float64)


def dummy(lr):
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)


def warmup_cosine(w, t, r):
    def f(s):
        if s < w:
            return (s + 1) / w
        if s >= t:
            return r
        return r + (1 - r) * 0.5 * (1 + math.cos(math.pi * (s - w) / (t - w)))
    return f


o = dummy(0.1)
out["steplr.lrs"] = lr_sequence(o, torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5), 10)
o = dummy(0.3)
out["cosine.lrs"] = lr_sequence(o, torch.optim.lr_scheduler.LambdaLR(o, warmup_cosine(3, 10, 0.05)), 14)
o = dummy(0.01)
out["cosine_nowarm.lrs"] = lr_sequence(o, torch.optim.lr_scheduler.LambdaLR(o, warmup_cosine(0, 7, 0.0)), 9)

metrics_min = [1.0, 0.95, 0.93, 0.92, 0.91, 0.9, 0.95, 0.5, 0.49, 0.49, 0.48, 0.6, 0.7, 0.8, float("nan"), 0.9, 0.9, 0.9]
metrics_max = [0.1, 0.2, 0.2, 0.2, 0.2, 0.25, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.31, 0.4, 0.4, 0.4, 0.4, 0.4]
# The golden file stores float32: use float32-representable metrics on both sides.
metrics_min = [float(torch.tensor(m, dtype=torch.float32)) for m in metrics_min]
metrics_max = [float(torch.tensor(m, dtype=torch.float32)) for m in metrics_max]
o = dummy(1.0)
out["plateau_min.metrics"] = torch.tensor(metrics_min, dtype=torch.float64)
out["plateau_min.lrs"] = lr_sequence(o, torch.optim.lr_scheduler.ReduceLROnPlateau(
    o, mode="min", factor=0.5, patience=2, threshold=0.05, cooldown=1, min_lr=0.2), len(metrics_min), metrics_min)
o = dummy(0.1)
out["plateau_max.metrics"] = torch.tensor(metrics_max, dtype=torch.float64)
out["plateau_max.lrs"] = lr_sequence(o, torch.optim.lr_scheduler.ReduceLROnPlateau(
    o, mode="max", factor=0.1, patience=1, threshold=0.02, threshold_mode="abs", cooldown=0), len(metrics_max), metrics_max)

write(OUT, out, "regenerate with /usr/bin/python3 scripts/golden/optim.py")
print("wrote", OUT, len(out), "tensors")
