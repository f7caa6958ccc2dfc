#!/usr/bin/env bash
# The one prepared GPU check of dw-kernels (docs/gpu.md, "The GPU check"). Run from anywhere on a GPU machine with the
# NVIDIA driver, CUDA (nvcc; compute-sanitizer for the sanitizer checks) and Python with PyTorch and torchvision; no
# JDK needed. It finishes within 8 minutes (each step has a timeout and steps are skipped once the budget is spent):
#
#   build       the harness with nvcc (SASS for this GPU's architecture, -fmad=false as the fatbin)
#   limits      each kernel's most threads per block, as the driver reports it
#   contract    the committed contract cases at blocks 32, 256 and each kernel's maximum
#   verify      COCO-scale cases against the harness's sequential CPU reference on identical inputs: the DW weighting at
#               P = 18,134, G = 50 and 300, batch 2 and 16; NMS at 5k, 30k and 100k boxes, 80 classes and 1
#   time        kernels (CUDA events, warm-up, medians) against the PyTorch path and torchvision's nms / batched_nms /
#               box_iou at the same sizes, as ratios against the goals (fused DW weighting >= 5x the libtorch path;
#               NMS >= 1x torchvision); a ratio below its goal is reported as MISS and does not fail the run
#   sanitizer   compute-sanitizer memcheck, racecheck and synccheck on the contract run
#
# --host runs what needs no GPU, as CI does: the harness built with g++ (the kernels under the CPU grid emulator), the
# contract cases at the three block sizes and the verify cases at small sizes; timings and sanitizers are skipped.
# Without g++ (host) or nvcc (GPU) it says so and exits 0. One summary line per check; exit 1 if any check failed.
#
# Usage: dw-kernels/harness/gpu_check.sh [--host] [--out DIR]
#   DW_GPU_CHECK_BUDGET_S  the time budget in seconds (default 470)
set -uo pipefail
harness=$(cd "$(dirname "$0")" && pwd)
cases=$(cd "$harness/../src/test/resources/dev/dwjava/kernels/contract" && pwd)
mode=gpu out=""
while (($#)); do
  case $1 in
    --host) mode=host ;;
    --out) out=$2; shift ;;
    *) echo "usage: gpu_check.sh [--host] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done
out=${out:-$(mktemp -d "${TMPDIR:-/tmp}/dw-gpu-check.XXXXXX")}
mkdir -p "$out"
budget=${DW_GPU_CHECK_BUDGET_S:-470}
start=$SECONDS
failed=0
summary=()

note() { summary+=("$(printf '%-4s %-30s %s' "$1" "$2" "$3")"); [[ $1 == FAIL ]] && failed=1; }
left() { echo $((budget - (SECONDS - start))); }
# step NAME TIMEOUT_S CMD...: runs CMD with its output in $out/NAME.log; returns its status (124: timed out, 125: no
# time left).
step() {
  local name=$1 limit=$2
  shift 2
  local remaining
  remaining=$(left)
  if ((remaining < 5)); then
    note SKIP "$name" "no time left in the ${budget}s budget"
    return 125
  fi
  ((limit > remaining)) && limit=$remaining
  echo "== $name: $*" >&2
  timeout "$limit" "$@" > "$out/$name.log" 2>&1
  local rc=$?
  ((rc == 124)) && echo "   (timed out after ${limit}s)" >> "$out/$name.log"
  return $rc
}
# The last line of a step's log matching a pattern, or else its last line.
last() {
  local line
  line=$(grep -E "$2" "$out/$1.log" | tail -1)
  [[ -n $line ]] || line=$(tail -1 "$out/$1.log")
  echo "$line"
}
finish() {
  echo
  echo "dw-kernels GPU check ($mode), $((SECONDS - start)) s, logs in $out"
  printf '%s\n' "${summary[@]}"
  exit $failed
}

if [[ $mode == host ]]; then
  if ! command -v g++ >/dev/null || ! command -v make >/dev/null; then
    note SKIP "host build" "no g++ or make on PATH"
    finish
  fi
  bin="$harness/dw_kernel_harness_host"
  if step build 240 make -s -C "$harness" host; then note PASS build "g++ host build (kernels under the grid emulator)"
  else note FAIL build "$(tail -1 "$out/build.log")"; finish; fi
