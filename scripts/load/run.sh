#!/usr/bin/env bash
# Load and fault test of `lungo serve` (issue 14, section 3). Everything runs
# on loopback, is bounded in count and time, and stops by itself:
#   - U-Net-ResNet34 weights (freshly initialised: this measures serving,
#     not accuracy) served with -workers $WORKERS -threads $THREADS;
#   - a real 1024x1024 SIIM DICOM posted at concurrency 1, 2, 8 and 32 for
#     $DUR each by internal/cmd/loadgen, every 200 answer checked against a
#     serial `lungo predict` of the same file;
#   - resident memory after 200 and after 2,000 requests;
#   - 500 malformed bodies, mid-upload disconnects and a slow-header client
#     beside a good run at concurrency 2;
#   - SIGTERM: the server drains and exits 0.
# Results: $OUT/*.json and $OUT/summary.md (printed at the end).
#
# usage: scripts/load/run.sh [OUT]   env: SIZE=512 WORKERS=2 THREADS=2 QUEUE=16 DUR=30s LEAK_N=2000
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/lungo-load}
SIZE=${SIZE:-512} WORKERS=${WORKERS:-2} THREADS=${THREADS:-2} QUEUE=${QUEUE:-16} DUR=${DUR:-30s} LEAK_N=${LEAK_N:-2000}
DCM=${DCM:-../shared/data/siim-real/dicom/1.2.276.0.7230010.3.1.4.8323329.301.1517875162.280319.dcm}
mkdir -p "$OUT"
test -f "$DCM" || { echo "missing $DCM (../shared/data beside the repository)"; exit 1; }

go build -o "$OUT/lungo" ./cmd/lungo
go build -o "$OUT/loadgen" ./internal/cmd/loadgen
W="$OUT/unet-resnet34.lungo"
test -f "$W" || "$OUT/loadgen" weights -arch resnet34 -out "$W"

# The serial reference: lungo predict of the same file.
"$OUT/lungo" predict -weights "$W" -dicom "$DCM" -size "$SIZE" -submission "$OUT/ref.csv" 2>"$OUT/predict.log"
RLE=$(tail -n 1 "$OUT/ref.csv" | cut -d, -f2-)
echo "reference mask: ${#RLE} characters of RLE"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
"$OUT/lungo" serve -weights "$W" -addr 127.0.0.1:$PORT -workers "$WORKERS" -queue "$QUEUE" -threads "$THREADS" -size "$SIZE" 2>"$OUT/server.log" &
SRV=$!
trap 'kill $SRV 2>/dev/null || true' EXIT
for _ in $(seq 600); do
  curl -sf "$BASE/readyz" >/dev/null 2>&1 && break
  kill -0 $SRV 2>/dev/null || { echo "server died:"; tail "$OUT/server.log"; exit 1; }
  sleep 0.2
done
curl -sf "$BASE/readyz" >/dev/null || { echo "server not ready"; exit 1; }
rss() { curl -s "$BASE/metrics" | awk '/^process_resident_memory_bytes/ {printf "%.0f", $2/1048576}'; }
LG=("$OUT/loadgen" -url "$BASE/v1/predict" -body "$DCM" -rle "$RLE")

for c in 1 2 8 32; do
  "${LG[@]}" -c $c -d "$DUR" >"$OUT/c$c.json"
  echo "c=$c: $(cat "$OUT/c$c.json")  rss $(rss) MiB"
  echo "$(rss)" >"$OUT/c$c.rss"
done

# Leak: resident memory after 200 and after 2,000 requests (from here).
"${LG[@]}" -c 2 -n 200 >"$OUT/leak200.json"; R200=$(rss)
"${LG[@]}" -c 2 -n $((LEAK_N - 200)) >"$OUT/leak2000.json"; R2000=$(rss)
echo "rss after 200: $R200 MiB, after $LEAK_N: $R2000 MiB"

