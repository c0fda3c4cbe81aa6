# images.mk: container images and cross-compiled binaries. Include it from
# the root Makefile with:
#
#   -include scripts/images.mk
#
# `make images` needs only Go: scripts/build-images.sh packs the static
# binaries into OCI archives (go-containerregistry, no Docker engine).
# `make cross-build` builds the binaries for every platform; test/build runs
# the same build in `make test`.

GO              ?= go
IMAGE_REGISTRY  ?= ghcr.io/diskpool
IMAGE_TAG       ?= dev
CROSS_PLATFORMS ?= linux/amd64 linux/arm64
CROSS_OUT       ?= _output/bin

.PHONY: images
images: ## Build the operator, agent and pause images as OCI archives into _output/images (IMAGE_REGISTRY, IMAGE_TAG)
	IMAGE_REGISTRY=$(IMAGE_REGISTRY) IMAGE_TAG=$(IMAGE_TAG) scripts/build-images.sh

.PHONY: cross-build
cross-build: ## Build static binaries (CGO_ENABLED=0) for linux/amd64 and linux/arm64 into _output/bin/<os>_<arch>/
	@set -e; for p in $(CROSS_PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; out=$(CROSS_OUT)/$${os}_$${arch}; \
	  echo "cross-build: $$p -> $$out/"; mkdir -p $$out; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "-s -w" -o $$out/ ./cmd/... ; \
	done
