# Shared helpers for hack/*.sh. Source it; it sets strict mode.
set -euo pipefail
HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$HACK_DIR/versions.env"
ATTUNE_CACHE=${ATTUNE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/attune}

# die MESSAGE [LOGFILE]: one line naming the cause (and the log), then exit 1.
DIED=0
die() {
  DIED=1
  if [ $# -ge 2 ]; then echo "error: $1 (log: $2)" >&2; else echo "error: $1" >&2; fi
  exit 1
}
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
