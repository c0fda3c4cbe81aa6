# images.mk: container images and cross-compiled binaries. Include it from
# the root Makefile with:
#
#   -include scripts/images.mk
#
# `make images` needs a Docker engine (or DOCKER=podman); `make cross-build`
# needs only Go, and test/build runs the same build in `make test`.

IMAGES_DIR      := $(dir $(lastword $(MAKEFILE_LIST)))
GO              ?= go
DOCKER          ?= docker
IMAGE_REGISTRY  ?= ghcr.io/diskpool
IMAGE_TAG       ?= dev
GIT_COMMIT      ?= $(shell git rev-parse --short HEAD 2>/dev/null)
# Binaries the images ship; each has cmd/<name>/Dockerfile.
IMAGE_BINARIES  := diskpool-operator diskpool-agent
CROSS_PLATFORMS ?= linux/amd64 linux/arm64
CROSS_OUT       ?= _output/bin

.PHONY: images
images: ## Build the operator and agent images (needs a Docker engine; IMAGE_REGISTRY, IMAGE_TAG)
	@command -v $(DOCKER) >/dev/null 2>&1 || { \
	  echo "images: '$(DOCKER)' is not installed. Building images needs a Docker engine" >&2; \
	  echo "        (or DOCKER=podman). 'make cross-build' checks the binaries build without one." >&2; \
	  exit 1; }
	@$(DOCKER) info >/dev/null 2>&1 || { \
	  echo "images: '$(DOCKER)' cannot reach a Docker engine (is the daemon running?)." >&2; \
	  echo "        'make cross-build' checks the binaries build without one." >&2; \
	  exit 1; }
	@set -e; for b in $(IMAGE_BINARIES); do \
	  echo "images: $(IMAGE_REGISTRY)/$$b:$(IMAGE_TAG)"; \
	  $(DOCKER) build -f cmd/$$b/Dockerfile \
	    --build-arg VERSION=$(IMAGE_TAG) --build-arg GIT_COMMIT=$(GIT_COMMIT) \
	    -t $(IMAGE_REGISTRY)/$$b:$(IMAGE_TAG) . ; \
	done

.PHONY: cross-build
cross-build: ## Build static binaries (CGO_ENABLED=0) for linux/amd64 and linux/arm64 into _output/bin/<os>_<arch>/
	@set -e; for p in $(CROSS_PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; out=$(CROSS_OUT)/$${os}_$${arch}; \
	  echo "cross-build: $$p -> $$out/"; mkdir -p $$out; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "-s -w" -o $$out/ ./cmd/... ; \
	done
