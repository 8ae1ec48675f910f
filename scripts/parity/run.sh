#!/bin/sh
# Training parity, lungo against PyTorch 1.13 (Debian's python3-torch), from the same
# initial weights on the same batch stream. See scripts/parity/README.md.
#
#   scripts/parity/run.sh --arch resnet18|resnet34 --size S --batch B --steps N --seed K \
#       --data synthetic|DIR --out DIR [--threads T] [--lr LR] [--warmup W] [--eval-every E]
#       [--yardstick 0]
#
# Run from the repository root. The last line on stdout is one JSON object (compare.py).
set -eu

arch=resnet18 size=128 batch=4 steps=5 seed=1 data=synthetic out= threads=2
lr=1e-3 warmup= min_ratio=0.05 eval_every=0 after=5 yardstick=1
while [ $# -gt 0 ]; do
	case $1 in
	--arch) arch=$2 ;;
	--size) size=$2 ;;
	--batch) batch=$2 ;;
	--steps) steps=$2 ;;
	--seed) seed=$2 ;;
	--data) data=$2 ;;
	--out) out=$2 ;;
	--threads) threads=$2 ;;
	--lr) lr=$2 ;;
	--warmup) warmup=$2 ;;
	--min-ratio) min_ratio=$2 ;;
	--eval-every) eval_every=$2 ;;
	--yardstick) yardstick=$2 ;; # 0: skip the float64 and channels-last runs (whole runs over seeds)
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift 2
done
[ -n "$out" ] || { echo "run.sh: --out DIR is required" >&2; exit 2; }
# Warm-up: a tenth of the run (at least 1 step).
[ -n "$warmup" ] || warmup=$(( steps / 10 > 1 ? steps / 10 : 1 ))
[ "$steps" -ge "$after" ] || after=$steps
py=/usr/bin/python3
here=$(dirname "$0")
mkdir -p "$out"
go build -o "$out/parity-lungo" "./$here/lungo"

common="--steps $steps --batch $batch --lr $lr --warmup $warmup --min-ratio $min_ratio --threads $threads"
echo "== init ($arch, seed $seed) and batch stream ($data, ${size}x$size, batch $batch, $steps steps)" >&2
$py "$here/torch_side.py" init --arch "$arch" --seed "$seed" --out "$out/init.pth"
"$out/parity-lungo" stream -data "$data" -size "$size" -batch "$batch" -steps "$steps" -seed "$seed" -out "$out/stream"

# One side at a time, so that neither slows the other.
if [ "$yardstick" != 0 ]; then
	echo "== PyTorch float64, $after steps (the yardstick)" >&2
	$py "$here/torch_side.py" train --arch "$arch" --init "$out/init.pth" --stream "$out/stream" $common \
		--steps "$after" --total "$steps" --dtype float64 --no-eval --save-after "$after" --out "$out/torch64"
	echo "== PyTorch float32, channels-last, $after steps (a second float32 sample)" >&2
	$py "$here/torch_side.py" train --arch "$arch" --init "$out/init.pth" --stream "$out/stream" $common \
		--steps "$after" --total "$steps" --channels-last --no-eval --save-after "$after" --out "$out/torch32cl"
fi
echo "== PyTorch float32" >&2
$py "$here/torch_side.py" train --arch "$arch" --init "$out/init.pth" --stream "$out/stream" $common \
	--dtype float32 --eval-every "$eval_every" --save-after "$after" --out "$out/torch32"
echo "== lungo" >&2
"$out/parity-lungo" train -arch "$arch" -init "$out/init.pth" -stream "$out/stream" -steps "$steps" -batch "$batch" \
	-lr "$lr" -warmup "$warmup" -min-ratio "$min_ratio" -threads "$threads" -eval-every "$eval_every" \
	-save-after "$after" -out "$out/lungo"
$py "$here/compare.py" "$out" --after "$after"
