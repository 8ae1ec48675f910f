#!/usr/bin/python3
"""Golden data for data/dicom/jpeg2k (the pure-Go JPEG 2000 decoder).

Regenerate with (Debian 12: apt-get install -y libopenjp2-tools
libgdcm-tools python3-gdcm python3-pydicom python3-numpy):

    /usr/bin/python3 scripts/golden/jpeg2k_golden.py

It writes, under data/dicom/jpeg2k/testdata/:
  - streams/NAME.j2k (or .jp2): small codestreams made by opj_compress from
    synthetic images, one per coding feature (tiles, layers, progression
    orders, precincts, code-block styles, 9/7, bit depths, signedness, ...);
  - streams.txt: for each stream, OpenJPEG's decode (opj_decompress):
    rows cols components precision signed sha256, the sha256 over the
    decoded values as int32 little-endian, components interleaved;
  - dicom.txt: the same for the codestreams of the JPEG 2000 files in
    ../shared/data/dicom, decoded by OpenJPEG, with GDCM's sha256 of the
    stored values beside it (16-bit: int16/uint16 LE; 8-bit: bytes).
Max differences of lungo's decodes to OpenJPEG's are measured by
scripts/golden/jpeg2k_compare.py.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "data", "dicom", "jpeg2k", "testdata")
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared", "data", "dicom"))
VERSION = 1


def synth(h, w, bits, signed, seed, comps=1):
    """A deterministic test picture: gradients, a disc, edges and noise,
    spanning most of the range of `bits`."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    planes = []
    for c in range(comps):
        v = 0.45 * x / max(w - 1, 1) + 0.3 * y / max(h - 1, 1)
        v += 0.2 * (((x - w * 0.6) ** 2 + (y - h * 0.4) ** 2) < (min(h, w) * 0.25) ** 2)
        v += 0.05 * np.sin(x * (0.7 + c * 0.3)) * np.cos(y * 0.5)
        v += 0.01 * rng.standard_normal((h, w))
        v = np.clip(v, 0, 1)
        top = (1 << bits) - 1
        q = np.round(v * top).astype(np.int64)
        if signed:
            q -= 1 << (bits - 1)
        planes.append(q)
    return np.stack(planes, axis=-1)


def write_input(path, img, bits, signed):
    """PGM/PPM for unsigned input, raw (-F) for signed; returns the
    opj_compress arguments that read it."""
    h, w, c = img.shape
    if not signed:
        ext = ".pgm" if c == 1 else ".ppm"
        maxv = (1 << bits) - 1
        dt = ">u1" if maxv < 256 else ">u2"
        with open(path + ext, "wb") as f:
            f.write(b"P%d\n%d %d\n%d\n" % (5 if c == 1 else 6, w, h, maxv))
            f.write(img.astype(dt).tobytes())
        return ["-i", path + ext]
    # raw: planar, big-endian, 2 bytes above 8 bits
    dt = ">i1" if bits <= 8 else ">i2"
    with open(path + ".raw", "wb") as f:
        f.write(np.ascontiguousarray(np.moveaxis(img, -1, 0)).astype(dt).tobytes())
    sub = ":".join(["1x1"] * c)
    return ["-i", path + ".raw", "-F", "%d,%d,%d,%d,s@%s" % (w, h, c, bits, sub)]


