#!/usr/bin/env bash
# Builds the device kernels into one fatbin: SASS for sm_80 (A100) and sm_90 (H100), plus compute_90 PTX that newer
# GPUs JIT-compile. Without nvcc the build goes on (the jar then carries no fatbin and the libtorch paths are used).
# Usage: build-fatbin.sh SOURCE.cu OUT.fatbin [CUDA_HOME]
set -euo pipefail
src=$1 out=$2 cuda_home=${3:-/usr/local/cuda-13.0}
nvcc=""
if [[ -x "$cuda_home/bin/nvcc" ]]; then nvcc="$cuda_home/bin/nvcc"; elif command -v nvcc >/dev/null; then nvcc=$(command -v nvcc); fi
if [[ -z "$nvcc" ]]; then
  echo "[dw-kernels] nvcc not found (looked in $cuda_home/bin and PATH): building without the CUDA fatbin; the libtorch implementations will be used on GPUs."
  exit 0
fi
mkdir -p "$(dirname "$out")"
if [[ -f "$out" && "$out" -nt "$src" && "$out" -nt "$0" && -z "$(find "$(dirname "$src")" -newer "$out" \( -name '*.cu*' -o -name '*.h' -o -name '*.hpp' \) -print -quit)" ]]; then
  exit 0  # up to date
fi
# -fmad=false: no multiply-add contraction, so every product and sum is rounded as on the CPU and the IoU values (and
# with them the thresholds IoU >= 0.5, the P_neg branch and the NMS test) are the CPU path's bit for bit.
"$nvcc" -fatbin -O3 -std=c++17 -fmad=false \
  -gencode arch=compute_80,code=sm_80 \
  -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_90,code=compute_90 \
  -o "$out.tmp" "$src"
mv "$out.tmp" "$out"
echo "[dw-kernels] built $(basename "$out") with $("$nvcc" --version | tail -1)"
