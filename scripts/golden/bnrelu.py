"""PyTorch references for lungo's fused ops: BatchNormReLU and UpsampleConcat.

Regenerate with: /usr/bin/python3 scripts/golden/bnrelu.py (writes testdata/bnrelu.gold).

Same conventions as nn_ops.py: each case "<name>" stores float32 inputs
(activations NCHW), an upstream gradient "gy" (the checked scalar is
sum(y * gy)), the output "y", the gradients "g<input>" computed in float64
from the float32 inputs, and configuration integers as "<name>.cfg".

bn_relu/...: F.relu(F.batch_norm(x, rm, rv, weight, bias, training, 0.1,
1e-5) + res), cfg = [training, residual, affine]; "rm"/"rv" are the running
statistics before and "rm_after"/"rv_after" after the call.
upsample_concat/...: torch.cat([F.interpolate(x, scale_factor=2), skip], 1).
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from goldfile import write  # noqa: E402

torch.manual_seed(20261127)
out = {}


def rnd(*shape):
    return torch.randn(*shape, dtype=torch.float32)


def run(name, cfg, inputs, fn):
    leaves = {k: v.double().requires_grad_(True) for k, v in inputs.items()}
    y = fn(**leaves)
    gy = rnd(*y.shape)
    (y * gy.double()).sum().backward()
    out[name + ".cfg"] = torch.tensor(cfg, dtype=torch.float32)
    out[name + ".gy"] = gy
    out[name + ".y"] = y
    for k, v in inputs.items():
        out[name + "." + k] = v
        out[name + ".g" + k] = leaves[k].grad


for (n, c, h, w) in [(2, 5, 4, 3), (3, 17, 3, 5), (1, 4, 1, 2)]:
    for training in (1, 0):
        for residual in (0, 1):
            for affine in (1, 0):
                if affine == 0 and residual == 1:
                    continue
                name = "bn_relu/%dx%dx%dx%d_train%d_res%d_affine%d" % (n, c, h, w, training, residual, affine)
                rm, rv = rnd(c) * 0.1, torch.rand(c) + 0.5
                rm64, rv64 = rm.double(), rv.double()
                inputs = {"x": rnd(n, c, h, w) * 2 + 0.3}
                if affine:
                    inputs["weight"], inputs["bias"] = rnd(c), rnd(c)
                if residual:
                    inputs["res"] = rnd(n, c, h, w)

                def fn(x, weight=None, bias=None, res=None, training=training):
                    z = F.batch_norm(x, rm64, rv64, weight, bias, training=bool(training), momentum=0.1, eps=1e-5)
                    if res is not None:
                        z = z + res
                    return F.relu(z)

                run(name, [training, residual, affine], inputs, fn)
                out[name + ".rm"], out[name + ".rv"] = rm, rv
                out[name + ".rm_after"], out[name + ".rv_after"] = rm64, rv64

for (n, c, h, w, k) in [(2, 3, 4, 5, 2), (1, 1, 1, 1, 3), (1, 17, 3, 2, 9)]:
    run("upsample_concat/%dx%dx%dx%d_skip%d" % (n, c, h, w, k), [], {"x": rnd(n, c, h, w), "skip": rnd(n, k, 2 * h, 2 * w)},
        lambda x, skip: torch.cat([F.interpolate(x, scale_factor=2, mode="nearest"), skip], 1))

path = os.path.join(os.path.dirname(__file__), "..", "..", "testdata", "bnrelu.gold")
write(path, out, "regenerate with /usr/bin/python3 scripts/golden/bnrelu.py")
print("wrote", path, len(out), "tensors")
