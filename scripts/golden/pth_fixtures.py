"""Writes the .pth fixtures of nn/pth's tests into nn/pth/testdata/ with torch.save.

Run from the repository root: /usr/bin/python3 scripts/golden/pth_fixtures.py

Values are simple closed forms (documented next to each key) so that the Go tests can
check them without Python; expected.gold holds every tensor as float32 for a full check.
"""
import collections
import io
import os
import pickle
import sys
import zipfile

import torch

sys.path.insert(0, os.path.dirname(__file__))
import goldfile  # noqa: E402

OUT = "nn/pth/testdata"
HINT = "regenerate with /usr/bin/python3 scripts/golden/pth_fixtures.py"


def ar(n, dtype):
    return torch.arange(n).to(dtype)


def main():
    os.makedirs(OUT, exist_ok=True)
    sd = collections.OrderedDict()
    sd["f32"] = torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.5 - 1  # i*0.5-1
    sd["f64"] = torch.arange(4, dtype=torch.float64) / 3                      # i/3
    sd["f16"] = torch.arange(5, dtype=torch.float16) * 0.25 - 0.5             # i/4-0.5
    sd["bf16"] = torch.arange(5, dtype=torch.bfloat16) * 2 - 3                # 2i-3
    sd["i64"] = torch.arange(3, dtype=torch.int64) * 1000 - 7                 # 1000i-7
    sd["i32"] = -ar(4, torch.int32)
    sd["i16"] = ar(3, torch.int16) - 1
    sd["i8"] = ar(3, torch.int8) - 2
    sd["u8"] = ar(3, torch.uint8) + 250
    sd["b"] = torch.tensor([True, False, True])
    base = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)            # i
    sd["transposed"] = base.permute(2, 0, 1)                                  # non-contiguous view
    sd["sliced"] = base[1:, ::2, 1::2]                                        # offset + strides
    sd["base"] = base                                                         # shares the storage
    sd["scalar"] = torch.tensor(2.5)
    sd["empty"] = torch.zeros(0, 3)
    sd["param"] = torch.nn.Parameter(torch.full((2, 2), 0.125))
    sd["bn.num_batches_tracked"] = torch.tensor(42)
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("bn", {"version": 2})])
    torch.save(sd, f"{OUT}/dtypes.pth")
    goldfile.write(f"{OUT}/expected.gold", {k: v.detach().double().float() for k, v in sd.items()}, HINT)

    small = collections.OrderedDict(w=torch.tensor([[1.0, 2.0], [3.0, 4.0]]), b=torch.tensor([0.5]))
    torch.save({"epoch": 3, "state_dict": small, "best": 0.75, "name": "x"}, f"{OUT}/nested_state_dict.pth")
    torch.save({"model": small, "optimizer": {"state": {}, "param_groups": [{"lr": 0.1}]}},
               f"{OUT}/nested_model.pth")
    torch.save(small, f"{OUT}/legacy.pth", _use_new_zipfile_serialization=False)

    # A module saved whole (not its state dict): pickles torch.nn classes -> must be refused.
    torch.save(torch.nn.Linear(2, 1), f"{OUT}/whole_module.pth")

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    torch.save(collections.OrderedDict(w=torch.ones(1), x=Evil()), f"{OUT}/evil_system.pth")

    # Hand-written pickles in a well-formed zip: GLOBAL 'os system' and 'builtins eval'.
    for name, glob in [("evil_os", b"os\nsystem\n"), ("evil_eval", b"builtins\neval\n")]:
        pkl = b"\x80\x02c" + glob + b"X\x04\x00\x00\x00echo\x85R."
        write_zip(f"{OUT}/{name}.pth", "archive", pkl)
    # A valid state dict under another top folder, written by hand (protocol 2 pickle).
    buf = io.BytesIO()
    pickle.Pickler(buf, protocol=2).dump(collections.OrderedDict(a=1))
    write_zip(f"{OUT}/plain_int.pth", "weird-name_1", buf.getvalue())


def write_zip(path, top, pkl):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{top}/data.pkl", pkl)
        z.writestr(f"{top}/version", "3\n")


if __name__ == "__main__":
    main()
