"""Writes testdata/safetensors_py.safetensors, an external check of nn's
safetensors reader: the format written by hand (the `safetensors` package is
not installed) the way the reference writer lays it out: header keys sorted,
data sorted by dtype alignment then name, header padded with spaces to 8 bytes.

Regenerate with: /usr/bin/python3 scripts/golden/safetensors.py
"""
import json
import os
import struct

import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from goldfile import write  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "testdata", "safetensors_py.safetensors")

DTYPES = {np.float32: "F32", np.float64: "F64", np.float16: "F16", np.int64: "I64", np.int32: "I32"}


def save(path, tensors, metadata):
    """tensors: name -> (dtype string, shape, raw little-endian bytes)."""
    header = {"__metadata__": metadata}
    size = {"F64": 8, "I64": 8, "F32": 4, "I32": 4, "F16": 2, "BF16": 2}
    order = sorted(tensors, key=lambda k: (-size[tensors[k][0]], k))
    off, blobs = 0, []
    for k in order:
        dt, shape, raw = tensors[k]
        header[k] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        off += len(raw)
        blobs.append(raw)
    h = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def arr(a):
    a = np.ascontiguousarray(a)
    return (DTYPES[a.dtype.type], a.shape, a.astype(a.dtype.newbyteorder("<")).tobytes())


def main():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((2, 3, 2, 2)).astype(np.float32)
    bf = torch.tensor([1.5, -2.25, 3.0e-3, 65504.0, -1e30], dtype=torch.bfloat16)
    tensors = {
        "conv.weight": arr(w),
        "conv.bias": arr(np.array([0.5, -0.25], dtype=np.float32)),
        "bn.running_var": arr(np.array([1.0, 2.0], dtype=np.float64) / 3),
        "bn.num_batches_tracked": ("I64", (), struct.pack("<q", 12345)),
        "half": arr(np.array([1.0, -0.5, 65504.0, 6.0e-8, 0.0, -0.0, np.inf, 0.333], dtype=np.float16)),
        "brain": ("BF16", (5,), bf.view(torch.int16).numpy().astype("<i2").tobytes()),
        "ints": arr(np.array([[-3, 7]], dtype=np.int32)),
        "empty": arr(np.zeros((0, 4), dtype=np.float32)),
    }
    save(OUT, tensors, {"format": "pt", "note": "written by scripts/golden/safetensors.py \u2713"})
    # What the reader must return, as float32 (numpy's and torch's conversions).
    want = {
        "conv.weight": w,
        "conv.bias": np.array([0.5, -0.25], dtype=np.float32),
        "bn.running_var": (np.array([1.0, 2.0], dtype=np.float64) / 3).astype(np.float32),
        "bn.num_batches_tracked": np.array([12345], dtype=np.float32),
        "half": np.array([1.0, -0.5, 65504.0, 6.0e-8, 0.0, -0.0, np.inf, 0.333], dtype=np.float16).astype(np.float32),
        "brain": bf.float().numpy(),
        "ints": np.array([[-3, 7]], dtype=np.float32),
    }
    write(OUT.replace(".safetensors", ".gold"), want, "regenerate with /usr/bin/python3 scripts/golden/safetensors.py")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
