#!/usr/bin/env bash
# Regenerates Go code for proto/ into generated/proto with pinned buf,
# protoc-gen-go and protoc-gen-go-grpc (no protoc needed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=$("$root/scripts/tools.sh" buf protoc-gen-go protoc-gen-go-grpc | tail -n1)
rm -rf "$root/generated/proto"
cd "$root/proto"
PATH="$tools:$PATH" buf generate
