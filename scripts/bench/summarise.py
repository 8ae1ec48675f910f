"""Summarise scripts/bench/unet_side_by_side.sh output: per case and thread
count, the median over rounds of each tool's per-run median, and the ratio
PyTorch best layout / lungo (> 1: lungo faster).
Usage: python3 scripts/bench/summarise.py RUNS.jsonl"""
import json, statistics, sys
from collections import defaultdict

rows = defaultdict(list)
rss = defaultdict(list)
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue
    d = json.loads(line)
    if d.get("type") == "header":  # lungo bench -json's first record: machine and build
        continue
    if d["tool"] == "lungo":
        mode = d["op"].split()[-1]
        bs, shp = d["shape"].split()
        key = (mode, int(shp.split("x")[-1]), int(bs[2:]), d["threads"])
        rows[key + ("lungo",)].append(d["ms"])
        if d.get("peak_rss_mib"):
            rss[key + ("lungo",)].append(d["peak_rss_mib"])
    else:
        key = (d["mode"], d["size"], d["batch"], d["threads"])
        rows[key + (d["fmt"],)].append(d["median_s"] * 1000)
        rss[key + (d["fmt"],)].append(d["rss_kib"] / 1024)

keys = sorted({k[:4] for k in rows})
print("| case | threads | lungo ms | PyTorch NCHW ms | PyTorch CL ms | ratio vs best | lungo MiB | PyTorch MiB (NCHW/CL) | rounds |")
print("|---|---|---|---|---|---|---|---|---|")
for k in keys:
    med = {t: statistics.median(rows[k + (t,)]) for t in ("lungo", "NCHW", "channels_last") if rows.get(k + (t,))}
    mem = {t: max(rss[k + (t,)]) for t in ("lungo", "NCHW", "channels_last") if rss.get(k + (t,))}
    best = min(med.get("NCHW", 1e30), med.get("channels_last", 1e30))
    case = f"{k[0]} bs{k[2]}x{k[1]}"
    print(f"| {case} | {k[3]} | {med.get('lungo', 0):.0f} | {med.get('NCHW', 0):.0f} | {med.get('channels_last', 0):.0f} | "
          f"{best / med['lungo']:.2f} | {mem.get('lungo', 0):.0f} | {mem.get('NCHW', 0):.0f}/{mem.get('channels_last', 0):.0f} | "
          f"{len(rows[k + ('lungo',)])} |")
