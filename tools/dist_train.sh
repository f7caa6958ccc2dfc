#!/usr/bin/env bash
# dist_train.sh CONFIG GPUS [--work-dir DIR] [other dw train options]
# The original DW repository's launcher shape: GPUS processes of `dw train` on this node (Gloo on CPU; NCCL, one GPU
# per process, with runtime.device: cuda and the GPU build, DW_MAVEN_ARGS=-Pgpu), data-parallel
# with gradients averaged over all processes; the total batch is GPUS × data.images_per_process (times NNODES).
# Multi-node: run it on every node with NNODES, NODE_RANK and MASTER_ADDR (node 0's address) and MASTER_PORT set.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -lt 2 ]]; then
  echo "usage: tools/dist_train.sh CONFIG GPUS [--work-dir DIR] [dw train options]" >&2; exit 2
fi
CONFIG="$1"; GPUS="$2"; shift 2
exec "$ROOT/tools/.dist_launch" "$GPUS" train --config "$CONFIG" "$@"
