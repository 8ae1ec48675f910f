#!/bin/sh
# Decode speed of data/dicom/jpeg2k beside OpenJPEG (opj_decompress), both on
# one thread, in interleaved rounds; prints medians of wall and CPU time.
# Each round decodes each file 3 times in one process per decoder
# (opj_decompress -ImgDir over 3 copies; BenchmarkDecode -benchtime 3x) and
# takes the mean, so neither side pays a cold start.
#
#   scripts/golden/jpeg2k_bench.sh [rounds]     (from the repository root)
#
# Needs libopenjp2-tools and python3-pydicom (Debian: apt-get install -y
# libopenjp2-tools python3-pydicom). OpenJPEG's wall time is the mean
# "decode time" opj_decompress prints (header and decode, not the output
# file); its CPU time is the whole process's over 3 (so it includes reading
# the files and writing the outputs).
# lungo's are BenchmarkDecode's ns/op and cpu-ms/op (GOMAXPROCS=1).
set -eu
rounds=${1:-7}
shared=${SHARED:-../shared/data/dicom}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/j2k.test" ./data/dicom/jpeg2k
/usr/bin/python3 - "$shared" "$tmp" <<'PY'
import sys, pydicom
from pydicom.encaps import generate_pixel_data_frame
import os
shared, tmp = sys.argv[1], sys.argv[2]
for name in ["RG1_J2KI", "MR2_J2KR"]:
    ds = pydicom.dcmread("%s/%s.dcm" % (shared, name))
    os.makedirs("%s/%s" % (tmp, name))
    for i in range(3):
        with open("%s/%s/%d.j2k" % (tmp, name, i), "wb") as f:
            f.write(next(generate_pixel_data_frame(ds.PixelData, 1)))
PY
: > "$tmp/times"
for i in $(seq "$rounds"); do
	for f in RG1_J2KI MR2_J2KR; do
		/usr/bin/time -f "cpu %U %S" opj_decompress -threads 1 -ImgDir "$tmp/$f" -OutFor raw > "$tmp/opj.txt" 2>&1
		awk -v f="$f" '/decode time/ { w = $3 } /^cpu / { c = ($2 + $3) * 1000 / 3 } END { print "openjpeg", f, w, c }' "$tmp/opj.txt" >> "$tmp/times"
		(cd data/dicom/jpeg2k && GOMAXPROCS=1 "$tmp/j2k.test" -test.run '^$' -test.bench "BenchmarkDecode/$f" -test.benchtime 3x) |
			awk -v f="$f" '/^BenchmarkDecode/ { for (i = 1; i < NF; i++) { if ($(i+1) == "ns/op") w = $i / 1e6; if ($(i+1) == "cpu-ms/op") c = $i } } END { print "lungo", f, w, c }' >> "$tmp/times"
	done
done
/usr/bin/python3 - "$tmp/times" "$rounds" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    who, f, w, c = line.split()
    rows.setdefault((f, who), []).append((float(w), float(c)))
print("medians of %s interleaved rounds, one thread (ms)" % sys.argv[2])
print("| file | lungo wall | OpenJPEG wall | ratio | lungo CPU | OpenJPEG CPU | ratio |")
print("|---|---|---|---|---|---|---|")
for f in ["RG1_J2KI", "MR2_J2KR"]:
    lw = statistics.median(w for w, _ in rows[(f, "lungo")])
    lc = statistics.median(c for _, c in rows[(f, "lungo")])
    ow = statistics.median(w for w, _ in rows[(f, "openjpeg")])
    oc = statistics.median(c for _, c in rows[(f, "openjpeg")])
    print("| %s | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f |" % (f, lw, ow, lw / ow, lc, oc, lc / oc))
PY