else
  cuda_home=${CUDA_HOME:-$(for d in /usr/local/cuda-13.0 /usr/local/cuda; do [[ -x $d/bin/nvcc ]] && echo "$d" && break; done)}
  nvcc=${NVCC:-$( [[ -n $cuda_home && -x $cuda_home/bin/nvcc ]] && echo "$cuda_home/bin/nvcc" || command -v nvcc)}
  if [[ -z $nvcc ]]; then
    note SKIP "cuda build" "no nvcc (CUDA_HOME, /usr/local/cuda-13.0, /usr/local/cuda, PATH); nothing run"
    finish
  fi
  cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')
  gencode=${GENCODE:-$([[ -n $cap ]] && echo "-gencode arch=compute_$cap,code=sm_$cap")}
  bin="$harness/dw_kernel_harness"
  if step build 300 make -s -B -C "$harness" cuda NVCC="$nvcc" ${gencode:+GENCODE="$gencode"}; then
    note PASS build "nvcc ${gencode:-default gencodes} ($("$nvcc" --version | tail -1))"
  else note FAIL build "$(tail -1 "$out/build.log")"; finish; fi
fi

if step limits 30 "$bin" limits; then note PASS limits "$(last limits 'limits:' | grep -oE 'dw_gt_weights_f(32|64)=[0-9]+' | tr '\n' ' ')(all in $out/limits.log)"
else note FAIL limits "$(tail -1 "$out/limits.log")"; fi

for block in 32 256 max; do
  if step "contract-$block" 120 "$bin" check "$cases" --block "$block"; then note PASS "contract block $block" "$(last "contract-$block" '^check:')"
  else note FAIL "contract block $block" "$(last "contract-$block" '^check:|FAIL|error|timed out')"; fi
done

scale=$([[ $mode == host ]] && echo small || echo coco)
if step verify 180 "$bin" verify --scale "$scale"; then note PASS "verify ($scale) vs CPU" "$(last verify '^verify:')"
else note FAIL "verify ($scale) vs CPU" "$(last verify '^verify:|FAIL|error|timed out')"; fi

if [[ $mode == host ]]; then
  note SKIP "time vs PyTorch" "needs a GPU"
  note SKIP "compute-sanitizer" "needs a GPU"
  finish
fi

# Timings: the same keys from both sides, joined by Python.
dw_cases=50:2,300:2,50:16,300:16 nms_sizes=5000,30000,100000
kernels_ok=0 torch_ok=0
step time-kernels 120 "$bin" bench --scale full --dw-cases "$dw_cases" --nms-sizes "$nms_sizes" --csv "$out/kernels.csv" && kernels_ok=1
python=${PYTHON:-python3}
step time-torch 150 "$python" "$harness/bench_torch.py" --device cuda --scale full --dw-cases "$dw_cases" \
  --nms-sizes "$nms_sizes" --csv "$out/torch.csv" && torch_ok=1
if ((kernels_ok && torch_ok)); then
  while IFS= read -r line; do summary+=("$line"); done < <("$python" - "$out/kernels.csv" "$out/torch.csv" <<'EOF'
import sys
def read(path):
    rows = {}
    for line in open(path):
        key, med, lo, hi = line.strip().rsplit(",", 3)
        rows[key] = float(med)
    return rows
kernels, torch = read(sys.argv[1]), read(sys.argv[2])
goals = {"dw": (5.0, "libtorch path"), "nms": (1.0, "torchvision"), "iou": (None, "torchvision box_iou")}
for key, k in kernels.items():
    if key not in torch:
        continue
    t = torch[key]
    goal, other = goals[key.split()[0]]
    ratio = t / k if k > 0 else float("inf")
    verdict = "INFO" if goal is None else ("PASS" if ratio >= goal else "MISS")
    target = "" if goal is None else f" (goal >= {goal:g}x)"
    print(f"{verdict:<4} {'time ' + key:<30} kernels {k:.3f} ms, {other} {t:.3f} ms: {ratio:.2f}x{target}")
EOF
)
else
  note FAIL "time vs PyTorch" "$( ((kernels_ok)) || echo "harness bench failed ($out/time-kernels.log)")$( ((torch_ok)) || echo " bench_torch.py failed ($out/time-torch.log)")"
fi

sanitizer=${COMPUTE_SANITIZER:-$(for s in "${cuda_home:-/usr/local/cuda}/bin/compute-sanitizer" \
  "${cuda_home:-/usr/local/cuda}/compute-sanitizer/compute-sanitizer"; do [[ -x $s ]] && echo "$s" && break; done)}
sanitizer=${sanitizer:-$(command -v compute-sanitizer)}
for tool in memcheck racecheck synccheck; do
  if [[ -z $sanitizer ]]; then note SKIP "sanitizer $tool" "no compute-sanitizer"; continue; fi
  if step "sanitizer-$tool" 150 "$sanitizer" --tool "$tool" --error-exitcode 3 "$bin" check "$cases"; then
    note PASS "sanitizer $tool" "$(last "sanitizer-$tool" 'ERROR SUMMARY|RACECHECK SUMMARY|^check:' )"
  else
    note FAIL "sanitizer $tool" "$(last "sanitizer-$tool" 'ERROR SUMMARY|RACECHECK SUMMARY|Invalid|hazard|timed out|^check:')"
  fi
done
finish
