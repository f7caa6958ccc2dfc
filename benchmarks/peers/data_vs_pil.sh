#!/usr/bin/env bash
# The training data pipeline, dw-java (`bin/dw bench data`) against its PIL peer (benchmarks/peers/pil_data_peer.py), run
# alternately RUNS times on the same 96 generated 640x480 JPEGs, with the same workers, batch (2), epochs (3, best
# reported) and one intra-op thread on both sides. Prints each run, then medians and ranges, the per-core ratio
# (images/s per worker, and images per CPU-second) and the load average before and after.
# Optional, never part of the tests; needs Debian's python3-pil, python3-numpy and python3-torch.
# Usage: benchmarks/peers/data_vs_pil.sh [RUNS (default 5)] [WORKERS (default 1; 0: all on one thread, no worker)]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS=${1:-5}
WORKERS=${2:-1}
PY=${PYTHON:-/usr/bin/python3}
"$PY" -c 'import PIL, numpy, torch' 2>/dev/null \
  || { echo "data_vs_pil: $PY lacks PIL, numpy or torch (apt-get install python3-pil python3-numpy python3-torch)" >&2; exit 2; }
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
"$ROOT/bin/dw" version >/dev/null          # builds once, outside the timings
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $RUNS runs alternating, $WORKERS worker(s)"
for i in $(seq "$RUNS"); do
  DW_THREADS=1 DW_NO_BUILD=1 "$ROOT/bin/dw" bench data --workers "$WORKERS" --dir "$DIR/jpegs" 2>/dev/null \
    > "$DIR/java.$i.json"
  "$PY" "$ROOT/benchmarks/peers/pil_data_peer.py" --dir "$DIR/jpegs" --workers "$WORKERS" > "$DIR/pil.$i.json"
  echo "run $i: dw-java $(grep -o '"images_per_s" : [0-9.]*' "$DIR/java.$i.json" | cut -d' ' -f3) img/s," \
       "PIL $(grep -o '"images_per_s": [0-9.]*' "$DIR/pil.$i.json" | cut -d' ' -f2) img/s"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" - "$DIR" "$RUNS" "$WORKERS" <<'EOF'
import json, statistics, sys
d, runs, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
side = {k: [json.load(open(f"{d}/{k}.{i}.json")) for i in range(1, runs + 1)] for k in ("java", "pil")}
print(f"pipeline: {side['java'][0]['pipeline']}; JPEG decoder: {side['java'][0]['jpeg_decoder']}; peer: {side['pil'][0]['peer']}")
for key, what in (("images_per_s", "images/s (wall)"), ("images_per_cpu_s", "images per CPU-second")):
    j = [r[key] for r in side["java"]]
    p = [r[key] for r in side["pil"]]
    mj, mp = statistics.median(j), statistics.median(p)
    print(f"{what}: dw-java median {mj:.1f} (range {min(j):.1f}-{max(j):.1f}), "
          f"PIL median {mp:.1f} (range {min(p):.1f}-{max(p):.1f}); ratio {mj / mp:.2f}")
    if key == "images_per_s":
        cores = max(workers, 1)  # workers 0: everything on the one consumer thread
        print(f"  per core ({workers} worker(s), 1 intra-op thread each side): dw-java {mj / cores:.1f}, "
              f"PIL {mp / cores:.1f} images/s; ratio {mj / mp:.2f} (goal >= 1.5)")
EOF
