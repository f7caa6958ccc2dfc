#!/usr/bin/env bash
# dist_test.sh CONFIG CHECKPOINT GPUS [--eval bbox] [--out results.bbox.json] [other dw test options]
# The original DW repository's launcher shape: inference sharded over GPUS processes, results gathered on rank 0 and
# evaluated once (the same AP as one process).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -lt 3 ]]; then
  echo "usage: tools/dist_test.sh CONFIG CHECKPOINT GPUS [--eval bbox] [dw test options]" >&2; exit 2
fi
CONFIG="$1"; CHECKPOINT="$2"; GPUS="$3"; shift 3
exec "$ROOT/tools/.dist_launch" "$GPUS" test --config "$CONFIG" --weights "$CHECKPOINT" "$@"
