#!/usr/bin/env bash
# Runs a dw-java bench command and its Python peer alternately, RUNS times each, and prints both medians and the ratio.
#   benchmarks/peers/side_by_side.sh train-step [RUNS]   # R-50, batch 2 at 512x512, vs torchvision FCOS-R50-FPN
#   benchmarks/peers/side_by_side.sh inference  [RUNS]   # R-50 (no refine), batch 1 at 800x1216
#   benchmarks/peers/side_by_side.sh coco-eval  [RUNS]   # the 5,000-image evaluation case, vs pycocotools
# Needs python3 (or $PYTHON) with torch/torchvision (Debian: python3-torchvision) or pycocotools (PYTHONPATH for a local build).
# Optional, never part of the tests. Quote the printed lines with the date and the machine.
set -euo pipefail
PY=${PYTHON:-python3}   # the interpreter that has torch/torchvision or pycocotools
cd "$(dirname "$0")/../.."
what=${1:?train-step, inference or coco-eval}; runs=${2:-5}
cfg=configs/dw_r50_fpn_worefine_1x_coco.yaml
case "$what" in
  train-step) ours=(bin/dw bench train-step --config "$cfg" --batch 2 --size 512x512 --iters 5); key=step_ms_median
              peer=("$PY" benchmarks/peers/torchvision_fcos.py train-step --batch 2 --size 512x512 --iters 5);;
  inference)  ours=(bin/dw bench inference --config "$cfg" --size 800x1216 --iters 5); key=forward_ms_median
              peer=("$PY" benchmarks/peers/torchvision_fcos.py inference --size 800x1216 --iters 5);;
  coco-eval)  case_dir=${CASE_DIR:-/tmp/dw-coco-eval-case}
              if [[ ! -f $case_dir/dt.json ]]; then
                mvn -B -q -pl benchmarks -am package -DskipTests
                java -cp "$(cat benchmarks/target/classpath.txt):benchmarks/target/classes" dev.dwjava.bench.MakeCocoEvalCase "$case_dir" 5000
              fi
              ours=(bin/dw coco-eval --ann "$case_dir/gt.json" --results "$case_dir/dt.json"); key=wall_ms
              peer=("$PY" benchmarks/peers/coco_eval_pycocotools.py "$case_dir/gt.json" "$case_dir/dt.json");;
  *) echo "unknown: $what" >&2; exit 2;;
esac
bin/dw version > /dev/null   # build first, outside the timings
a=(); b=()
for ((i = 0; i < runs; i++)); do
  if [[ $key == wall_ms ]]; then
    t0=$(date +%s%N); "${ours[@]}" > /dev/null; a+=($(( ($(date +%s%N) - t0) / 1000000 )))
    t0=$(date +%s%N); "${peer[@]}" > /dev/null; b+=($(( ($(date +%s%N) - t0) / 1000000 )))
  else
    a+=("$("${ours[@]}" 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)['$key'])")")
    b+=("$("${peer[@]}" 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)['$key'])")")
  fi
done
python3 - "$what" "$key" "${a[*]}" "${b[*]}" <<'PY'
import statistics, sys
what, key, a, b = sys.argv[1], sys.argv[2], [float(x) for x in sys.argv[3].split()], [float(x) for x in sys.argv[4].split()]
ma, mb = statistics.median(a), statistics.median(b)
print(f"{what} ({key}, {len(a)} alternating runs each): dw-java median {ma:.0f} ms (range {min(a):.0f}-{max(a):.0f}), "
      f"peer median {mb:.0f} ms (range {min(b):.0f}-{max(b):.0f}); ratio dw-java/peer {ma / mb:.2f}")
PY
