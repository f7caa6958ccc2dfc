#!/usr/bin/env bash
# dist_test.sh CONFIG CHECKPOINT GPUS [--eval bbox] [--out results.bbox.json] [other dw test options]
# The original DW repository's launcher shape. Sharded multi-process inference is not implemented yet, so any GPU count
# runs one process (the AP is the same).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -lt 3 ]]; then
  echo "usage: tools/dist_test.sh CONFIG CHECKPOINT GPUS [--eval bbox] [dw test options]" >&2; exit 2
fi
CONFIG="$1"; CHECKPOINT="$2"; GPUS="$3"; shift 3
if [[ "$GPUS" != "1" ]]; then
  echo "dist_test.sh: distributed inference is not available yet; running 1 process instead of $GPUS" >&2
fi
exec "$ROOT/bin/dw" test --config "$CONFIG" --weights "$CHECKPOINT" "$@"
