#!/usr/bin/env bash
# gofmt, go vet and the pinned golangci-lint (scripts/tools/go.mod).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
unformatted=$(git ls-files -co --exclude-standard -- '*.go' | xargs -r gofmt -l)
if [ -n "$unformatted" ]; then
  echo "gofmt wants changes in:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
tools=$("$root/scripts/tools.sh" golangci-lint | tail -n1)
"$tools/golangci-lint" run ./...
