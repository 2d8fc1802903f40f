#!/usr/bin/env bash
# Extracts etcd (etcd-server) and Prometheus + promtool (prometheus) from Debian packages into
# $ATTUNE_CACHE/etcd-<ver>/ and $ATTUNE_CACHE/prometheus-<ver>/ without installing them: the packages'
# postinst scripts would add users and start daemons, which we do not want.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

extract() { # extract PACKAGE VERSION DIR BINARY...
  local pkg=$1 ver=$2 dir=$3; shift 3
  local ok=1
  for b in "$@"; do [ -x "$dir/usr/bin/$b" ] || ok=0; done
  if [ $ok = 1 ]; then log "$pkg $ver cached in $dir"; return; fi
  command -v apt-get >/dev/null || die "apt-get not found: $pkg must come from Debian's package archive"
  local work log
  work=$(mktemp -d); log=$ATTUNE_CACHE/$pkg-download.log
  mkdir -p "$ATTUNE_CACHE"
  if ! (cd "$work" && apt-get download "$pkg=$ver") >"$log" 2>&1; then
    # A fresh machine has no package lists yet.
    apt-get update >>"$log" 2>&1 || die "apt-get update failed (package archive unreachable?)" "$log"
    (cd "$work" && apt-get download "$pkg=$ver") >>"$log" 2>&1 \
      || die "apt-get download $pkg=$ver failed" "$log"
  fi
  rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
  dpkg-deb -x "$work"/"$pkg"_*.deb "$dir.tmp" >>"$log" 2>&1 || die "dpkg-deb -x $pkg failed" "$log"
  rm -rf "$dir"; mv "$dir.tmp" "$dir"; rm -rf "$work"
  log "extracted $pkg $ver into $dir"
}

extract etcd-server "$ETCD_DEB_VERSION" "$ATTUNE_CACHE/etcd-${ETCD_DEB_VERSION%%-*}" etcd
extract prometheus "$PROMETHEUS_DEB_VERSION" "$ATTUNE_CACHE/prometheus-${PROMETHEUS_DEB_VERSION%%+*}" prometheus promtool
