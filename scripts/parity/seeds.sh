#!/bin/sh
# Whole-run parity over several seeds: run.sh once per seed (each seed sets the initial
# weights, the batch order and the augmentation, the same on both sides), then welch.py
# (final validation Dice, Welch's t-test, wall times, one PNG with every seed's curves).
#
#   scripts/parity/seeds.sh --seeds 1,2,3,4,5 --out DIR [run.sh arguments except --seed/--out]
#
# The full scale (hours of CPU on a 2-core machine):
#   scripts/parity/seeds.sh --seeds 1,2,3,4,5 --out par-synth --arch resnet34 --size 256 --batch 8 --steps 300 --eval-every 50
#   scripts/parity/seeds.sh --seeds 1,2,3,4,5 --out par-real --arch resnet34 --size 256 --batch 8 --steps 300 --eval-every 50 \
#       --data ../shared/data/siim-real
set -eu
seeds=1,2,3 out=
rest=
while [ $# -gt 0 ]; do
	case $1 in
	--seeds) seeds=$2 ;;
	--out) out=$2 ;;
	*) rest="$rest $1 $2" ;;
	esac
	shift 2
done
[ -n "$out" ] || { echo "seeds.sh: --out DIR is required" >&2; exit 2; }
here=$(dirname "$0")
dirs=
for s in $(echo "$seeds" | tr , ' '); do
	dirs="$dirs $out/seed$s"
	# A seed whose summary exists is done: a long series can be stopped and run again.
	if [ -f "$out/seed$s/summary.json" ]; then
		echo "== seed $s: done before ($out/seed$s/summary.json)" >&2
		continue
	fi
	echo "== seed $s" >&2
	# shellcheck disable=SC2086
	"$here/run.sh" $rest --seed "$s" --out "$out/seed$s" | tail -1 >&2
	# The batch stream (about 1.3 GB at 256x256, batch 8, 300 steps) can be written again from the seed.
	[ "${KEEP_STREAM:-0}" = 1 ] || rm -rf "$out/seed$s/stream"
done
# shellcheck disable=SC2086
/usr/bin/python3 "$here/welch.py" "$out/seeds.png" $dirs | tee "$out/seeds.json"
