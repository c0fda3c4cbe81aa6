#!/usr/bin/env bash
# prometheus-build.sh NAME TAGS builds Prometheus's cmd/NAME, pinned in
# scripts/promtool/go.mod, with build tags TAGS into _output/tools/NAME
# (git-ignored) and prints its path. promtool.sh and prometheus.sh call it.
#
# It is built once: a second run finds the binary and only prints the path,
# unless the pinned version changed (the version is recorded beside it in
# NAME.version). scripts/promtool is its own module because the prometheus
# module's dependency graph is large and would clash with scripts/tools.
#
# Environment:
#   TOOLS_OUT   output directory (default: <repo>/_output/tools)
set -euo pipefail

name="$1"
tags="$2"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mod="$root/scripts/promtool"
out="${TOOLS_OUT:-$root/_output/tools}"
bin="$out/$name"
stamp="$out/$name.version"

export GOWORK=off
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly"

version=$(cd "$mod" && go list -m -f '{{.Version}}' github.com/prometheus/prometheus)
if [[ -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$out"
echo "$name: building $version (first build takes minutes)" >&2
start=$SECONDS
tmp="$(mktemp "$out/.$name.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
# The Go module v0.3MM.P is Prometheus release 3.MM.P.
release="$version"
if [[ "$version" =~ ^v0\.3([0-9][0-9])\.([0-9]+)$ ]]; then
	release="3.$((10#${BASH_REMATCH[1]})).${BASH_REMATCH[2]}"
fi
(cd "$mod" && go build -trimpath -tags "$tags" \
	-ldflags "-X github.com/prometheus/common/version.Version=$release" \
	-o "$tmp" "github.com/prometheus/prometheus/cmd/$name")
mv "$tmp" "$bin"
echo "$version" >"$stamp"
echo "$name: built in $((SECONDS - start))s" >&2
echo "$bin"
