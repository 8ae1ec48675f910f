#!/usr/bin/env python3
"""Join lungo's kernel benchmarks with PyTorch's from the same machine into one
markdown table (ms, medians; ratio = PyTorch's best layout / lungo, > 1: lungo
faster; 2T/1T = lungo's two-thread speed-up; peak% = lungo's share of the FMA
peak for the thread count, direct-convolution flops; rtt = core_rtt_ns measured
after lungo's two-thread run: about 65 ns when the two vCPUs share an L3, about
330 ns when the host has split them, see bench.CoreRoundTrip).

    lungo bench -json -threads 1,2 -impl avx512 -runs 7 > L.jsonl
    (cd ../shared/ref && /usr/bin/python3 bench_ops.py T.jsonl --threads 1,2)
    python3 scripts/bench/kernels_table.py L.jsonl T.jsonl

Several rounds, alternating the two tools so that both see the same spells
of a noisy host: give comma-separated files, L1.jsonl,L2.jsonl,L3.jsonl
T1.jsonl,T2.jsonl,T3.jsonl. Each time is then the median over the rounds of
the rounds' medians, and the rtt column lists every round's.
"""
import json
import re
import statistics
import sys


def read_rounds(arg, key, fields):
    """Reads the comma-separated JSON-lines files in arg and returns one
    record per key(record), with each of fields the median over the files
    (and "rounds": the records merged, in file order)."""
    merged = {}
    for path in arg.split(","):
        for line in open(path):
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            if r.get("type") == "header":  # lungo bench -json's first record: machine and build
                continue
            merged.setdefault(key(r), []).append(r)
    out = []
    for rs in merged.values():
        m = dict(rs[0])
        for f in fields:
            vals = [r[f] for r in rs if f in r]
            if vals:
                m[f] = statistics.median(vals)
        m["rounds"] = rs
        out.append(m)
    return out


def torch_key(op, shape):
    """Maps a bench_ops.py (op, shape) to lungo's (op, shape)."""
    m = re.match(r"conv2d (\dx\d s\d p\d)$", op)
    if m:
        return "conv2d", f"{m.group(1)} {shape} n1"
    if op.startswith("conv2d 3x3 fwd+bwd"):
        return "conv2d fwd+bwd", f"3x3 s1 p1 {shape} n1"
    if op.startswith("conv_transpose2d 2x2 s2"):
        c, hw = re.match(r"(\S+) @(\d+)->", shape).groups()
        return "conv_transpose2d", f"2x2 s2 p0 {c} @{hw}x{hw} n1"
    if op.startswith("max_pool2d 3x3 s2 p1"):
        return "maxpool2d", "3x3 s2 p1 " + shape.split("->")[0] + " n1"
    if op.startswith("matmul"):
        return "sgemm", shape.split("=")[-1] + "^3"
    return None


def main():
    lungo = read_rounds(sys.argv[1], lambda r: (r["op"], r["shape"], r["threads"]), ["ms", "peak_pct"])
    torch = read_rounds(sys.argv[2], lambda r: (r["op"], r["shape"], r["fmt"], r["threads"]), ["median_s"])
    best = {}  # (op, shape, threads) -> (ms, fmt)
    for t in torch:
        k = torch_key(t["op"], t["shape"])
        if k is None:
            continue
        key = k + (t["threads"],)
        ms = t["median_s"] * 1e3
        if key not in best or ms < best[key][0]:
            best[key] = (ms, t["fmt"])
    rows = {}
    for r in lungo:
        rows.setdefault((r["op"], r["shape"]), {})[r["threads"]] = r
    print("| op | shape | lungo 1T | PyTorch 1T | ratio | peak% 1T | lungo 2T | PyTorch 2T | ratio | peak% 2T | 2T/1T | rtt ns |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (op, shape), by in rows.items():
        cells = [op, shape]
        for th in (1, 2):
            r = by.get(th)
            if r is None:
                cells += ["", "", "", ""]
                continue
            tb = best.get((op, shape, th))
            cells.append(f"{r['ms']:.3g}")
            if tb:
                cells += [f"{tb[0]:.3g} ({'CL' if tb[1] == 'channels_last' else tb[1]})", f"{tb[0] / r['ms']:.2f}"]
            else:
                cells += ["", ""]
            cells.append(f"{r.get('peak_pct', 0):.0f}")
        if 1 in by and 2 in by:
            cells.append(f"{by[1]['ms'] / by[2]['ms']:.2f}")
        else:
            cells.append("")
        cells.append("/".join(f"{r.get('core_rtt_ns', 0):.0f}" for r in by[2]["rounds"]) if 2 in by else "")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
