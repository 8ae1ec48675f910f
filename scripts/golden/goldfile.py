"""Writes lungo golden files (see internal/golden/golden.go for the format)."""
import struct

import numpy as np

MAGIC = b"LUNGOGLD"
VERSION = 1


def write(path, tensors, hint):
    """tensors: dict name -> array-like (torch tensors are detached and copied)."""
    with open(path, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<I", VERSION))
        h = hint.encode()
        f.write(struct.pack("<I", len(h)) + h)
        f.write(struct.pack("<I", len(tensors)))
        for name, t in tensors.items():
            if hasattr(t, "detach"):
                t = t.detach().cpu().numpy()
            a = np.ascontiguousarray(np.asarray(t, dtype=np.float32))
            n = name.encode()
            f.write(struct.pack("<I", len(n)) + n)
            f.write(struct.pack("<I", a.ndim))
            f.write(struct.pack("<%dq" % a.ndim, *a.shape))
            f.write(a.astype("<f4").tobytes())
