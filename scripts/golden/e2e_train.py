"""End-to-end training golden: a small conv net (conv-bn-relu-maxpool-conv-
upsample-conv, 1 input channel, 16x16 images, batch 4) trained 10 steps with
AdamW on one fixed batch with BCE-with-logits. Writes the initial weights as
safetensors (testdata/e2e_train.safetensors, read by nn.LoadSafetensors) and
the batch, the 10 losses and the final weights (testdata/e2e_train.gold).

Regenerate with: /usr/bin/python3 scripts/golden/e2e_train.py
"""
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from goldfile import write  # noqa: E402
from safetensors import save  # noqa: E402  (scripts/golden/safetensors.py, a hand-written writer)

DIR = os.path.join(os.path.dirname(__file__), "..", "..", "testdata")
torch.manual_seed(3)
torch.set_num_threads(1)

net = nn.Sequential(
    nn.Conv2d(1, 8, 3, padding=1),
    nn.BatchNorm2d(8),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(8, 8, 3, padding=1),
    nn.Upsample(scale_factor=2, mode="nearest"),
    nn.Conv2d(8, 1, 3, padding=1),
)
x = torch.randn(4, 1, 16, 16)
# Blob-like masks: thresholded smoothed noise, so the task is learnable.
noise = F.avg_pool2d(torch.randn(4, 1, 20, 20), 5, stride=1)
y = (noise > 0.1).float()

tensors = {}
for k, v in net.state_dict().items():
    if v.dtype == torch.int64:
        tensors[k] = ("I64", tuple(v.shape), struct.pack("<%dq" % v.numel(), *v.reshape(-1).tolist()))
    else:
        tensors[k] = ("F32", tuple(v.shape), v.contiguous().numpy().astype("<f4").tobytes())
save(os.path.join(DIR, "e2e_train.safetensors"), tensors, {"source": "scripts/golden/e2e_train.py"})

opt = torch.optim.AdamW(net.parameters(), lr=1e-2, weight_decay=0.01)
losses = []
for step in range(10):
    opt.zero_grad()
    loss = F.binary_cross_entropy_with_logits(net(x), y)
    loss.backward()
    opt.step()
    losses.append(loss.item())
print("losses", losses)

out = {"x": x, "y": y, "losses": torch.tensor(losses)}
for k, v in net.state_dict().items():
    out["final." + k] = v.float()
write(os.path.join(DIR, "e2e_train.gold"), out, "regenerate with /usr/bin/python3 scripts/golden/e2e_train.py")
