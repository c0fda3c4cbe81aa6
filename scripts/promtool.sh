#!/usr/bin/env bash
# promtool.sh builds Prometheus's promtool (once; see prometheus-build.sh)
# and prints its path.
#
# Built with -tags remove_all_sd: promtool's `check rules`, `test rules` and
# `check metrics` need no service discovery, and leaving the ~25 discovery
# plugins (AWS, Azure, GCE, Kubernetes, ...) out roughly halves the build.
exec "$(dirname "${BASH_SOURCE[0]}")/prometheus-build.sh" promtool remove_all_sd
