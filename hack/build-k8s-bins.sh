#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler and kubectl at $K8S_VERSION from
# the Go module proxy into $ATTUNE_CACHE/k8s-$K8S_VERSION/bin, and reuses them on later runs.
#
# k8s.io/kubernetes cannot be `go install`ed: its go.mod requires every staging module at v0.0.0
# and replaces them with ./staging/... . We build through a throw-away wrapper module whose replace
# list is generated from the proxied k8s.io/kubernetes go.mod (k8s v1.Y.Z <-> staging v0.Y.Z), so a
# new patch or minor needs no hand edits. See shared/research/local-cluster.md §1.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OUT=$ATTUNE_CACHE/k8s-$K8S_VERSION
BIN=$OUT/bin
BINS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
STAMP=$BIN/.complete

if [ -f "$STAMP" ]; then
  for b in "${BINS[@]}"; do [ -x "$BIN/$b" ] || rm -f "$STAMP"; done
  [ -f "$STAMP" ] && { log "k8s $K8S_VERSION binaries cached in $BIN"; exit 0; }
fi

command -v go >/dev/null 2>&1 || die "Go toolchain not found on PATH: it is needed once to build the Kubernetes $K8S_VERSION control plane (install Go >= 1.25)"
mkdir -p "$OUT"
LOG=$OUT/build.log
: >"$LOG"
# Any failure not already explained by die() still ends in one line naming the log.
trap 'rc=$?; [ $rc -eq 0 ] || [ "$DIED" = 1 ] || echo "error: building Kubernetes $K8S_VERSION failed (log: $LOG)" >&2' EXIT

export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
STAGING=v0.${K8S_VERSION#v1.}
W=$OUT/wrapper
rm -rf "$W"; mkdir -p "$W"; cd "$W"

log "resolving k8s.io/kubernetes@$K8S_VERSION from the module proxy ($(go env GOPROXY))"
if ! info=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" 2>>"$LOG"); then
  echo "$info" >>"$LOG"
  die "could not fetch k8s.io/kubernetes@$K8S_VERSION from the Go module proxy $(go env GOPROXY) (unreachable or version missing)" "$LOG"
fi
gomod=$(printf '%s' "$info" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
[ -f "$gomod" ] || { echo "$info" >>"$LOG"; die "module proxy answered without a go.mod for k8s.io/kubernetes@$K8S_VERSION" "$LOG"; }

go mod init attune.invalid/k8sbins >>"$LOG" 2>&1
# Mirror k/k's language version and GODEBUG defaults: the main module's go line sets them.
go mod edit -go="$(awk '/^go /{print $2; exit}' "$gomod")"
godebug=$(awk '/^godebug /{print $2; exit}' "$gomod")
[ -n "$godebug" ] && go mod edit -godebug="$godebug"
staging=$(sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/.*#\1#p' "$gomod")
[ -n "$staging" ] || die "found no staging replace lines in $gomod: the k8s.io/kubernetes go.mod layout changed" "$LOG"
missing=""
for m in $staging; do
  go mod download "$m@$STAGING" >>"$LOG" 2>&1 || missing+=" $m"
  go mod edit -replace="$m=$m@$STAGING"
done
[ -z "$missing" ] || die "the module proxy does not serve these staging modules at $STAGING:$missing; pick a K8S_VERSION in hack/versions.env whose staging set is complete" "$LOG"
log "wrapper replaces $(echo "$staging" | wc -w) staging modules with @$STAGING"

log "downloading the module graph"
go get "k8s.io/kubernetes@$K8S_VERSION" >>"$LOG" 2>&1 \
  || die "go get k8s.io/kubernetes@$K8S_VERSION failed (module proxy unreachable?)" "$LOG"
pkgs=()
for b in "${BINS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
# Versioned: a bare `go get pkg` would upgrade k8s.io/kubernetes to the newest release.
go get "${pkgs[@]/%/@$K8S_VERSION}" >>"$LOG" 2>&1 || die "resolving the command packages failed" "$LOG"

minor=$(echo "$K8S_VERSION" | cut -d. -f2)
v=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  v+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  v+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
done

log "compiling ${BINS[*]} (cold build: 15-30 min on 2 cores)"
tmp=$OUT/bin.tmp
rm -rf "$tmp"; mkdir -p "$tmp"
go build -trimpath -ldflags "-s -w$v" -o "$tmp/" "${pkgs[@]}" >>"$LOG" 2>&1 || die "go build failed" "$LOG"
"$tmp/kube-apiserver" --version >>"$LOG" 2>&1 || die "built kube-apiserver does not run" "$LOG"
rm -rf "$BIN"; mv "$tmp" "$BIN"
touch "$STAMP"
log "built $("$BIN/kube-apiserver" --version) into $BIN"
