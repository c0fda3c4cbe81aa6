# nodecluster.mk: the single-node cluster (pkg/nodecluster,
# cmd/diskpool-nodecluster): etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, containerd, kubelet and kube-proxy on this machine (root),
# with the images of `make images` imported. docs/cluster.md.
#
#   make cluster-up     start it in the background; writes .local/nodecluster.json
#   make cluster-down   stop exactly what that file lists; remove what it made

GO ?= go
NODECLUSTER_BIN := _output/bin/diskpool-nodecluster

.PHONY: node-prereqs cluster-up cluster-down

node-prereqs: ## Install containerd, runc, CNI plugins and iptables (Debian packages) when missing
	scripts/install-node-prereqs.sh

cluster-up: controlplane node-prereqs images ## Start the single-node cluster in the background (root); prints its KUBECONFIG
	@$(GO) build -o $(NODECLUSTER_BIN) ./cmd/diskpool-nodecluster
	$(NODECLUSTER_BIN) up

cluster-down: ## Stop the single-node cluster of cluster-up and remove what it made
	@$(GO) build -o $(NODECLUSTER_BIN) ./cmd/diskpool-nodecluster || test -x $(NODECLUSTER_BIN)
	$(NODECLUSTER_BIN) down