# Faults beside good load.
FDUR=${FDUR:-60s}
"${LG[@]}" -c 2 -d $FDUR >"$OUT/good-under-faults.json" &
G=$!
"$OUT/loadgen" -url "$BASE/v1/predict" -body "$DCM" -faults ${NFAULTS:-500} -d $FDUR >"$OUT/faults.json"
wait $G
echo "good under faults: $(cat "$OUT/good-under-faults.json")"
echo "faults: $(cat "$OUT/faults.json")"
curl -s "$BASE/metrics" >"$OUT/metrics.txt"

# SIGTERM with a request in flight: it completes, the server exits 0.
"${LG[@]}" -c 1 -n 1 >"$OUT/inflight.json" &
L=$!
# Wait until the request is being handled (the /metrics request counts itself).
for _ in $(seq 200); do
  n=$(curl -s "$BASE/metrics" | awk '/^lungo_in_flight_requests/ {print $2}')
  [ "${n:-0}" -ge 2 ] && break
  sleep 0.05
done
kill -TERM $SRV
set +e; wait $SRV; CODE=$?; set -e
wait $L
trap - EXIT
echo "server exit status after SIGTERM: $CODE; in-flight request: $(cat "$OUT/inflight.json")"

python3 - "$OUT" "$R200" "$R2000" "$CODE" <<'PY'
import json, sys, os
out, r200, r2000, code = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
L = lambda n: json.load(open(os.path.join(out, n)))
rows, ok = [], True
for c in (1, 2, 8, 32):
    s = L(f"c{c}.json"); rss = open(os.path.join(out, f"c{c}.rss")).read().strip()
    bad5 = {k: v for k, v in s["status"].items() if k.startswith("5") and k != "503"}
    rows.append(f"| {c} | {s['rps']:.2f} | {s['p50_ms']:.0f} | {s['p95_ms']:.0f} | {s['p99_ms']:.0f} | {s['status']} | {s['mismatch']} | {s['errors']} | {rss} |")
    ok &= not bad5 and s["mismatch"] == 0 and s["errors"] == 0
single = L("c1.json")["predict_ms_mean"] / 1000
c8 = L("c8.json")["rps"]
g, base, f, inflight = L("good-under-faults.json"), L("c2.json"), L("faults.json"), L("inflight.json")
print("| concurrency | req/s | p50 ms | p95 ms | p99 ms | statuses | mismatches | transport errors | RSS MiB |")
print("|---|---|---|---|---|---|---|---|---|")
print("\n".join(rows))
print()
print(f"- serving overhead: c=8 {c8:.2f} req/s vs 1/single prediction ({single*1000:.0f} ms, the server's own predict time at c=1) = {1/single:.2f}/s: ratio {c8*single:.3f} (goal >= 0.95)")
print(f"- leak: RSS {r200:.0f} MiB after 200 requests, {r2000:.0f} MiB after 2,000: {100*(r2000-r200)/r200:+.1f}% (goal within 10%)")
print(f"- under faults: good requests p50 {g['p50_ms']:.0f} ms / p95 {g['p95_ms']:.0f} ms vs {base['p50_ms']:.0f} / {base['p95_ms']:.0f} without ({g['p50_ms']/base['p50_ms']:.2f}x / {g['p95_ms']/base['p95_ms']:.2f}x; goal within 2x), statuses {g['status']}, mismatches {g['mismatch']}, errors {g['errors']}")
print(f"- faults sent: {f['malformed']} malformed bodies -> {f['status']}, {f['disconnects']} mid-upload disconnects, slow-header client dropped after {f['slow_header_closed_after_s']:.0f} s, {f['errors']} transport errors")
print(f"- SIGTERM with a request in flight: exit {code}, the request got {inflight['status']}")
ok &= c8*single >= 0.95 and (r2000-r200)/r200 <= 0.10 and g["errors"] == 0 and g["mismatch"] == 0 and set(g["status"]) == {"200"} and code == 0 and inflight["status"] == {"200": 1}
ok &= g['p50_ms'] <= 2*base['p50_ms'] and g['p95_ms'] <= 2*base['p95_ms']
print(f"\nall goals met: {ok}")
PY
