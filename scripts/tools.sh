#!/usr/bin/env bash
# Builds the pinned code generators and linters from scripts/tools/go.mod into
# _output/tools (git-ignored) and prints that directory. Rebuilds are cheap:
# go build reuses its cache.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/_output/tools"
mkdir -p "$out"
cd "$root/scripts/tools"
# "$@" selects tools by command name; default is all of them.
want=("$@")
for pkg in $(go list -f '{{.ImportPath}}' tool); do
  name=${pkg##*/}
  [ "$name" = v2 ] && name=golangci-lint
  if [ ${#want[@]} -gt 0 ] && [[ ! " ${want[*]} " == *" $name "* ]]; then continue; fi
  go build -o "$out/$name" "$pkg"
done
echo "$out"
