"""PyTorch references for lungo's nn ops: forward outputs and gradients.

Regenerate with: /usr/bin/python3 scripts/golden/nn_ops.py (writes testdata/nn_ops.gold).

Each case "<name>" stores its inputs (float32, PyTorch layouts: activations
NCHW), an upstream gradient "gy" (the checked scalar is sum(y * gy)), the
output "y" and the gradients "g<input>". Configuration integers are stored
as "<name>.cfg". References are computed in float64 from the float32 inputs,
so they are exact to float32 rounding.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from goldfile import write  # noqa: E402

torch.manual_seed(20261126)
out = {}


def rnd(*shape):
    return torch.randn(*shape, dtype=torch.float32)


def leaf(t):
    return t.double().requires_grad_(True)


def put(name, cfg, inputs, y, gy):
    out[name + ".cfg"] = torch.tensor(cfg, dtype=torch.float32)
    out[name + ".gy"] = gy
    out[name + ".y"] = y
    for k, (t32, t64) in inputs.items():
        out[name + "." + k] = t32
        if t64.grad is not None:
            out[name + ".g" + k] = t64.grad


def run(name, cfg, inputs, fn):
    """inputs: dict name -> float32 tensor; fn(**float64 leaves) -> y."""
    pairs = {k: (v, leaf(v)) for k, v in inputs.items()}
    y = fn(**{k: p[1] for k, p in pairs.items()})
    gy = rnd(*y.shape)
    (y * gy.double()).sum().backward()
    put(name, cfg, pairs, y, gy)


# conv2d: cfg = [stride, pad, dil, bias]
for (n, c, h, w, k, r, s, stride, pad, dil) in [
    (2, 3, 7, 6, 4, 3, 3, 1, 1, 1),
    (1, 5, 9, 8, 3, 3, 3, 2, 1, 1),
    (1, 4, 8, 9, 6, 3, 2, 3, 2, 1),
    (2, 3, 9, 7, 2, 3, 3, 1, 2, 2),
    (1, 17, 5, 5, 9, 1, 1, 1, 0, 1),
    (1, 2, 11, 10, 3, 5, 5, 2, 2, 1),
]:
    name = "conv2d/%dx%dx%dx%d_k%d_%dx%d_s%d_p%d_d%d" % (n, c, h, w, k, r, s, stride, pad, dil)
    run(name, [stride, pad, dil], {"x": rnd(n, c, h, w), "w": rnd(k, c, r, s), "b": rnd(k)},
        lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=pad, dilation=dil))

# conv_transpose2d: cfg = [stride, pad, out_pad, dil]
for (n, c, h, w, k, r, s, stride, pad, op, dil) in [
    (2, 4, 4, 5, 3, 2, 2, 2, 0, 0, 1),
    (1, 3, 5, 4, 2, 3, 3, 2, 1, 1, 1),
    (1, 2, 3, 3, 4, 3, 3, 1, 1, 0, 1),
    (1, 3, 4, 3, 2, 3, 2, 3, 1, 2, 1),
    (1, 2, 4, 4, 3, 3, 3, 1, 2, 0, 2),
]:
    name = "conv_transpose2d/%dx%dx%dx%d_k%d_%dx%d_s%d_p%d_op%d_d%d" % (n, c, h, w, k, r, s, stride, pad, op, dil)
    run(name, [stride, pad, op, dil], {"x": rnd(n, c, h, w), "w": rnd(c, k, r, s), "b": rnd(k)},
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=stride, padding=pad, output_padding=op, dilation=dil))

# pools: cfg = [kernel, stride, pad]
for (n, c, h, w, kk, stride, pad) in [
    (2, 3, 8, 8, 2, 2, 0),
    (1, 5, 9, 7, 3, 2, 1),
    (1, 2, 7, 7, 3, 1, 1),
    (1, 3, 10, 9, 3, 3, 0),
]:
    suffix = "/%dx%dx%dx%d_k%d_s%d_p%d" % (n, c, h, w, kk, stride, pad)
    run("max_pool2d" + suffix, [kk, stride, pad], {"x": rnd(n, c, h, w)},
        lambda x: F.max_pool2d(x, kk, stride, pad))
    run("avg_pool2d" + suffix, [kk, stride, pad], {"x": rnd(n, c, h, w)},
        lambda x: F.avg_pool2d(x, kk, stride, pad))

# batch norm, train and eval: cfg = [training]; running stats before ("rm",
# "rv") and, for training, after one step ("rm_after", "rv_after").
for (n, c, h, w) in [(4, 3, 5, 6), (2, 6, 3, 3)]:
    for training in (1, 0):
        name = "batch_norm/%dx%dx%dx%d_train%d" % (n, c, h, w, training)
        x, g, b = rnd(n, c, h, w) * 2 + 0.5, rnd(c), rnd(c)
        rm, rv = rnd(c) * 0.1, torch.rand(c) + 0.5
        rm64, rv64 = rm.double(), rv.double()
        run(name, [training], {"x": x, "weight": g, "bias": b},
            lambda x, weight, bias: F.batch_norm(x, rm64, rv64, weight, bias, training=bool(training),
                                                 momentum=0.1, eps=1e-5))
        out[name + ".rm"], out[name + ".rv"] = rm, rv
        out[name + ".rm_after"], out[name + ".rv_after"] = rm64, rv64

# upsample: cfg = [bilinear]
for (n, c, h, w) in [(1, 3, 4, 5), (2, 2, 3, 3), (1, 1, 1, 2)]:
    suffix = "/%dx%dx%dx%d" % (n, c, h, w)
    run("upsample_nearest" + suffix, [0], {"x": rnd(n, c, h, w)},
        lambda x: F.interpolate(x, scale_factor=2, mode="nearest"))
    run("upsample_bilinear" + suffix, [1], {"x": rnd(n, c, h, w)},
        lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False))

# linear: cfg = []
for (m, f, o) in [(5, 7, 3), (8, 33, 17)]:
    run("linear/%dx%d_o%d" % (m, f, o), [0], {"x": rnd(m, f), "w": rnd(o, f), "b": rnd(o)},
        lambda x, w, b: F.linear(x, w, b))

# global average pooling to [N, C]; sigmoid and relu (inputs kept away from 0).
run("global_avg_pool/2x5x3x4", [0], {"x": rnd(2, 5, 3, 4)},
    lambda x: F.adaptive_avg_pool2d(x, 1).flatten(1))
run("sigmoid/2x3x4x5", [0], {"x": rnd(2, 3, 4, 5) * 4}, lambda x: torch.sigmoid(x))
xr = rnd(2, 3, 4, 5)
run("relu/2x3x4x5", [0], {"x": xr + 0.1 * torch.sign(xr)}, lambda x: F.relu(x))

# A ResNet stem, end to end: conv 7x7/2 pad 3 (no bias), batch norm
# (training), relu, max-pool 3/2 pad 1. The relu leaves many zeros that tie
# in the max-pool windows (the first maximum wins, in both).
run("stem/2x3x24x24", [0], {"x": rnd(2, 3, 24, 24), "w": rnd(8, 3, 7, 7) * 0.1, "weight": rnd(8), "bias": rnd(8)},
    lambda x, w, weight, bias: F.max_pool2d(F.relu(F.batch_norm(
        F.conv2d(x, w, None, stride=2, padding=3), None, None, weight, bias, training=True, eps=1e-5)), 3, 2, 1))

# A U-Net decoder block: nearest upsampling, concatenation with a skip
# connection, conv 3x3 (no bias), batch norm (training), relu, plus a
# residual-style add of a 1x1 projection.
run("decoder/2x4x6x6_skip3", [0],
    {"x": rnd(2, 4, 6, 6), "skip": rnd(2, 3, 12, 12), "w": rnd(5, 7, 3, 3) * 0.2, "weight": rnd(5), "bias": rnd(5),
     "wp": rnd(5, 7, 1, 1) * 0.3},
    lambda x, skip, w, weight, bias, wp: (lambda cat: F.relu(F.batch_norm(
        F.conv2d(cat, w, None, padding=1), None, None, weight, bias, training=True, eps=1e-5)) + F.conv2d(cat, wp))(
        torch.cat([F.interpolate(x, scale_factor=2, mode="nearest"), skip], 1)))

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "..", "testdata", "nn_ops.gold")
write(path, out, "regenerate with /usr/bin/python3 scripts/golden/nn_ops.py")
print("wrote", path, len(out), "tensors,", os.path.getsize(path), "bytes")
