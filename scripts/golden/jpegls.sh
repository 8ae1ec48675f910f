#!/usr/bin/env bash
# Reference JPEG-LS streams for data/dicom/jpegls's tests, made with CharLS
# (Debian's libcharls 2.4: the codec GDCM and pydicom decode JPEG-LS with).
#
#   apt-get install -y gcc libcharls-dev
#   bash scripts/golden/jpegls.sh
#
# For each case below, jpegls_charls.c makes a deterministic test image,
# encodes it with CharLS, decodes it again with CharLS, and this script
# records the sha256 of CharLS's decoded values (uint16 little endian,
# [row][col][component]) in testdata/charls.txt beside the stream
# testdata/charls/NAME.jls. Lossless cases are also checked to give the
# image back.
#
# CharLS cannot write restart markers, so the restart-interval streams
# (testdata/restart/*.jls) come from the test encoder in
# data/dicom/jpegls/encoder_test.go (go test ... -run TestWriteRestartStreams
# with LUNGO_JPEGLS_WRITE=1); this script then has CharLS decode them and
# records its values in testdata/restart.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
td=data/dicom/jpegls/testdata
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
gcc -O2 -Wall -o "$work/jpegls_charls" scripts/golden/jpegls_charls.c -lcharls

mkdir -p "$td/charls"
rm -f "$td"/charls/*.jls
out="$td/charls.txt"
{
  echo "# JPEG-LS streams encoded and decoded by CharLS 2.4; regenerate with scripts/golden/jpegls.sh"
  echo "# name width height bits components ilv near maxval t1 t2 t3 reset sha256(CharLS decode: uint16 LE, [row][col][comp])"
} >"$out"
# name W H BITS COMPS ILV NEAR MAXVAL T1 T2 T3 RESET SEED
while read -r name w h bits nc ilv near maxval t1 t2 t3 reset seed; do
  [ -z "$name" ] && continue
  "$work/jpegls_charls" encode "$w" "$h" "$bits" "$nc" "$ilv" "$near" "$maxval" "$t1" "$t2" "$t3" "$reset" "$seed" \
    "$td/charls/$name.jls" "$work/$name.raw"
  if [ "$near" = 0 ]; then cmp -s "$work/$name.raw" "$work/$name.raw.orig" || { echo "$name: CharLS lossless round trip differs"; exit 1; }; fi
  sha=$(sha256sum "$work/$name.raw" | cut -d' ' -f1)
  echo "$name $w $h $bits $nc $ilv $near $maxval $t1 $t2 $t3 $reset $sha" >>"$out"
done <<'CASES'
gray8 45 33 8 1 0 0 0 0 0 0 0 1
gray12 45 33 12 1 0 0 0 0 0 0 0 2
gray16 40 30 16 1 0 0 0 0 0 0 0 3
gray2 33 17 2 1 0 0 0 0 0 0 0 4
gray7 31 19 7 1 0 0 0 0 0 0 0 5
gray5_near1 37 21 5 1 0 1 0 0 0 0 0 6
gray8_near3 45 33 8 1 0 3 0 0 0 0 0 7
gray10_near2 29 23 10 1 0 2 0 0 0 0 0 8
gray12_near2 45 33 12 1 0 2 0 0 0 0 0 9
gray16_near7 40 30 16 1 0 7 0 0 0 0 0 10
gray16_near255 24 16 16 1 0 255 0 0 0 0 0 11
gray12_maxval3000 45 33 12 1 0 0 3000 0 0 0 0 12
gray12_preset 45 33 12 1 0 0 3000 10 40 200 0 13
gray12_t_reset32 45 33 12 1 0 0 0 10 40 200 32 30
gray8_preset_near2 45 33 8 1 0 2 0 9 20 50 100 14
gray16_reset3 30 20 16 1 0 0 0 0 0 0 3 15
gray8_t1only 30 20 8 1 0 0 0 5 0 0 0 16
col1 1 40 8 1 0 0 0 0 0 0 0 17
row1 40 1 12 1 0 0 0 0 0 0 0 18
pixel1 1 1 16 1 0 0 0 0 0 0 0 19
longrun 60000 2 8 1 0 0 0 0 0 0 0 20
rgb8_none 45 33 8 3 0 0 0 0 0 0 0 21
rgb8_line 45 33 8 3 1 0 0 0 0 0 0 22
rgb8_sample 45 33 8 3 2 0 0 0 0 0 0 23
rgb8_sample_near2 45 33 8 3 2 2 0 0 0 0 0 24
rgb12_line_near1 30 20 12 3 1 1 0 0 0 0 0 25
rgb16_sample 20 15 16 3 2 0 0 0 0 0 0 26
gray2c_none 30 20 8 2 0 0 0 0 0 0 0 27
rgba8_sample 20 15 8 4 2 0 0 0 0 0 0 28
rgba8_none_near1 20 15 8 4 0 1 0 0 0 0 0 29
rgb16_none 20 15 16 3 0 0 0 0 0 0 0 31
rgba8_line 20 15 8 4 1 0 0 0 0 0 0 32
CASES

# Restart-interval streams from the test encoder, decoded by CharLS.
mkdir -p "$td/restart"
LUNGO_JPEGLS_WRITE=1 go test ./data/dicom/jpegls -run TestWriteRestartStreams -count=1 >/dev/null
out="$td/restart.txt"
{
  echo "# restart-interval streams (written by encoder_test.go), decoded by CharLS 2.4; regenerate with scripts/golden/jpegls.sh"
  echo "# name sha256(CharLS decode: uint16 LE, [row][col][comp])"
} >"$out"
for f in "$td"/restart/*.jls; do
  name=$(basename "$f" .jls)
  "$work/jpegls_charls" decode "$f" "$work/$name.raw"
  echo "$name $(sha256sum "$work/$name.raw" | cut -d' ' -f1)" >>"$out"
done
du -sh "$td"