# (name, image (h, w, bits, signed, seed, comps), opj_compress options)
G8 = (47, 61, 8, False, 1, 1)
G12 = (37, 45, 12, False, 2, 1)
G16 = (33, 35, 16, False, 3, 1)
S16 = (33, 34, 16, True, 4, 1)
S12 = (37, 44, 12, True, 5, 1)
RGB = (34, 41, 8, False, 6, 3)
CASES = [
    ("lossless_g8", G8, []),
    ("lossless_g12", G12, []),
    ("lossless_g16", G16, []),
    ("lossless_s16", S16, []),
    ("lossless_s12", S12, []),
    ("levels0", G12, ["-n", "1"]),
    ("levels1", G12, ["-n", "2"]),
    ("tiles", G12, ["-t", "16,16", "-n", "3"]),
    ("tiles_odd", G12, ["-t", "23,13", "-n", "3"]),
    ("offsets", G12, ["-d", "5,3", "-T", "2,1", "-t", "20,17", "-n", "3"]),
    ("layers", G12, ["-r", "40,20,10"]),
    ("layers_lossless", G12, ["-r", "20,5,1"]),
    ("prec", G12, ["-c", "[32,32],[16,16],[8,8]"]),
    ("cblk16", G12, ["-b", "16,16"]),
    ("cblk8x32", G12, ["-b", "8,32"]),
    ("cblk4", G8, ["-b", "4,4", "-n", "2"]),
    ("sop_eph", G12, ["-SOP", "-EPH", "-r", "20,5,1"]),
    ("plt_tlm", G12, ["-PLT", "-TLM", "-t", "24,24", "-n", "4"]),
    ("tp_r", G12, ["-TP", "R", "-t", "24,24", "-n", "4"]),
    ("tp_l", G12, ["-TP", "L", "-r", "20,5,1"]),
    ("tp_c", RGB, ["-TP", "C"]),
    ("poc", G12, ["-POC", "T0=0,0,1,4,1,CPRL/T0=0,0,3,6,1,LRCP", "-r", "20,5,1"]),
    ("roi", G12, ["-ROI", "c=0,U=5"]),
    ("jp2", G12, ["-OutFor", "JP2"]),
    ("comment", G8, ["-C", "lungo test"]),
    ("tiny1x1", (1, 1, 8, False, 7, 1), ["-n", "1"]),
    ("row1x17", (1, 17, 12, False, 8, 1), ["-n", "1"]),
    ("row2_odd", (2, 17, 12, False, 11, 1), ["-n", "2", "-d", "1,1"]),
    ("i97_row2_odd", (2, 17, 12, False, 12, 1), ["-I", "-n", "2", "-d", "1,1"]),
    ("col13x1", (13, 1, 12, False, 9, 1), ["-n", "1"]),
    ("sub2", RGB, ["-s", "2,2", "-n", "3"]),
    ("rgb_rct", RGB, []),
    ("rgb_nomct", RGB, ["-mct", "0"]),
    ("rgb_ict", RGB, ["-I"]),
    ("i97", G12, ["-I"]),
    ("i97_s16", S16, ["-I"]),
    ("i97_g16", G16, ["-I", "-r", "8"]),
    ("i97_layers", G12, ["-I", "-r", "60,30,10"]),
    ("i97_tiles", G12, ["-I", "-t", "24,20", "-n", "3"]),
    ("i97_modes", G12, ["-I", "-M", "63", "-r", "12"]),
    ("i97_g8_odd", (33, 29, 8, False, 10, 1), ["-I", "-d", "3,1", "-n", "4"]),
]
for order in ["LRCP", "RLCP", "RPCL", "PCRL", "CPRL"]:
    CASES.append(("order_" + order.lower(), G12,
                  ["-p", order, "-c", "[16,16],[8,8]", "-r", "20,5,1", "-t", "24,20", "-b", "8,8", "-n", "4"]))
    CASES.append(("order_rgb_" + order.lower(), RGB, ["-p", order, "-c", "[8,8],[4,4]", "-r", "10,1", "-b", "4,4", "-n", "3"]))
