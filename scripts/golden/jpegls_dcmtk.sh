#!/usr/bin/env bash
# Cross-check of data/dicom/jpegls on full-size radiographs against dcmtk
# (dcmdjpls, which carries its own CharLS), and a wall-time comparison.
#
#   apt-get install -y dcmtk libgdcm-tools
#   bash scripts/golden/jpegls_dcmtk.sh [ROUNDS]
#
# The shared J2K radiographs (RG1_J2KI 1955x1841 15-bit, MR2_J2KR 1024x1024
# 12-bit) are decoded to native DICOM with gdcmconv, re-encoded to JPEG-LS
# with dcmcjpls (lossless "raw" and "cooked" modes, near-lossless NEAR 2) and
# gdcmconv --jpegls, and decoded back with dcmdjpls. TestDcmtkPairs then
# checks that jpegls.Decode gives dcmdjpls's values for every one. Nothing
# is written into the repository.
#
# With ROUNDS > 0 it then times, interleaved, dcmdjpls (one process: read,
# decode, write DICOM) against the same work in Go (a small program that
# decodes with jpegls.Decode and writes the raw values), and prints medians
# of wall and user time.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
rounds=${1:-0}
shared=../shared/data/dicom
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
gdcmconv --raw "$shared/RG1_J2KI.dcm" "$work/rg1.native"
gdcmconv --raw "$shared/MR2_J2KR.dcm" "$work/mr2.native"
dcmcjpls "$work/rg1.native" "$work/rg1_raw.dcm"
dcmcjpls +pc "$work/rg1.native" "$work/rg1_cooked.dcm"
dcmcjpls +en +md 2 "$work/rg1.native" "$work/rg1_near2.dcm"
dcmcjpls "$work/mr2.native" "$work/mr2_raw.dcm"
gdcmconv --jpegls "$work/rg1.native" "$work/rg1_gdcm.dcm" 2>/dev/null
for f in rg1_raw rg1_cooked rg1_near2 mr2_raw rg1_gdcm; do
  dcmdjpls "$work/$f.dcm" "$work/$f.raw.dcm"
done
LUNGO_JPEGLS_PAIRS="$work" go test ./data/dicom/jpegls -run TestDcmtkPairs -count=1 -v | grep -E '^(---|ok|FAIL)|values equal'

[ "$rounds" -gt 0 ] || exit 0
mkdir -p "$work/prog"
cat >"$work/prog/go.mod" <<MOD
module jlsdecode
go 1.26.0
require github.com/lungo-ml/lungo v0.0.0
replace github.com/lungo-ml/lungo => $root
MOD
cat >"$work/prog/main.go" <<'GO'
package main

import (
	"encoding/binary"
	"os"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/data/dicom/jpegls"
)

func main() {
	f, err := dicom.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	pe, _ := f.DataSet.Get(dicom.PixelData)
	var cs []byte
	for _, fr := range pe.Fragments {
		cs = append(cs, fr...)
	}
	img, err := jpegls.Decode(cs)
	if err != nil {
		panic(err)
	}
	out := make([]byte, 0, 2*len(img.Pix))
	for _, v := range img.Pix {
		out = binary.LittleEndian.AppendUint16(out, uint16(v))
	}
	if err := os.WriteFile(os.Args[2], out, 0o644); err != nil {
		panic(err)
	}
}
GO
(cd "$work/prog" && GOFLAGS=-mod=mod go build -o ../jlsdecode .)
for r in $(seq "$rounds"); do
  for f in rg1_raw rg1_near2 mr2_raw; do
    /usr/bin/time -o "$work/t1" -f "%e %U" dcmdjpls "$work/$f.dcm" "$work/out.dcm"
    /usr/bin/time -o "$work/t2" -f "%e %U" "$work/jlsdecode" "$work/$f.dcm" "$work/out.raw"
    echo "$f $(cat "$work/t1") $(cat "$work/t2")"
  done
done >"$work/times"
python3 - "$work/times" <<'PY'
import statistics, sys, collections
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f, *v = line.split()
    d[f].append([float(x) for x in v])
print("file        dcmdjpls wall/user s   lungo wall/user s   (medians of %d interleaved rounds)" % len(next(iter(d.values()))))
for f, rows in d.items():
    m = [statistics.median(r[i] for r in rows) for i in range(4)]
    print("%-10s  %6.3f / %6.3f          %6.3f / %6.3f" % (f, *m))
PY
