#!/usr/bin/env bash
# promtool.sh builds Prometheus's promtool, pinned in scripts/promtool/go.mod,
# into _output/tools/promtool (git-ignored) and prints its path.
#
# It is built once: a second run finds the binary and only prints the path,
# unless the pinned version changed (the version is recorded beside it in
# promtool.version). It is its own module because the prometheus module's
# dependency graph is large and would clash with scripts/tools.
#
# Built with -tags remove_all_sd: promtool's `check rules`, `test rules` and
# `check metrics` need no service discovery, and leaving the ~25 discovery
# plugins (AWS, Azure, GCE, Kubernetes, ...) out roughly halves the build.
#
# Environment:
#   PROMTOOL_OUT   output directory (default: <repo>/_output/tools)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mod="$root/scripts/promtool"
out="${PROMTOOL_OUT:-$root/_output/tools}"
bin="$out/promtool"
stamp="$out/promtool.version"

export GOWORK=off
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly"

version=$(cd "$mod" && go list -m -f '{{.Version}}' github.com/prometheus/prometheus)
if [[ -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$out"
echo "promtool.sh: building promtool $version (first build takes minutes)" >&2
start=$SECONDS
tmp="$(mktemp "$out/.promtool.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
# The Go module v0.3MM.P is Prometheus release 3.MM.P.
release="$version"
if [[ "$version" =~ ^v0\.3([0-9][0-9])\.([0-9]+)$ ]]; then
	release="3.$((10#${BASH_REMATCH[1]})).${BASH_REMATCH[2]}"
fi
(cd "$mod" && go build -trimpath -tags remove_all_sd \
	-ldflags "-X github.com/prometheus/common/version.Version=$release" \
	-o "$tmp" github.com/prometheus/prometheus/cmd/promtool)
mv "$tmp" "$bin"
echo "$version" >"$stamp"
echo "promtool.sh: built in $((SECONDS - start))s" >&2
echo "$bin"
