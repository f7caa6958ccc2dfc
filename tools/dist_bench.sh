#!/usr/bin/env bash
# dist_bench.sh NPROC [dw bench allreduce options]
# Gradient all-reduce throughput of data-parallel training over NPROC local processes: the bucketed synchronisation
# that training uses against one flat all-reduce of the same R-50-sized gradients (about 32 M floats). Rank 0 prints JSON.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -lt 1 ]]; then
  echo "usage: tools/dist_bench.sh NPROC [--bucket-mb 25] [--iters 5] [--device cpu|cuda]" >&2; exit 2
fi
NPROC="$1"; shift
exec "$ROOT/tools/.dist_launch" "$NPROC" bench allreduce "$@"
