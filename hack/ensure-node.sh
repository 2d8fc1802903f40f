#!/usr/bin/env bash
# Makes a Node >= 24 available at .tools/node/bin/node and prints that directory.
# The machines ship Node 20; @kubernetes/client-node 2.x, vitest 5 and commander 15 need Node >= 22,
# and we standardise on Node 24 LTS. When the system node is older, Node $NODE_VERSION is installed
# from the npm registry's `node` package (a registry package carrying the official binary) into the
# project-local .tools/ folder; otherwise the system node is linked there. Every make target puts
# .tools/node/bin first on PATH.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT=$(cd "$HACK_DIR/.." && pwd)
TOOLS=$ROOT/.tools/node
BIN=$TOOLS/bin

if [ -x "$BIN/node" ] && "$BIN/node" -e 'process.exit(+process.versions.node.split(".")[0] >= 24 ? 0 : 1)' 2>/dev/null; then
  echo "$BIN"; exit 0
fi
rm -rf "$TOOLS"; mkdir -p "$BIN"

sys_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$sys_major" -ge 24 ]; then
  ln -sf "$(command -v node)" "$BIN/node"
  log "using the system node $(node --version)"
else
  command -v npm >/dev/null || die "npm not found: it is needed once to install Node $NODE_VERSION from the npm registry"
  log "system node is $(node --version 2>/dev/null || echo absent); installing Node $NODE_VERSION from the npm registry into $TOOLS"
  LOG=$ROOT/.tools/node-install.log
  npm install --no-audit --no-fund --no-save --prefix "$TOOLS/pkg" "node@$NODE_VERSION" >"$LOG" 2>&1 \
    || die "npm install node@$NODE_VERSION failed (npm registry unreachable?)" "$LOG"
  real=$(find "$TOOLS/pkg/node_modules" -path '*/bin/node' -type f -perm -u+x | head -1)
  [ -n "$real" ] || die "the node@$NODE_VERSION package carried no node binary" "$LOG"
  ln -sf "$real" "$BIN/node"
  # npm and npx are JavaScript: run them with the new node.
  for t in npm npx; do
    if p=$(command -v $t); then
      printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$BIN/node" "$(readlink -f "$p")" >"$BIN/$t"; chmod +x "$BIN/$t"
    fi
  done
fi
"$BIN/node" -e 'process.exit(+process.versions.node.split(".")[0] >= 24 ? 0 : 1)' \
  || die "$BIN/node is not Node >= 24"
echo "$BIN"
