#!/usr/bin/python3
"""Largest absolute difference between lungo's JPEG 2000 decodes and
OpenJPEG's (opj_decompress) for the JPEG 2000 files of ../shared/data/dicom
and for testdata/streams.

    /usr/bin/python3 scripts/golden/jpeg2k_compare.py      (from the repository root)

lungo's decodes come from data/dicom/jpeg2k's TestDump (J2K_DUMP=dir).
Needs libopenjp2-tools, python3-pydicom, python3-numpy.
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import jpeg2k_golden as g  # noqa: E402


def main():
    import pydicom
    from pydicom.encaps import generate_pixel_data_frame
    tmp = tempfile.mkdtemp()
    work = os.path.join(tmp, "streams")
    os.makedirs(work)
    for fn in ["MR_small_jp2klossless.dcm", "MR2_J2KR.dcm", "US1_J2KR.dcm", "JPEG2000.dcm",
               "693_J2KI.dcm", "RG1_J2KI.dcm"]:
        ds = pydicom.dcmread(os.path.join(g.SHARED, fn))
        frame = next(generate_pixel_data_frame(ds.PixelData, 1))
        with open(os.path.join(work, fn[:-4] + ".j2k"), "wb") as f:
            f.write(frame)
    for p in glob.glob(os.path.join(g.OUT, "streams", "*")):
        shutil.copy(p, work)
    env = dict(os.environ, J2K_DUMP=work)
    subprocess.run(["go", "test", "-count=1", "-run", "^TestDump$", "./data/dicom/jpeg2k"],
                   cwd=g.ROOT, env=env, check=True, capture_output=True)
    print("| stream | samples | max abs diff | differing |")
    print("|---|---|---|---|")
    for p in sorted(glob.glob(os.path.join(work, "*.j2k")) + sorted(glob.glob(os.path.join(work, "*.jp2")))):
        rows, cols, nc, prec, sg, ref = g.opj_decode(p, tmp)
        ours = np.fromfile(p + ".lungo.raw", dtype="<i4").astype(np.int64)
        ref = ref.reshape(-1)
        d = np.abs(ours - ref) if ours.size == ref.size else None
        if d is None:
            print("| %s | %d | size differs (%d) | - |" % (os.path.basename(p), ref.size, ours.size))
        else:
            print("| %s | %d | %d | %d |" % (os.path.basename(p), ref.size, d.max(), (d > 0).sum()))
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
