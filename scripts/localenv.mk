# localenv.mk: the local environment (pkg/localenv, cmd/diskpool-localenv):
# a real etcd and kube-apiserver, the CRDs and RBAC of manifests/, one
# diskpool-agent per simulated node on sparse-file disks, the operator.
# The root Makefile wires `run`, `up` and `down` to the targets here.
#
#   make localenv-run    KUBECONFIG unset: start it with the sample pools of
#                        manifests/samples/local, run until Ctrl-C, stop all.
#                        KUBECONFIG set: run the operator against that
#                        cluster instead (flags in OPERATOR_ARGS, e.g. the
#                        --agent-tls-* files).
#   make localenv-up     start it in the background; writes .local/env
#   make localenv-down   stop exactly what .local/env lists; remove its files
#
# LOCALENV_ARGS adds flags to `diskpool-localenv run|up` (e.g.
# LOCALENV_ARGS='--nodes "node-a node-b node-c"').

GO ?= go
LOCALENV_BIN := _output/bin/diskpool-localenv
LOCALENV_ARGS ?=
OPERATOR_ARGS ?=

.PHONY: localenv-run localenv-up localenv-down localenv-build

localenv-build:
	@$(GO) build -o $(LOCALENV_BIN) ./cmd/diskpool-localenv

# The control plane is only needed when no cluster is given.
localenv-run: $(if $(strip $(KUBECONFIG)),,controlplane localenv-build)
ifneq ($(strip $(KUBECONFIG)),)
	@echo "KUBECONFIG is set: running the operator against $(KUBECONFIG) (unset KUBECONFIG for the local environment)"
	$(GO) run ./cmd/diskpool-operator --kubeconfig="$(KUBECONFIG)" $(OPERATOR_ARGS)
else
	$(LOCALENV_BIN) run $(LOCALENV_ARGS)
endif

localenv-up: controlplane localenv-build
	$(LOCALENV_BIN) up $(LOCALENV_ARGS)

# No control plane prerequisite: taking down needs none, and a fresh clone
# must not build one just to find there is nothing to stop. A checkout that
# does not compile right now must still take down what `up` started: then
# the previous build of the command does it.
localenv-down:
	@$(GO) build -o $(LOCALENV_BIN) ./cmd/diskpool-localenv || \
	  { test -x $(LOCALENV_BIN) && echo "localenv-down: build failed; using the previous $(LOCALENV_BIN)" >&2; }
	$(LOCALENV_BIN) down
