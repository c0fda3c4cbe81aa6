#!/usr/bin/env bash
# prometheus.sh builds the Prometheus server (once; see prometheus-build.sh)
# and prints its path. test/cluster runs it against the single-node cluster.
#
# Built with -tags remove_all_sd,enable_kubernetes_sd: Kubernetes service
# discovery only (what a ServiceMonitor becomes), the ~25 other discovery
# plugins (AWS, Azure, GCE, ...) left out. The web UI's assets are not
# embedded (no npm here): the HTTP API, which the tests read, is complete.
exec "$(dirname "${BASH_SOURCE[0]}")/prometheus-build.sh" prometheus remove_all_sd,enable_kubernetes_sd
