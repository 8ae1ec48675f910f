#!/bin/sh
# Regenerates the JPEG conformance cases of islow_test.go: grayscale JPEGs
# written by libjpeg-turbo's cjpeg and their decodes by djpeg -dct int (the
# ISLOW IDCT that pydicom + Pillow use). Needs libjpeg-turbo-progs
# (Debian: apt-get install libjpeg-turbo-progs) and /usr/bin/python3 + numpy.
# Run from this directory: sh gen.sh
set -eu
/usr/bin/python3 - <<'PY'
import numpy as np
rng = np.random.default_rng(7)
def pgm(name, a):
    with open(name, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (a.shape[1], a.shape[0]))
        f.write(a.astype(np.uint8).tobytes())
for h, w in [(29, 37), (1, 1), (17, 9), (64, 48)]:
    y, x = np.mgrid[0:h, 0:w]
    a = 60 + 120 * x / max(w - 1, 1) + 40 * np.sin(y / 3.0)
    a += 60 * ((x - w / 2) ** 2 + (y - h / 2) ** 2 < (min(h, w) / 3) ** 2)
    a += rng.normal(0, 12, size=a.shape)
    a[:, :2] = 255  # hard edge: clipping in the IDCT
    a[-1:, :] = 0
    pgm("src_%dx%d.pgm" % (h, w), np.clip(a, 0, 255))
PY
mk() { # name src cjpeg-flags...
    name=$1; src=$2; shift 2
    cjpeg -grayscale "$@" -outfile "$name.jpg" "$src"
    djpeg -dct int -pnm -outfile "$name.pgm" "$name.jpg"
}
mk q75_29x37 src_29x37.pgm -quality 75
mk q100_29x37 src_29x37.pgm -quality 100
mk q5_base_29x37 src_29x37.pgm -quality 5 -baseline
mk q1_ext16_29x37 src_29x37.pgm -quality 1
mk opt_rst1b_29x37 src_29x37.pgm -quality 90 -optimize -restart 1B
mk rst3b_64x48 src_64x48.pgm -quality 60 -restart 3B
mk rst1row_64x48 src_64x48.pgm -quality 80 -restart 1
mk q50_1x1 src_1x1.pgm -quality 50
mk q95_17x9 src_17x9.pgm -quality 95
mk prog_64x48 src_64x48.pgm -quality 70 -progressive
mk arith_29x37 src_29x37.pgm -quality 70 -arithmetic
rm -f src_*.pgm
