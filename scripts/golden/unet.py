"""Golden values for models/unet, computed with /work/shared/ref/unet_ref.py (the reference).

Run from the repository root:  /usr/bin/python3 scripts/golden/unet.py [CASE...]
(all files, or only the named cases); with --margins first, it writes nothing and prints
how close each named case's ReLU and max-pool decisions lie to flipping (kink_margins).

Weights are not stored (a ResNet-18 U-Net has 14M parameters): both sides fill every
state-dict entry from a hash of its key (detweights below; models/unet's test helper
detWeights is the same function), so only inputs, outputs and gradient digests are stored.
Computed in float64 (model.double()) so that the reference is exact to float32 rounding.

Per case testdata/unet_<case>.gold holds:
  (not the input [2, 1, 64, 64] = float32(hashu(fnv1a("input"))) (R18_TRAIN_INPUT for the
  r18 *_train cases), the target (hashu of
  "target" > 0.3) nor the class target (hashu of "cls_target" > 0): the test makes them)
  eval_mask, eval_cls          forward in eval mode (running statistics)
  train_mask, train_cls        forward in train mode (batch statistics; dropout p=0)
  bprobe/<key>                 per BN running_mean/var after the train forward: <b, probe(key)>
  <mode>/loss                  BCE loss (+ BCE of the class logits) in mode train or eval
  <mode>/gnorm/<key>, <mode>/gprobe/<key>, <mode>/gsample/<key>   per parameter, after
      loss.backward(): ||g||_2, <g, probe(key)>, and g at 16 evenly spaced flat indices
  <mode>/gcond/<key>           PyTorch float32's own error on that gradient (conditioning)
and testdata/unet_<case>.keys lists "key shape" per state-dict entry, in PyTorch's order.

Also writes testdata/unet_r18_views.pth: a state dict of a resnet18 U-Net saved by torch.save
whose tensors are overlapping strided views of a few small storages (so the file stays ~100 KB),
with the model's output on a fixed input in testdata/unet_r18_views.gold, and
testdata/resnet18_tv.pth: a bare torchvision resnet18 (3-channel stem, fc) state dict
in the same view-based form.
"""
import collections
import copy
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, "/work/shared/ref")
import goldfile  # noqa: E402
from unet_ref import Unet  # noqa: E402

HINT = "regenerate with /usr/bin/python3 scripts/golden/unet.py"
M64 = (1 << 64) - 1


