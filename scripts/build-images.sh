#!/usr/bin/env bash
# build-images.sh builds the operator and agent images, and the pause image
# of the single-node cluster (pkg/nodecluster), as OCI archives without a
# Docker engine: static binaries (CGO_ENABLED=0) packed by scripts/images
# (go-containerregistry). Same commit, same digests: timestamps come from
# SOURCE_DATE_EPOCH, by default the commit time.
#
# Environment:
#   IMAGES_OUT      output directory (default: <repo>/_output/images)
#   IMAGE_REGISTRY  image name prefix (default: ghcr.io/diskpool)
#   IMAGE_TAG       image tag (default: dev)
#   GIT_COMMIT      recorded as org.opencontainers.image.revision
#   PAUSE_IMAGE     name of the pause image (default: localhost/diskpool/pause:3.10)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="${IMAGES_OUT:-${root}/_output/images}"
registry="${IMAGE_REGISTRY:-ghcr.io/diskpool}"
tag="${IMAGE_TAG:-dev}"
commit="${GIT_COMMIT:-$(git -C "${root}" rev-parse --short HEAD 2>/dev/null || true)}"
pause_image="${PAUSE_IMAGE:-localhost/diskpool/pause:3.10}"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "${root}" log -1 --format=%ct 2>/dev/null || echo 0)}"
export CGO_ENABLED=0 GOOS=linux GOARCH="${GOARCH:-amd64}"

mkdir -p "${out}/bin"
tool="${root}/_output/tools/images"
(cd "${root}/scripts/images" && GOWORK=off GOOS= GOARCH= go build -trimpath -o "${tool}" . &&
	GOWORK=off go build -trimpath -buildvcs=false -ldflags "-s -w" -o "${out}/bin/pause" ./pause)

app=github.com/diskpool/diskpool-operator/cmd/diskpool-operator/app
(cd "${root}" && go build -trimpath -buildvcs=false \
	-ldflags "-s -w -X ${app}.version=${tag} -X ${app}.gitCommit=${commit}" \
	-o "${out}/bin/" ./cmd/diskpool-operator ./cmd/diskpool-agent)

labels=(
	-label "org.opencontainers.image.source=https://github.com/diskpool/diskpool-operator"
	-label "org.opencontainers.image.version=${tag}"
	-label "org.opencontainers.image.revision=${commit}"
	-label "org.opencontainers.image.created=$(date -u -d "@${SOURCE_DATE_EPOCH}" +%Y-%m-%dT%H:%M:%SZ)"
)
image() { # name binary title description [expose...]
	local name="$1" bin="$2" title="$3" desc="$4"
	shift 4
	local ports=()
	for p in "$@"; do ports+=(-expose "${p}"); done
	"${tool}" -name "${name}" -out "${out}/${bin}.tar" -arch "${GOARCH}" \
		-file "/${bin}=${out}/bin/${bin}" -entrypoint "/${bin}" \
		-label "org.opencontainers.image.title=${title}" \
		-label "org.opencontainers.image.description=${desc}" \
		"${labels[@]}" "${ports[@]}"
}
image "${registry}/diskpool-operator:${tag}" diskpool-operator diskpool-operator \
	"DiskPool operator (openebs.io/v1beta3)" 8080/tcp 8081/tcp
image "${registry}/diskpool-agent:${tag}" diskpool-agent diskpool-agent \
	"DiskPool node agent" 10124/tcp 10125/tcp
image "${pause_image}" pause pause "Pod sandbox of the single-node test cluster"
