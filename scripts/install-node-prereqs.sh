#!/usr/bin/env bash
# install-node-prereqs.sh installs what the single-node cluster
# (pkg/nodecluster) runs besides the binaries of `make controlplane`:
# containerd, runc, the CNI plugins, iptables, and e2fsprogs and util-linux
# for the tests' loop devices, from the distribution's packages, when one is
# missing. Exit 0: everything is there; exit 1 with the reason on stderr:
# it cannot be installed here (not root, no apt-get, or apt failed).
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have containerd || need+=(containerd)
have ctr || need+=(containerd)
have runc || need+=(runc)
[[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]] || need+=(containernetworking-plugins)
have iptables-save || need+=(iptables)
have ip || need+=(iproute2)
have mkfs.ext4 || need+=(e2fsprogs)
have losetup || need+=(mount)
have openssl || need+=(openssl)
if [[ ${#need[@]} -eq 0 ]]; then
	exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
	echo "install-node-prereqs: missing ${need[*]}; installing them needs root" >&2
	exit 1
fi
if ! have apt-get; then
	echo "install-node-prereqs: missing ${need[*]}; no apt-get to install them" >&2
	exit 1
fi
echo "install-node-prereqs: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get install -y --no-install-recommends "${need[@]}" >&2 ||
	{ apt-get update >&2 && apt-get install -y --no-install-recommends "${need[@]}" >&2; }; }; then
	echo "install-node-prereqs: apt-get install ${need[*]} failed" >&2
	exit 1
fi
