# controlplane.mk: targets for the local control plane (etcd, kube-apiserver,
# kubectl built from the Go module proxy into bin/). Include it from the root
# Makefile with:
#
#   include scripts/controlplane.mk
#
# The build is cached per version under bin/; a second run only prints what it
# found.

CONTROLPLANE_DIR := $(dir $(lastword $(MAKEFILE_LIST)))

.PHONY: controlplane
controlplane: ## Build etcd, kube-apiserver and kubectl into bin/ (once; cached per version)
	$(CONTROLPLANE_DIR)build-controlplane.sh
