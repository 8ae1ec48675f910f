"""PyTorch side of the int8 comparison: U-Net-ResNet34 (../shared/ref/unet_ref.py)
quantized with FX graph mode post-training quantization (prepare_fx / convert_fx,
the onednn backend: Debian's PyTorch 1.13 has no fbgemm), calibrated on the same
kind of images as lungo quantize (radiographs resized to the size, x/255 then
(x - 0.5)/0.25 as lungo's predict does), then timed against float32, interleaved
call by call: wall and process-CPU medians.

Usage (Debian's python3-torch and python3-torchvision):
  /usr/bin/python3 scripts/bench/torch_int8.py --size 512 --threads 1 --runs 5 \
      --calib ../shared/data/siim-real/images --calib-n 14
"""
import argparse, glob, os, statistics, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "ref"))
import torch
import torch.nn.functional as F
import torchvision
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
from unet_ref import Unet

p = argparse.ArgumentParser()
p.add_argument("--size", type=int, default=512); p.add_argument("--threads", type=int, default=1)
p.add_argument("--runs", type=int, default=5); p.add_argument("--calib", required=True)
p.add_argument("--calib-n", type=int, default=32); p.add_argument("--weights", default="")
a = p.parse_args()
torch.manual_seed(0)
torch.set_num_threads(a.threads)
torch.backends.quantized.engine = "onednn"

model = Unet("resnet34", in_channels=1).eval()
if a.weights:
    model.load_state_dict(torch.load(a.weights, map_location="cpu"))

def load(path):
    img = torchvision.io.read_image(path, torchvision.io.ImageReadMode.GRAY).float() / 255
    img = F.interpolate(img[None], size=(a.size, a.size), mode="bilinear", align_corners=False)
    return (img - 0.5) / 0.25

files = sorted(glob.glob(os.path.join(a.calib, "*.jpg")) + glob.glob(os.path.join(a.calib, "*.png")))[: a.calib_n]
if not files:
    sys.exit(f"no .jpg/.png calibration images in {a.calib}")
calib = [load(f) for f in files]

example = (calib[0],)
prepared = prepare_fx(model, get_default_qconfig_mapping("onednn"), example)
with torch.no_grad():
    for x in calib:
        prepared(x)
qmodel = convert_fx(prepared)

x = calib[0]
with torch.no_grad():
    ref = torch.sigmoid(model(x))
    got = torch.sigmoid(qmodel(x))
d = (ref - got).abs()
print(f"FX int8 (onednn) vs fp32 probabilities on a calibration image: mean |diff| {d.mean().item():.2e}, max {d.max().item():.3g}")

def fp32():
    with torch.no_grad():
        return model(x)

def int8():
    with torch.no_grad():
        return qmodel(x)

tw = {"fp32": [], "int8": []}
tc = {"fp32": [], "int8": []}
for i in range(a.runs + 1):
    for name, f in (("fp32", fp32), ("int8", int8)):
        w0, c0 = time.perf_counter(), time.process_time()
        f()
        if i > 0:
            tw[name].append((time.perf_counter() - w0) * 1e3)
            tc[name].append((time.process_time() - c0) * 1e3)
mw = {k: statistics.median(v) for k, v in tw.items()}
mc = {k: statistics.median(v) for k, v in tc.items()}
print(f"torch {torch.__version__} FX int8 (onednn) infer 1x{a.size}x{a.size} threads={a.threads} calib={len(calib)}: "
      f"wall fp32 {mw['fp32']:.1f} ms, int8 {mw['int8']:.1f} ms, ratio {mw['int8']/mw['fp32']:.2f}; "
      f"process CPU fp32 {mc['fp32']:.1f} ms, int8 {mc['int8']:.1f} ms (medians of {a.runs}, interleaved)")
