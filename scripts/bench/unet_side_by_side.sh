#!/usr/bin/env bash
# Whole-model U-Net-ResNet34 timings of lungo and PyTorch, interleaved: for each
# case and thread count, REPS rounds of (lungo, PyTorch NCHW, PyTorch
# channels-last), each a fresh process, so that both see the same machine
# state. Prints one JSON line per run (tool, fmt, case, threads, ms, peak MiB)
# to stdout; summarise with scripts/bench/summarise.py.
# Run from the project root:
#   scripts/bench/unet_side_by_side.sh [REPS] [THREADS...]   (default 3, threads 1 2)
# Needs ../shared/ref (bench_unet.py) and Debian's PyTorch (/usr/bin/python3).
set -eu
reps=${1:-3}; shift || true
threads=${*:-1 2}
ref="$(cd ../shared/ref && pwd)"
bin=$(mktemp -d)/lungo; trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/lungo
cases=${CASES:-"infer:256:1 infer:512:1 infer:1024:1 train:256:4 train:512:2"}
for t in $threads; do
  for c in $cases; do
    IFS=: read -r mode size batch <<<"$c"
    for r in $(seq "$reps"); do
      "$bin" bench -suite model -op "unet-resnet34 $mode" -shape "bs$batch 1x${size}x$size" \
        -threads "$t" -impl "${IMPL:-avx512}" -runs 5 -mintime 0 -json | sed "s/^{/{\"tool\":\"lungo\",\"rep\":$r,/"
      for f in NCHW channels_last; do
        tmp=$(mktemp)
        (cd "$ref" && /usr/bin/time -f '%M' -o "$tmp.rss" /usr/bin/python3 bench_unet.py --mode "$mode" \
          --size "$size" --batch "$batch" --threads "$t" --fmt "$f" --runs 5 --warmup 3 --out "$tmp" >/dev/null)
        rss=$(tail -1 "$tmp.rss")
        sed "s/^{/{\"tool\":\"torch\",\"rep\":$r,\"rss_kib\":$rss,/" "$tmp"
        rm -f "$tmp" "$tmp.rss"
      done
    done
  done
done