for mode, name in [(1, "bypass"), (2, "reset"), (4, "termall"), (8, "vcausal"), (16, "pterm"),
                   (32, "segsym"), (5, "bypass_termall"), (63, "all")]:
    CASES.append(("mode_" + name, G12, ["-M", str(mode), "-r", "20,3,1"]))
    if mode in (1, 8, 63):
        CASES.append(("mode_" + name + "_s16", S16, ["-M", str(mode)]))


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("failed: %s\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
    return r.stdout


def opj_decode(stream, tmp):
    """OpenJPEG's decode: (rows, cols, comps, prec, signed, values[h, w, c])."""
    info = run(["opj_dump", "-i", stream])
    nc = int(re.search(r"numcomps=(\d+)", info).group(1))
    prec = [int(v) for v in re.findall(r"prec=(\d+)", info)][:nc]
    sgnd = [int(v) for v in re.findall(r"sgnd=(\d+)", info)][:nc]
    raw = os.path.join(tmp, "dec.rawl")
    run(["opj_decompress", "-threads", "1", "-i", stream, "-o", raw])
    v = np.fromfile(raw, dtype="<u1" if prec[0] <= 8 else "<u2").astype(np.int64)
    if sgnd[0]:
        # opj_decompress writes signed samples as prec-bit two's complement
        # (masked, not sign-extended to the container)
        sign = 1 << (prec[0] - 1)
        v = ((v & ((1 << prec[0]) - 1)) ^ sign) - sign
    x1 = int(re.search(r"x1=(\d+)", info).group(1))
    y1 = int(re.search(r"y1=(\d+)", info).group(1))
    x0 = int(re.search(r"x0=(\d+)", info).group(1))
    y0 = int(re.search(r"y0=(\d+)", info).group(1))
    dx = int(re.search(r"dx=(\d+)", info).group(1))
    dy = int(re.search(r"dy=(\d+)", info).group(1))
    w = -(-x1 // dx) - (-(-x0 // dx))
    h = -(-y1 // dy) - (-(-y0 // dy))
    v = v.reshape(nc, h, w).transpose(1, 2, 0)
    return h, w, nc, prec[0], sgnd[0], v


def sha_int32(v):
    return hashlib.sha256(np.ascontiguousarray(v).astype("<i4").tobytes()).hexdigest()


def main():
    streams = os.path.join(OUT, "streams")
    if os.path.isdir(streams):
        shutil.rmtree(streams)
    os.makedirs(streams)
    tmp = tempfile.mkdtemp()
    lines = ["# lungo jpeg2k golden v%d: OpenJPEG (opj_decompress) decodes of streams/*" % VERSION,
             "# regenerate with /usr/bin/python3 scripts/golden/jpeg2k_golden.py",
             "# name rows cols components precision signed sha256(int32 LE, interleaved) opj_compress-options"]
    for name, (h, w, bits, signed, seed, comps), opts in CASES:
        img = synth(h, w, bits, signed, seed, comps)
        inp = write_input(os.path.join(tmp, name), img, bits, signed)
        ext = ".jp2" if "JP2" in opts else ".j2k"
        out = os.path.join(streams, name + ext)
        run(["opj_compress"] + inp + ["-o", out] + opts)
        rows, cols, nc, prec, sg, v = opj_decode(out, tmp)
        lines.append("%s %d %d %d %d %d %s %s" % (name + ext, rows, cols, nc, prec, sg, sha_int32(v),
                                                  " ".join(opts).replace(" ", "_") or "-"))
    with open(os.path.join(OUT, "streams.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")

    # The DICOM files: OpenJPEG's and GDCM's decodes.
    import pydicom
    from pydicom.encaps import generate_pixel_data_frame
    dl = ["# lungo jpeg2k golden v%d: JPEG 2000 DICOM files of ../shared/data/dicom" % VERSION,
          "# regenerate with /usr/bin/python3 scripts/golden/jpeg2k_golden.py",
          "# file rows cols components precision signed sha256-OpenJPEG(int32 LE, interleaved) sha256-GDCM(stored values)"]
    for fn in ["MR_small_jp2klossless.dcm", "MR2_J2KR.dcm", "US1_J2KR.dcm", "JPEG2000.dcm",
               "693_J2KI.dcm", "RG1_J2KI.dcm"]:
        path = os.path.join(SHARED, fn)
        if not os.path.exists(path):
            print("skipping missing", path)
            continue
        ds = pydicom.dcmread(path)
        frame = next(generate_pixel_data_frame(ds.PixelData, int(getattr(ds, "NumberOfFrames", 1) or 1)))
        cs = os.path.join(tmp, fn + ".j2k")
        with open(cs, "wb") as f:
            f.write(frame)
        rows, cols, nc, prec, sg, v = opj_decode(cs, tmp)
        arr = ds.pixel_array  # GDCM (python3-gdcm) decodes J2K in pydicom 2.3
        stored = arr.astype(("<i" if ds.PixelRepresentation else "<u") + ("1" if ds.BitsAllocated == 8 else "2"))
        gdcm_sha = hashlib.sha256(stored.tobytes()).hexdigest()
        dl.append("%s %d %d %d %d %d %s %s" % (fn, rows, cols, nc, prec, sg, sha_int32(v), gdcm_sha))
    with open(os.path.join(OUT, "dicom.txt"), "w") as f:
        f.write("\n".join(dl) + "\n")
    shutil.rmtree(tmp)
    total = sum(os.path.getsize(os.path.join(streams, n)) for n in os.listdir(streams))
    print("%d streams, %d bytes" % (len(CASES), total))


if __name__ == "__main__":
    main()
