#!/usr/bin/env bash
# Regenerates deepcopy, register, clientset, listers and informers for
# pkg/apis with k8s.io/code-generator's kube_codegen.sh, pinned by
# scripts/tools/go.mod. Generators are installed into _output/tools
# (git-ignored), never into the user's GOPATH.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
module=github.com/diskpool/diskpool-operator
codegen_root=$(cd "$root/scripts/tools" && go list -m -f '{{.Dir}}' k8s.io/code-generator)
export GOBIN="$root/_output/tools"
mkdir -p "$GOBIN"

# shellcheck source=/dev/null
source "$codegen_root/kube_codegen.sh"

cd "$root"
boilerplate="$root/scripts/boilerplate.go.txt"

kube::codegen::gen_helpers \
  --boilerplate "$boilerplate" \
  "$root/pkg/apis"

kube::codegen::gen_register \
  --boilerplate "$boilerplate" \
  "$root/pkg/apis"

kube::codegen::gen_client \
  --with-watch \
  --output-dir "$root/generated" \
  --output-pkg "$module/generated" \
  --boilerplate "$boilerplate" \
  "$root/pkg/apis"
