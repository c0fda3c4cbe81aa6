#!/usr/bin/env bash
# Fails when generated code or CRDs are stale (regenerates everything in a
# temporary copy of the working tree and diffs it against the original), or
# when a module's go.mod is not tidy.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$root"
# Tracked and untracked-but-not-ignored files: what a commit would hold.
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | xargs -0 cp --parents -t "$tmp"
# Reuse built generators; they are keyed by scripts/tools/go.mod anyway.
if [ -d "$root/_output/tools" ]; then
  mkdir -p "$tmp/_output" && cp -r "$root/_output/tools" "$tmp/_output/"
fi

(cd "$tmp" && make --no-print-directory generate >/dev/null)

status=0
for dir in generated pkg/apis manifests/crds; do
  if ! diff -r -N "$root/$dir" "$tmp/$dir" >"$tmp/diff.txt" 2>&1; then
    echo "verify: $dir is stale; run 'make generate' and commit the result:" >&2
    head -50 "$tmp/diff.txt" >&2
    status=1
  fi
done
# Each module's go.mod and go.sum hold exactly what its code needs (the
# product's no tool or preview dependency: those live in modules of their own).
for mod in . test/dashpreview; do
  if ! (cd "$root/$mod" && go mod tidy -diff >"$tmp/tidy.txt" 2>&1); then
    echo "verify: $mod/go.mod is not tidy; run 'go mod tidy' there:" >&2
    head -30 "$tmp/tidy.txt" >&2
    status=1
  fi
done
[ $status -eq 0 ] && echo "verify: generated code, CRDs and go.mod files are up to date"
exit $status
