#!/usr/bin/python3
"""Decode speed of data/dicom/ljpeg against GDCM and dcmtk, interleaved.

    /usr/bin/python3 scripts/golden/ljpeg_speed.py [rounds]   # from the repository root

Needs dcmtk, libgdcm-tools and python3-gdcm (apt-get install -y dcmtk
libgdcm-tools python3-gdcm). Each round runs, for every shared file:
BenchmarkDecode (GOMAXPROCS=1; wall and process CPU ms per decode), GDCM in
this process (gdcm.Image.GetBuffer, CPU ms per decode, best of 5), and the
command-line decoders dcmdjpeg and gdcmconv --raw (wall ms per run, and
that minus the same tool's run on the decoded, uncompressed file: process
start and file I/O). Prints the median over the rounds of each figure. On a
shared machine the CPU figures are the comparable ones.
"""

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

SHARED = "../shared/data/dicom"
FILES = ["JPEG-LL.dcm", "JPGLosslessP14SV1_1s_1f_8b.dcm", "JPGExtended.dcm", "Fake_MONOHR1.dcm"]


def timed(args):
    """Wall ms of one run of a command (child CPU time has only 10 ms ticks)."""
    t0 = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t0) * 1e3


def gdcm_cpu(path):
    import gdcm
    r = gdcm.ImageReader()
    r.SetFileName(path)
    if not r.Read():
        raise RuntimeError(path)
    img = r.GetImage()
    best = float("inf")
    for _ in range(5):
        t0 = time.process_time()
        img.GetBuffer()
        best = min(best, time.process_time() - t0)
    return best * 1e3


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    tmp = tempfile.mkdtemp()
    test = os.path.join(tmp, "ljpeg.test")
    subprocess.run(["go", "test", "-c", "-o", test, "./data/dicom/ljpeg/"], check=True)
    res = {}

    def add(key, v):
        res.setdefault(key, []).append(v)

    for _ in range(rounds):
        out = subprocess.run([test, "-test.run", "XXX", "-test.bench", "BenchmarkDecode", "-test.benchtime", "20x"],
                             cwd="data/dicom/ljpeg", env=dict(os.environ, GOMAXPROCS="1"),
                             check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            m = re.match(r"BenchmarkDecode/file=(\S+)/decoder=(\w+)", line)
            if m:
                f, dec = m.groups()
                add((f, f"go {dec} wall"), float(re.search(r"([\d.]+) ms/decode", line).group(1)))
                add((f, f"go {dec} cpu"), float(re.search(r"([\d.]+) cpu-ms/decode", line).group(1)))
        for f in FILES:
            src = os.path.join(SHARED, f)
            add((f, "gdcm in-process cpu"), gdcm_cpu(src))
            for tool, args in (("dcmdjpeg", ["dcmdjpeg"]), ("gdcmconv --raw", ["gdcmconv", "--raw"])):
                dst, dst2 = os.path.join(tmp, "o.dcm"), os.path.join(tmp, "o2.dcm")
                w = timed(args + [src, dst])
                w0 = timed(args + [dst, dst2])  # same tool on the uncompressed file
                add((f, f"{tool} wall-minus-native"), w - w0)
                add((f, f"{tool} wall"), w)
    for f in FILES:
        print(f)
        for (ff, k), v in sorted(res.items()):
            if ff == f:
                print(f"  {k:32s} median {statistics.median(v):8.2f} ms   (min {min(v):.2f}, n={len(v)})")


if __name__ == "__main__":
    main()
