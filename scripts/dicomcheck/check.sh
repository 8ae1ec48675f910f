#!/bin/sh
# Check lungo's DICOM Segmentation and overlay Secondary Capture writer
# (data/dicom/seg) with two readers lungo does not control:
#   - pydicom (scripts/dicomcheck/pydicom_seg.py): attributes, references,
#     the SEG's pixels bit for bit against the mask, the overlay's outline;
#   - dciodvfy (dicom3tools): the IOD validator; any "Error" fails.
# It writes the samples with internal/cmd/segsample (which also reads each
# SEG back with lungo's own reader) from the shared real data.
#
#   scripts/dicomcheck/check.sh [OUT_DIR]     (run from the repository root)
#
# Needs: apt-get install -y dicom3tools python3-pydicom python3-numpy, and
# ../shared/data (SHARED=... to override). OUT_DIR defaults to a temporary
# directory, removed at the end. Prints dciodvfy's whole output per file.
set -eu

shared=${SHARED:-../shared/data}
if [ $# -ge 1 ]; then
	out=$1
	mkdir -p "$out"
else
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
fi
py=/usr/bin/python3
for tool in dciodvfy "$py"; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "dicomcheck: $tool not found (apt-get install -y dicom3tools python3-pydicom python3-numpy)" >&2
		exit 1
	}
done
"$py" -c 'import pydicom, numpy' || {
	echo "dicomcheck: pydicom or numpy missing (apt-get install -y python3-pydicom python3-numpy)" >&2
	exit 1
}
[ -d "$shared" ] || {
	echo "dicomcheck: shared data folder $shared not found (set SHARED)" >&2
	exit 1
}

echo "== writing samples into $out"
go run ./internal/cmd/segsample -out "$out" -shared "$shared" >"$out/cases.txt"
cat "$out/cases.txt"

fail=0
while read -r name rows cols set; do
	echo "== pydicom: $name (${rows}x${cols}, $set pixels set)"
	if ! "$py" scripts/dicomcheck/pydicom_seg.py --source "$out/$name.src.dcm" \
		--seg "$out/$name.seg.dcm" --sc "$out/$name.sc.dcm" --mask "$out/$name.mask.npy" >"$out/$name.pydicom.txt" 2>&1; then
		cat "$out/$name.pydicom.txt"
		fail=1
	else
		tail -n 1 "$out/$name.pydicom.txt"
	fi
	for kind in seg sc; do
		f="$out/$name.$kind.dcm"
		echo "== dciodvfy $name.$kind.dcm"
		# dciodvfy's exit status does not reflect errors; its output does.
		dciodvfy "$f" >"$f.dciodvfy.txt" 2>&1 || true
		cat "$f.dciodvfy.txt"
		if grep -q '^Error' "$f.dciodvfy.txt"; then
			echo "dicomcheck: dciodvfy reports errors in $name.$kind.dcm" >&2
			fail=1
		fi
	done
done <"$out/cases.txt"

if [ "$fail" -ne 0 ]; then
	echo "dicomcheck: FAILED" >&2
	exit 1
fi
echo "dicomcheck: all samples pass pydicom and dciodvfy (no errors)"