def fnv1a(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h ^= b
        h = (h * 0x100000001B3) & M64
    return h


def hashu(seed, n):
    """n values in [-1, 1): splitmix64 of seed + (i+1)*golden, top 53 bits."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + (np.arange(n, dtype=np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    return 2 * u - 1


def detvalue(key, shape, shift=0.0):
    """The deterministic value of a state-dict entry (float64, then rounded to float32);
    shift is added to a bias (see bias_shift)."""
    n = int(np.prod(shape)) if len(shape) else 1
    u = hashu(fnv1a(key), n)
    leaf = key.rsplit(".", 1)[-1]
    if leaf == "running_var":
        v = 1 + 0.5 * u
    elif leaf == "running_mean":
        v = 0.1 * u
    elif leaf == "num_batches_tracked":
        v = np.zeros(n)
    elif leaf == "bias":
        v = 0.1 * u + shift
    elif len(shape) == 1:  # batch-norm weight
        v = 1 + 0.2 * u
    else:  # conv / linear weight: uniform with variance 1/fan_in
        fan_in = n // shape[0]
        v = u * np.sqrt(3.0 / fan_in)
    return v.astype(np.float32).astype(np.float64).reshape(shape)


def bias_shift(sd, k):
    """The shifted weights of the train-mode gradient goldens (*_train) add 2 to every
    batch-norm bias and 4 to every cSE squeeze bias (the 1x1 conv before its ReLU): most
    ReLU inputs then sit away from the kink, so that float32 rounding flips no ReLU decision
    (see conditioning), and every cSE hidden unit (1 at 16 channels) is active for some image."""
    if k.endswith(".bias") and k[:-len("bias")] + "running_mean" in sd:
        return 2.0
    if k.endswith("cSE.1.bias"):
        return 4.0
    return 0.0


def detweights(model, shifted=False):
    sd = model.state_dict()
    new = collections.OrderedDict()
    for k, t in sd.items():
        if k.endswith("num_batches_tracked"):
            new[k] = t
        else:
            shift = bias_shift(sd, k) if shifted else 0.0
            new[k] = torch.from_numpy(detvalue(k, tuple(t.shape), shift)).to(t.dtype)
    model.load_state_dict(new)


def probe(key, n):
    return hashu(fnv1a(key) ^ 0x5DEECE66D, n)


def sample_idx(n):
    if n <= 16:
        return np.arange(n)
    return (np.arange(16) * (n - 1)) // 15


def loss_grads(state, like, dtype, train, x, tgt, ct):
    """A fresh copy of `like` with weights `state` in dtype, in train or eval mode: its
    loss (BCE on the mask, plus BCE on the class logits with a head), outputs, and model."""
    m = copy.deepcopy(like).to(dtype)
    m.load_state_dict({k: v.to(dtype) if v.is_floating_point() else v for k, v in state.items()})
    m.train(train)
    out = m(x.to(dtype))
    mask, cls = out if ct is not None else (out, None)
    loss = F.binary_cross_entropy_with_logits(mask, tgt.to(dtype))
    if ct is not None:
        loss = loss + F.binary_cross_entropy_with_logits(cls, ct.to(dtype))
    loss.backward()
    return loss, mask, cls, m


def conditioning(g64, state, like, train, x, tgt, ct, runs=3, eps=1e-6):
    """How far PyTorch's own float32 gradients stray from the float64 ones, per parameter:
    max over `runs` float32 runs (the input times 1 + eps*normal noise but for the first) of
    max|g32 - g64| / max|g64|. ReLU and max-pool decisions that float32 rounding flips move
    some gradients this much; in train mode, batch statistics over 8 values per channel
    (layer4 at 2x2, batch 2) amplify each flip. With the plain weights one flipped ReLU
    moves resnet34's train-mode gradients by ~1e-3 to 4e-2 and float32 flips one or more
    (PyTorch float32: median 2.6e-4, max 1.3e-3 of the parameters; lungo 1.7e-2, 5.1e-2):
    its train-mode gradient goldens use the shifted weights (bias_shift), where float32
    rounding moves the forward by ~3e-6 of each layer's largest value and flips nothing."""
    cond = {k: 0.0 for k in g64}
    gen = torch.Generator().manual_seed(1)
    for r in range(runs):
        xi = x * (1 + eps * torch.randn(x.shape, generator=gen, dtype=torch.float64)) if r else x
        _, _, _, m = loss_grads(state, like, torch.float32, train, xi, tgt, ct)
        for k, p in m.named_parameters():
            g = p.grad.double().numpy().reshape(-1)
            scale = max(np.abs(g64[k]).max(), 1e-30)
            cond[k] = max(cond[k], float(np.abs(g - g64[k]).max() / scale))
    return cond


def kink_margins(m, x, train):
    """How far float64's ReLU and max-pool decisions lie from flipping, in units of PyTorch
    float32's forward error: per ReLU input |x64| / e, per max-pool window the gap between
    its two largest values / e (but for windows whose maximum is a ReLU zero: ties that stay
    ties), e being that layer input's largest |x32 - x64|. Returns the smallest ratio, the
    module it is in, and how many ratios are below 1 and below 3."""
    recs = []
    for dtype in (torch.float64, torch.float32):
        mm = copy.deepcopy(m).to(dtype)
        mm.train(train)
        rec = []
        for name, mod in mm.named_modules():
            if isinstance(mod, (torch.nn.ReLU, torch.nn.MaxPool2d)):
                mod.register_forward_pre_hook(lambda mod, inp, name=name, rec=rec: rec.append((name, mod, inp[0].detach().double().clone())))
        with torch.no_grad():
            mm(x.to(dtype))
        recs.append(rec)
    closest, where, below1, below3 = float("inf"), "", 0, 0
    for (name, mod, x64), (_, _, x32) in zip(*recs):
        err = (x32 - x64).abs().max().item()
        if isinstance(mod, torch.nn.ReLU):
            marg = x64.abs().reshape(-1)
        else:
            k, st, pad = mod.kernel_size, mod.stride, mod.padding
            u = F.unfold(F.pad(x64, (pad,) * 4, value=float("-inf")), k, stride=st)
            top = u.reshape(x64.shape[0], x64.shape[1], k * k, -1).topk(2, dim=2).values
            marg = (top[:, :, 0] - top[:, :, 1]).reshape(-1)
            marg[(top[:, :, 0] == 0).reshape(-1)] = float("inf")
        r = marg / max(err, 1e-300)
        below1 += int((r < 1).sum())
        below3 += int((r < 3).sum())
        if r.min().item() < closest:
            closest, where = r.min().item(), name
    return closest, where, below1, below3


MARGINS_ONLY = False  # --margins: print kink_margins of the named cases, write nothing


def case(name, encoder, attention, aux, grad_modes, n=2, size=64, shifted=False, cond_runs=3, cond_eps=1e-6,
         input_key="input"):
    torch.manual_seed(0)
    m = Unet(encoder, in_channels=1, classes=1, attention=attention, aux_classes=aux).double()
    detweights(m, shifted)
    # Inputs and targets are not stored: the test makes them with the same hash. The input
    # is rounded to float32, as the test holds it.
    x = torch.from_numpy(hashu(fnv1a(input_key), n * size * size).astype(np.float32).astype(np.float64).reshape(n, 1, size, size))
    tgt = torch.from_numpy((hashu(fnv1a("target"), n * size * size) > 0.3).astype(np.float64).reshape(n, 1, size, size))
    out = {}
    ct = None
    if aux:
        ct = torch.from_numpy((hashu(fnv1a("cls_target"), n * aux) > 0).astype(np.float64).reshape(n, aux))
        m.classification_head[2].p = 0.0  # dropout off so that train mode is deterministic
    for mode in grad_modes:
        closest, where, below1, below3 = kink_margins(m, x, mode == "train")
        print(f"{name} {mode}: ReLU/max-pool decisions closest to flipping at {closest:.2f} x float32's",
              f"forward error ({where}); {below1} within 1 x, {below3} within 3 x")
    if MARGINS_ONLY:
        return
    state = copy.deepcopy(m.state_dict())
    m.eval()
    with torch.no_grad():
        r = m(x)
    mask, cls = (r if aux else (r, None))
    out["eval_mask"] = mask
    if aux:
        out["eval_cls"] = cls
    for mode in ["train", "eval"]:
        train = mode == "train"
        loss, mask, cls, mm = loss_grads(state, m, torch.float64, train, x, tgt, ct)
        out[mode + "/loss"] = loss.reshape(1)
        if train:
            out["train_mask"] = mask
            if aux:
                out["train_cls"] = cls
            for k, b in mm.named_buffers():
                if k.endswith("running_mean") or k.endswith("running_var"):
                    v = b.numpy().reshape(-1)
                    out["bprobe/" + k] = np.array([(v * probe(k, v.size)).sum()])
        if mode not in grad_modes:
            continue
        g64 = {k: p.grad.detach().numpy().reshape(-1) for k, p in mm.named_parameters()}
        cond = conditioning(g64, state, m, train, x, tgt, ct, cond_runs, cond_eps)
        for k, g in g64.items():
            out[mode + "/gcond/" + k] = np.array([cond[k]])
            out[mode + "/gnorm/" + k] = np.array([np.sqrt((g * g).sum())])
            out[mode + "/gprobe/" + k] = np.array([(g * probe(k, g.size)).sum()])
            out[mode + "/gsample/" + k] = g[sample_idx(g.size)]
    goldfile.write(f"testdata/unet_{name}.gold", out, HINT)
    if not shifted:  # same keys as the unshifted case
        with open(f"testdata/unet_{name}.keys", "w") as f:
            for k, t in m.state_dict().items():
                f.write(k + " " + "x".join(str(d) for d in t.shape) + "\n")
    print(name, sum(p.numel() for p in m.parameters()), "params; modes", grad_modes,
          "eval |mask| max", out["eval_mask"].abs().max().item())
    for mode in grad_modes:
        c = np.array([out[k][0] for k in out if k.startswith(mode + "/gcond/")])
        print(f"  {mode}: PyTorch float32 vs float64 (gcond) median {np.median(c):.2e} max {c.max():.2e}",
              "worst", max((out[k][0], k) for k in out if k.startswith(mode + "/gcond/")))


def forward_only(name, encoder, n=2, size=64):
    """Eval- and train-mode forward only (no gradients), e.g. for resnet50's bottlenecks."""
    m = Unet(encoder, in_channels=1, classes=1).double()
    detweights(m)
    x = torch.from_numpy(hashu(fnv1a("input"), n * size * size).astype(np.float32).astype(np.float64).reshape(n, 1, size, size))
    m.eval()
    with torch.no_grad():
        e = m(x)
        m.train()
        t = m(x)
    goldfile.write(f"testdata/unet_{name}.gold", {"eval_mask": e, "train_mask": t}, HINT)


def keys_file(name, encoder, **kw):
    """Only the state-dict keys and shapes (no goldens), e.g. for resnet50."""
    m = Unet(encoder, in_channels=1, classes=1, **kw)
    with open(f"testdata/unet_{name}.keys", "w") as f:
        for k, t in m.state_dict().items():
            f.write(k + " " + "x".join(str(d) for d in t.shape) + "\n")


# The input key of the r18 *_train cases. With the shifted weights and the usual "input",
# one ReLU input of resnet18's decoder block 2 (conv1, -4.9e-6 in float64) lies within 0.78 x
# that layer's largest PyTorch float32 forward error of the kink (in the scse model one in
# block 4 at 1.6 x), and flipping it moves 75 of the 92 gradients by more than 1e-4 (up to
# 1.1e-2): lungo computes it on the right side today, but a kernel change could flip it. Of
# "input", "input/train", "input/1", "input/2" and "input/3", "input/1" leaves every ReLU
# input and max-pool top-2 gap at least 4.2 x (4.5 x with scse) that error from the kink.
R18_TRAIN_INPUT = "input/1"

BASE = 3072  # elements per storage of the view-based files


def views_state_dict(sd):
    """Replaces each tensor by an overlapping strided view of a small storage per kind, with
    roughly the scale of detvalue, so that torch.save writes only the small storages."""
    bases = {}

    def base(kind, scale, offset):
        if kind not in bases:
            u = hashu(fnv1a("base/" + kind), BASE)
            bases[kind] = torch.from_numpy((offset + scale * u).astype(np.float32))
        return bases[kind]

    primes = [1, 1, 2, 3, 5]
    out = collections.OrderedDict()
    for k, t in sd.items():
        leaf = k.rsplit(".", 1)[-1]
        if leaf == "num_batches_tracked":
            out[k] = torch.tensor(7, dtype=torch.int64)
            continue
        shape = tuple(t.shape)
        if leaf == "running_var":
            b = base("var", 0.5, 1.0)
        elif leaf == "running_mean" or leaf == "bias":
            b = base("small", 0.1, 0.0)
        elif len(shape) == 1:
            b = base("bnw", 0.2, 1.0)
        else:
            fan_in = int(np.prod(shape[1:]))
            bucket = int(np.log2(fan_in) // 2)  # one storage per factor 4 of fan-in
            b = base(f"w{bucket}", float(np.sqrt(3.0 / 4 ** (bucket + 0.5))), 0.0)
        stride = tuple(primes[len(shape) - 1 - i] for i in range(len(shape)))
        last = sum((d - 1) * s for d, s in zip(shape, stride))
        off = fnv1a(k) % (BASE - last)
        out[k] = b.as_strided(shape, stride, off)
    return out


def views_files():
    torch.manual_seed(0)
    m = Unet("resnet18", in_channels=1, classes=2)
    sd = views_state_dict(m.state_dict())
    sd._metadata = m.state_dict()._metadata
    torch.save(sd, "testdata/unet_r18_views.pth")
    m.load_state_dict(sd)
    m.double().eval()
    x = torch.from_numpy(hashu(fnv1a("views-input"), 64 * 96).reshape(1, 1, 64, 96))
    with torch.no_grad():
        y = m(x)
    goldfile.write("testdata/unet_r18_views.gold", {"input": x, "probs": torch.sigmoid(y)}, HINT)
    r = torchvision.models.resnet18(weights=None)
    tv = views_state_dict(r.state_dict())
    torch.save(tv, "testdata/resnet18_tv.pth")
    print("views: logits range", y.min().item(), y.max().item())


if __name__ == "__main__":
    torch.set_num_threads(2)
    only = sys.argv[1:]  # case names to regenerate (default all)
    if only and only[0] == "--margins":
        MARGINS_ONLY, only = True, only[1:]

    def want(name):
        return not only or name in only

    # Train-mode gradients with the plain weights are too ill-conditioned for a float32
    # comparison (see conditioning): r18, r18_scse_cls, r34 and r34_scse_cls hold eval-mode
    # gradients (and the train-mode forward), the *_train cases the train-mode gradients with
    # the shifted weights (bias_shift), their conditioning measured over 5 float32 runs whose
    # inputs differ by float32 rounding (1e-7).
    if want("r18"):
        case("r18", "resnet18", None, None, ["eval"])
    if want("r18_scse_cls"):
        case("r18_scse_cls", "resnet18", "scse", 1, ["eval"])
    if want("r18_train"):
        case("r18_train", "resnet18", None, None, ["train"], shifted=True, cond_runs=5, cond_eps=1e-7,
             input_key=R18_TRAIN_INPUT)
    if want("r18_scse_cls_train"):
        case("r18_scse_cls_train", "resnet18", "scse", 1, ["train"], shifted=True, cond_runs=5, cond_eps=1e-7,
             input_key=R18_TRAIN_INPUT)
    if want("r34"):
        case("r34", "resnet34", None, None, ["eval"])
    if want("r34_scse_cls"):
        case("r34_scse_cls", "resnet34", "scse", 3, ["eval"])
    if want("r34_train"):
        case("r34_train", "resnet34", None, None, ["train"], shifted=True, cond_runs=5, cond_eps=1e-7)
    if want("r34_scse_cls_train"):
        case("r34_scse_cls_train", "resnet34", "scse", 3, ["train"], shifted=True, cond_runs=5, cond_eps=1e-7)
    if only or MARGINS_ONLY:
        sys.exit(0)
    keys_file("r50_scse_cls", "resnet50", attention="scse", aux_classes=2)
    forward_only("r50_fwd", "resnet50")
    views_files()
