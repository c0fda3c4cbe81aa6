#!/usr/bin/env bash
# Regenerates manifests/crds from the kubebuilder markers in pkg/apis with a
# pinned controller-gen, then adds the deprecated DiskPool versions.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=$("$root/scripts/tools.sh" controller-gen | tail -n1)
cd "$root"
rm -f manifests/crds/openebs.io_*.yaml
"$tools/controller-gen" crd:crdVersions=v1 paths=./pkg/apis/... output:crd:artifacts:config=manifests/crds
go run ./scripts/crdversions manifests/crds/openebs.io_diskpools.yaml
