#!/usr/bin/python3
"""Reference JPEG codestreams and their libjpeg decodes for data/dicom/ljpeg.

Regenerate (Debian 12; run from the repository root):

    apt-get install -y dcmtk libgdcm-tools python3-pydicom python3-numpy libjpeg-turbo-progs
    /usr/bin/python3 scripts/golden/ljpeg_golden.py

Writes data/dicom/ljpeg/testdata/*.jpg (bare codestreams) and
testdata/golden.txt: per stream its size, components, precision and the
sha256 of the samples a reference decoder gives (uint8 for precision <= 8,
else little-endian uint16; components interleaved; C order). Every stream is
decoded by two reference decoders that must agree:

  * lossless (SV 1-7, point transform, RGB) and 12-bit extended DCT streams
    written by dcmtk's dcmcjpeg and GDCM's gdcmconv, decoded by gdcmconv --raw
    (GDCM's libjpeg 6b builds) and dcmdjpeg (dcmtk's);
  * streams of the Go test encoder (precisions 2-16, restarts, separate
    scans; written by `go test -run TestWriteEncoderStreams`), likewise, and
    also checked against the samples that went in;
  * 8-bit DCT streams with restart markers and 3 components by cjpeg
    (libjpeg-turbo), decoded by djpeg (ISLOW, the default) and gdcmconv.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_pixel_data_frame

OUT = "data/dicom/ljpeg/testdata"
MAGIC = "ljpeg-golden v1"


def write_native(path, arr, bits_stored, photometric="MONOCHROME2"):
    """Writes arr (rows x cols [x samples]) as an uncompressed DICOM file."""
    ds = new_dataset(path, pydicom.uid.ExplicitVRLittleEndian, arr.shape, bits_stored, photometric)
    dtype = np.uint8 if ds.BitsAllocated == 8 else "<u2"
    ds.PixelData = arr.astype(dtype).tobytes()
    ds.save_as(path, write_like_original=False)


def new_dataset(path, syntax, shape, bits_stored, photometric):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture
    meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.8.498.1"
    meta.TransferSyntaxUID = syntax
    ds = FileDataset(path, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.2"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.3"
    ds.Modality, ds.PatientName, ds.PatientID = "OT", "Test^Ljpeg", "0"
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.Rows, ds.Columns = shape[0], shape[1]
    ds.SamplesPerPixel = 1 if len(shape) == 2 else shape[2]
    ds.PhotometricInterpretation = photometric
    if ds.SamplesPerPixel > 1:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = 8 if bits_stored <= 8 else 16
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = bits_stored, bits_stored - 1, 0
    return ds


def sof(stream):
    """Returns (marker, precision, rows, cols, components) of the frame header."""
    i = 2
    while i + 4 <= len(stream):
        assert stream[i] == 0xFF, "marker expected"
        if stream[i + 1] == 0xFF:  # fill byte
            i += 1
            continue
        m = stream[i + 1]
        n = stream[i + 2] << 8 | stream[i + 3]
        if m in (0xC0, 0xC1, 0xC3):
            s = stream[i + 4:]
            return m, s[0], s[1] << 8 | s[2], s[3] << 8 | s[4], s[5]
        i += 2 + n
    raise ValueError("no SOF in " + stream[:64].hex())


def wrap(stream, path):
    """Wraps a codestream as a one-frame encapsulated DICOM file."""
    m, p, rows, cols, nc = sof(stream)
    syntax = {0xC0: "1.2.840.10008.1.2.4.50", 0xC1: "1.2.840.10008.1.2.4.51", 0xC3: "1.2.840.10008.1.2.4.57"}[m]
    shape = (rows, cols) if nc == 1 else (rows, cols, nc)
    ds = new_dataset(path, syntax, shape, p, "MONOCHROME2" if nc == 1 else "RGB")
    ds.PixelData = encapsulate([stream])
    ds["PixelData"].VR = "OB"
    ds.save_as(path, write_like_original=False)


def samples(path):
    """Stored samples of an uncompressed DICOM file as bytes (uint8 or LE uint16)."""
    ds = pydicom.dcmread(path)
    assert not ds.file_meta.TransferSyntaxUID.is_compressed, path
    return bytes(ds.PixelData)


def frame(path):
    ds = pydicom.dcmread(path)
    return next(generate_pixel_data_frame(ds.PixelData))


def run(*args):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        sys.exit(f"{' '.join(args)}: exit {r.returncode}: {r.stdout.decode()}")
    if r.stdout.strip():
        print(f"{args[0]}: {r.stdout.decode().strip()}")


def decode_dicom(stream, tmp):
    """Decodes a codestream with GDCM and dcmtk; returns the samples both give."""
    src, g, d = (os.path.join(tmp, n) for n in ("w.dcm", "g.dcm", "d.dcm"))
    wrap(stream, src)
    run("dcmdjpeg", "+cn", src, d)  # +cn: no colour conversion
    m, p, rows, cols, nc = sof(stream)
    size = rows * cols * nc * (1 if p <= 8 else 2)
    b = samples(d)[:size]
    if p < 8:
        return b, "dcmtk"  # GDCM asserts on precisions below 8 (gdcmImageCodec.cxx)
    run("gdcmconv", "--raw", src, g)
    a = samples(g)[:size]
    if a != b:
        sys.exit(f"GDCM and dcmtk disagree on a {rows}x{cols}x{nc} {p}-bit stream")
    return a, "gdcm=dcmtk"


def decode_djpeg(stream, tmp):
    """Decodes an 8-bit DCT codestream with djpeg (ISLOW IDCT) to raw samples."""
    src, out = os.path.join(tmp, "in.jpg"), os.path.join(tmp, "out.pnm")
    with open(src, "wb") as f:
        f.write(stream)
    run("djpeg", "-dct", "int", "-outfile", out, src)
    with open(out, "rb") as f:
        pnm = f.read()
    # P5/P6 header: magic, width, height, maxval, one whitespace byte.
    fields, i = [], 0
    while len(fields) < 4:
        while pnm[i:i + 1].isspace():
            i += 1
        j = i
        while not pnm[j:j + 1].isspace():
            j += 1
        fields.append(pnm[i:j])
        i = j
    return pnm[i + 1:]


def image(rows, cols, prec, nc=1, seed=1):
    """A radiograph-like test image: ramps, noise, a saturated and a black block."""
    rng = np.random.default_rng(seed)
    m = (1 << prec) - 1
    y, x = np.mgrid[0:rows, 0:cols]
    a = (x * (m * 0.6 / cols) + y * (m * 0.3 / rows)).astype(np.int64)
    if nc > 1:
        a = np.stack([a, a[::-1], a[:, ::-1]], axis=-1)[..., :nc]
    a = a + rng.integers(0, max(2, m // 16), a.shape)
    a[rows // 3:rows // 2, cols // 4:cols // 2] = m
    a[rows // 2:, :cols // 5] = 0
    return np.clip(a, 0, m)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".jpg") or f == "golden.txt":
            os.remove(os.path.join(OUT, f))
    tmp = tempfile.mkdtemp()
    streams = {}  # name -> (stream, reference decoder)

    # dcmcjpeg: lossless, every selection value, 8- and 16-bit precision
    # (dcmtk picks 8 or 16 from BitsStored 8 and 12), point transforms.
    src8, src12, rgb = (os.path.join(tmp, n) for n in ("s8.dcm", "s12.dcm", "rgb.dcm"))
    write_native(src8, image(24, 40, 8, seed=8), 8)
    write_native(src12, image(24, 40, 12, seed=12), 12)
    write_native(rgb, image(16, 24, 8, nc=3, seed=3), 8, "RGB")
    out = os.path.join(tmp, "out.dcm")
    for sv in range(1, 8):
        for name, src, pt in (("p8", src8, 0), ("p16", src12, 0)):
            run("dcmcjpeg", "+el", "+sv", str(sv), "+pt", str(pt), src, out)
            streams[f"dcmtk_{name}_sv{sv}.jpg"] = (frame(out), "dicom")
    run("dcmcjpeg", "+el", "+sv", "5", "+pt", "3", src12, out)
    streams["dcmtk_p16_sv5_pt3.jpg"] = (frame(out), "dicom")
    run("dcmcjpeg", "+el", "+sv", "2", "+pt", "1", "+pl", "+bt", src12, out)  # pseudo-lossless codec, 12-bit
    streams["dcmtk_p12_sv2_pt1.jpg"] = (frame(out), "dicom")
    run("dcmcjpeg", "+el", "+sv", "4", rgb, out)
    streams["dcmtk_rgb_p8_sv4.jpg"] = (frame(out), "dicom")
    # GDCM: lossless SV1 (transfer syntax .70).
    run("gdcmconv", "--jpeg", src12, out)
    streams["gdcm_p16_sv1.jpg"] = (frame(out), "dicom")
    # 12-bit extended DCT (process 4) and 8-bit baseline by dcmtk.
    run("dcmcjpeg", "+ee", "+bt", "+q", "85", src12, out)
    streams["dcmtk_ext12_q85.jpg"] = (frame(out), "dicom")
    run("dcmcjpeg", "+ee", "+bt", "+q", "100", src12, out)
    streams["dcmtk_ext12_q100.jpg"] = (frame(out), "dicom")
    run("dcmcjpeg", "+eb", "+q", "75", src8, out)
    streams["dcmtk_base8_q75.jpg"] = (frame(out), "dicom")
    # cjpeg: 8-bit DCT with restart markers, grey and 3-component RGB.
    pgm, ppm, jpg = (os.path.join(tmp, n) for n in ("g.pgm", "c.ppm", "o.jpg"))
    with open(pgm, "wb") as f:
        f.write(b"P5 37 29 255\n" + image(29, 37, 8, seed=5).astype(np.uint8).tobytes())
    with open(ppm, "wb") as f:
        f.write(b"P6 21 19 255\n" + image(19, 21, 8, nc=3, seed=6).astype(np.uint8).tobytes())
    for name, args, src in (
            ("cjpeg_grey_rst2.jpg", ["-restart", "2B", "-quality", "80"], pgm),
            ("cjpeg_grey_rst1row_q100.jpg", ["-restart", "1", "-quality", "100"], pgm),
            ("cjpeg_rgb444_rst3.jpg", ["-rgb", "-sample", "1x1", "-restart", "3B", "-quality", "90"], ppm)):
        run("cjpeg", *args, "-outfile", jpg, src)
        with open(jpg, "rb") as f:
            streams[name] = (f.read(), "djpeg")
    # Streams of the Go test encoder.
    enc = os.path.join(tmp, "enc")
    os.makedirs(enc)
    subprocess.run(["go", "test", "-count=1", "-run", "TestWriteEncoderStreams", "./data/dicom/ljpeg/"],
                   check=True, env=dict(os.environ, LJPEG_WRITE_STREAMS=enc), stdout=subprocess.DEVNULL)
    for n in sorted(os.listdir(enc)):
        with open(os.path.join(enc, n), "rb") as f:
            streams[n] = (f.read(), "dicom")

    lines = [f"# {MAGIC}: regenerate with /usr/bin/python3 scripts/golden/ljpeg_golden.py",
             "# name rows cols components precision sha256(samples: uint8 if precision <= 8 else uint16 LE) reference"]
    total = 0
    for name in sorted(streams):
        stream, how = streams[name]
        print(name)
        m, p, rows, cols, nc = sof(stream)
        if how == "dicom":
            got, ref = decode_dicom(stream, tmp)
        else:
            got = decode_djpeg(stream, tmp)
            # GDCM must agree with djpeg where it can decode without colour
            # conversion (grey).
            if nc == 1 and decode_dicom(stream, tmp)[0] != got:
                sys.exit(f"{name}: djpeg and GDCM disagree")
            ref = "djpeg=gdcm" if nc == 1 else "djpeg"
        if len(got) != rows * cols * nc * (1 if p <= 8 else 2):
            sys.exit(f"{name}: reference decode has {len(got)} bytes")
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(stream)
        total += len(stream)
        lines.append(f"{name} {rows} {cols} {nc} {p} {hashlib.sha256(got).hexdigest()} {ref}")
    with open(os.path.join(OUT, "golden.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    shutil.rmtree(tmp)
    print(f"{len(streams)} streams, {total} bytes, in {OUT}")


if __name__ == "__main__":
    main()
