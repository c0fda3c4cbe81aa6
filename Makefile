# diskpool-operator. `make run` and `make test` are all a fresh machine with
# Go needs: every other tool is built from the Go module proxy on demand.
SHELL := /usr/bin/env bash
GO ?= go
# FUZZTIME bounds each fuzz target in `make test` (CI) and `make fuzz`.
FUZZTIME ?= 10s

.DEFAULT_GOAL := help

.PHONY: help
help: ## List targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-14s %s\n", $$1, $$2}'

.PHONY: build
build: ## Build the operator and agent into bin/
	$(GO) build -o bin/ ./cmd/...

.PHONY: generate
generate: ## Regenerate proto code, clients, deepcopy and CRDs
	scripts/generate-proto.sh
	scripts/generate-clients.sh
	scripts/generate-crds.sh

.PHONY: verify
verify: ## Fail when generated code, CRDs or a go.mod are stale
	scripts/verify-generated.sh

.PHONY: lint
lint: ## gofmt, go vet and golangci-lint (pinned)
	scripts/lint.sh

.PHONY: test
# test/cluster needs root and the node prerequisites: when
# scripts/install-node-prereqs.sh has them (or installs them), a missing one
# is a failure; when it cannot, it says why and test/cluster skips.
test: controlplane ## Unit, integration, e2e and single-node cluster tests, a short soak (fixed seed + one random, 20 s each; builds the control plane once), then bounded fuzzing
	DISKPOOL_REQUIRE_NODECLUSTER=$$(scripts/install-node-prereqs.sh && echo 1) \
	DISKPOOL_REQUIRE_CONTROLPLANE=1 $(GO) test -race -count=1 -timeout 60m ./...
	$(GO) test -race -count=1 -tags faultinject ./pkg/faultinject/
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 1x ./pkg/agent/ # the benchmarks still run (once each, nothing timed)
	$(GO) -C test/dashpreview test -race -count=1 ./...
	scripts/fuzz.sh $(FUZZTIME)

.PHONY: test-unit
test-unit: ## Unit tests only (no control plane needed)
	$(GO) test -race -count=1 -short ./...
	$(GO) test -race -count=1 -short -tags faultinject ./pkg/faultinject/
	$(GO) -C test/dashpreview test -race -count=1 -short ./...

# SOAK_TIME is the soak's schedule length per seed; SOAK_SEED replays one
# seed (empty: the fixed seed and one random seed, both printed); SOAK_STEPS
# runs exactly that many steps instead of SOAK_TIME (a failure's replay).
SOAK_TIME ?= 5m
SOAK_SEED ?=
SOAK_STEPS ?=
SOAK_TIMEOUT ?= 3h

.PHONY: soak
soak: controlplane ## Randomized fault soak with invariants (test/soak); SOAK_TIME=30m, SOAK_SEED=<seed> replays a run
	DISKPOOL_REQUIRE_CONTROLPLANE=1 SOAK_TIME=$(SOAK_TIME) SOAK_SEED=$(SOAK_SEED) SOAK_STEPS=$(SOAK_STEPS) \
		$(GO) test -race -count=1 -v -timeout $(SOAK_TIMEOUT) -run TestSoak ./test/soak

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each
	scripts/fuzz.sh $(FUZZTIME)

.PHONY: run
run: localenv-run ## Run the operator: against the cluster in KUBECONFIG when set, else on a local control plane with two nodes and sample pools

.PHONY: up
up: localenv-up ## Start the local environment in the background; writes .local/env

.PHONY: down
down: localenv-down ## Stop what `make up` started and remove its disks

# BENCH_FLAGS are passed to test/bench, e.g. BENCH_FLAGS="-n 10000 -k 4".
BENCH_FLAGS ?=

.PHONY: bench
bench: controlplane ## Converge N DiskPools (default 1000 on 4 agents) and compare with the API write floor; see docs/benchmarks.md
	$(GO) run ./test/bench $(BENCH_FLAGS)

-include scripts/controlplane.mk
-include scripts/localenv.mk
-include scripts/images.mk
-include scripts/nodecluster.mk
