#!/usr/bin/env bash
# dist_train.sh CONFIG GPUS [--work-dir DIR] [other dw train options]
# The original DW repository's launcher shape. Multi-process training (c10d) is not implemented yet, so any GPU count
# runs one process that trains with the whole configured batch; the learning rate follows the config's batch rule.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -lt 2 ]]; then
  echo "usage: tools/dist_train.sh CONFIG GPUS [--work-dir DIR] [dw train options]" >&2; exit 2
fi
CONFIG="$1"; GPUS="$2"; shift 2
if [[ "$GPUS" != "1" ]]; then
  echo "dist_train.sh: distributed training is not available yet; running 1 process instead of $GPUS" >&2
fi
exec "$ROOT/bin/dw" train --config "$CONFIG" "$@"
