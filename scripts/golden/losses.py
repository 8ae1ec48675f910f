"""Goldens for nn's losses: forward value and gradient w.r.t. the logits.

Regenerate with: /usr/bin/python3 scripts/golden/losses.py  (writes testdata/losses.gold)
"""
import os
import sys

import torch
import torch.nn.functional as F
from torchvision.ops import sigmoid_focal_loss

sys.path.insert(0, os.path.dirname(__file__))
from goldfile import write  # noqa: E402

torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "testdata", "losses.gold")


def soft_dice(x, t, smooth, per_image, eps=1e-7):
    """lungo's SoftDice: 1 - (2I+s)/max(P+T+s, eps), per batch or mean per image."""
    p = torch.sigmoid(x)
    if per_image:
        p, t = p.reshape(p.shape[0], -1), t.reshape(t.shape[0], -1)
        i, d = (p * t).sum(1), p.sum(1) + t.sum(1) + smooth
    else:
        i, d = (p * t).sum(), p.sum() + t.sum() + smooth
    return (1 - (2 * i + smooth) / d.clamp_min(eps)).mean()


# Berman et al.'s reference (github.com/bermanmaxim/LovaszSoftmax, lovasz_losses.py), ignore=None.
def lovasz_grad(gt_sorted):
    p = len(gt_sorted)
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.float().cumsum(0)
    union = gts + (1 - gt_sorted).float().cumsum(0)
    jaccard = 1. - intersection / union
    if p > 1:
        jaccard[1:p] = jaccard[1:p] - jaccard[0:-1]
    return jaccard


def lovasz_hinge_flat(logits, labels):
    if len(labels) == 0:
        return logits.sum() * 0.
    signs = 2. * labels.float() - 1.
    errors = (1. - logits * signs)
    errors_sorted, perm = torch.sort(errors, dim=0, descending=True)
    gt_sorted = labels[perm.data]
    grad = lovasz_grad(gt_sorted)
    return torch.dot(F.relu(errors_sorted), grad.to(errors_sorted.dtype))  # lungo: double inputs


def lovasz_hinge(logits, labels, per_image):
    if per_image:
        losses = [lovasz_hinge_flat(l.reshape(-1), t.reshape(-1)) for l, t in zip(logits, labels)]
        return sum(losses) / len(losses)
    return lovasz_hinge_flat(logits.reshape(-1), labels.reshape(-1))


def case(out, name, x, t, fn):
    x = x.clone().double().requires_grad_(True)
    loss = fn(x, t.double())
    loss.backward()
    out[name + ".x"] = x.detach()
    out[name + ".t"] = t
    out[name + ".loss"] = loss.detach().reshape(())
    out[name + ".grad"] = x.grad


out = {}
# [N, H, W, 1] logits as the models give them; image 1 has an empty mask.
x = (torch.randn(3, 5, 4, 1) * 3).float()
t = (torch.rand(3, 5, 4, 1) > 0.6).float()
t[1] = 0
xc = (torch.randn(2, 3, 4, 3) * 2).float()
tc = (torch.rand(2, 3, 4, 3) > 0.5).float()
pw = torch.tensor([0.5, 2.0, 4.0])
out["bce_pw_c.pw"] = pw
big = torch.tensor([[-120.0, -30.0, -1.0, 0.0, 1.0, 30.0, 120.0, 0.25]]).reshape(1, 8)
bigt = torch.tensor([[1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.5]]).reshape(1, 8)

case(out, "bce", x, t, lambda a, b: F.binary_cross_entropy_with_logits(a, b))
case(out, "bce_pw1", x, t, lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=torch.tensor([3.0], dtype=torch.float64)))
case(out, "bce_pw_c", xc, tc, lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=pw.double()))
case(out, "bce_big", big, bigt, lambda a, b: F.binary_cross_entropy_with_logits(a, b))
case(out, "dice_batch_s0", x, t, lambda a, b: soft_dice(a, b, 0.0, False))
case(out, "dice_batch_s1", x, t, lambda a, b: soft_dice(a, b, 1.0, False))
case(out, "dice_image_s0", x, t, lambda a, b: soft_dice(a, b, 0.0, True))
case(out, "dice_image_s1", x, t, lambda a, b: soft_dice(a, b, 1.0, True))
case(out, "focal", x, t, lambda a, b: sigmoid_focal_loss(a, b, alpha=0.25, gamma=2.0, reduction="mean"))
case(out, "focal_noalpha", x, t, lambda a, b: sigmoid_focal_loss(a, b, alpha=-1, gamma=1.5, reduction="mean"))
case(out, "focal_g0", xc, tc, lambda a, b: sigmoid_focal_loss(a, b, alpha=0.6, gamma=0.0, reduction="mean"))
case(out, "lovasz_image", x, t, lambda a, b: lovasz_hinge(a, b, True))
case(out, "lovasz_batch", x, t, lambda a, b: lovasz_hinge(a, b, False))
case(out, "lovasz_c", xc, tc, lambda a, b: lovasz_hinge(a, b, True))

write(OUT, out, "regenerate with /usr/bin/python3 scripts/golden/losses.py")
print("wrote", OUT, len(out), "tensors")
