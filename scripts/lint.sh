#!/usr/bin/env bash
# gofmt, go vet and the pinned golangci-lint (scripts/tools/go.mod), over the
# product module and test/dashpreview.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
unformatted=$(git ls-files -co --exclude-standard -- '*.go' | xargs -r gofmt -l)
if [ -n "$unformatted" ]; then
  echo "gofmt wants changes in:" >&2
  echo "$unformatted" >&2
  exit 1
fi
tools=$("$root/scripts/tools.sh" golangci-lint | tail -n1)
# The product module, then every other module whose code ships with the
# repository (test/dashpreview keeps golang.org/x/image out of the product).
for mod in . test/dashpreview; do
  (cd "$root/$mod" && go vet ./... && "$tools/golangci-lint" run ./...)
done
# The fault hook's real half is built only with its tag.
go vet -tags faultinject ./pkg/faultinject/
"$tools/golangci-lint" run --build-tags faultinject ./pkg/faultinject/
