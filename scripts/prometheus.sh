#!/usr/bin/env bash
# prometheus.sh builds the Prometheus server, pinned in
# scripts/promtool/go.mod (the module of promtool.sh), into
# _output/tools/prometheus (git-ignored) and prints its path. test/cluster
# runs it against the single-node cluster.
#
# It is built once: a second run finds the binary and only prints the path,
# unless the pinned version changed (the version is recorded beside it in
# prometheus.version). It is its own module because the prometheus module's
# dependency graph is large and would clash with scripts/tools.
#
# Built with -tags remove_all_sd,enable_kubernetes_sd: Kubernetes service
# discovery only (what a ServiceMonitor becomes), the ~25 other discovery
# plugins (AWS, Azure, GCE, ...) left out. The web UI's assets are not
# embedded (no npm here): the HTTP API, which the tests read, is complete.
#
# Environment:
#   PROMETHEUS_OUT output directory (default: <repo>/_output/tools)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mod="$root/scripts/promtool"
out="${PROMETHEUS_OUT:-$root/_output/tools}"
bin="$out/prometheus"
stamp="$out/prometheus.version"

export GOWORK=off
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly"

version=$(cd "$mod" && go list -m -f '{{.Version}}' github.com/prometheus/prometheus)
if [[ -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$out"
echo "prometheus.sh: building prometheus $version (first build takes minutes)" >&2
start=$SECONDS
tmp="$(mktemp "$out/.prometheus.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
# The Go module v0.3MM.P is Prometheus release 3.MM.P.
release="$version"
if [[ "$version" =~ ^v0\.3([0-9][0-9])\.([0-9]+)$ ]]; then
	release="3.$((10#${BASH_REMATCH[1]})).${BASH_REMATCH[2]}"
fi
(cd "$mod" && go build -trimpath -tags remove_all_sd,enable_kubernetes_sd \
	-ldflags "-X github.com/prometheus/common/version.Version=$release" \
	-o "$tmp" github.com/prometheus/prometheus/cmd/prometheus)
mv "$tmp" "$bin"
echo "$version" >"$stamp"
echo "prometheus.sh: built in $((SECONDS - start))s" >&2
echo "$bin"
