#!/usr/bin/env bash
# Installs the Debian packages the tests run for real, each only when its
# binary is missing:
#   chromium     /usr/bin/chromium  the sealing-page browser test
#                                   (commands/secrets/browser_test.go)
#   etcd-server  /usr/bin/etcd      the Kubernetes control plane's store, beside
#                                   the kube-apiserver that .ci/tools/build.sh
#                                   builds (integrations/testenv/kube.go)
# Safe to run with CI=true and no standard input: apt-get runs
# non-interactively. The etcd-server package's own service is not used (the
# tests start a throwaway etcd on loopback) and is stopped if the package
# started it. Needs root (or sudo) only when it installs.
set -euo pipefail

# binary package
wanted=(
	"/usr/bin/chromium chromium"
	"/usr/bin/etcd etcd-server"
)

missing=()
for w in "${wanted[@]}"; do
	read -r bin pkg <<<"$w"
	[ -x "$bin" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo -n"
	else
		echo "install-debian: ${missing[*]} missing and this is not root; run: apt-get update && apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
fi

echo "install-debian: installing Debian's ${missing[*]} for the tests (once per machine)" >&2
$SUDO apt-get update </dev/null
$SUDO apt-get install -y --no-install-recommends "${missing[@]}" </dev/null

# Debian starts etcd-server's own service where an init system runs; the
# tests never use it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
	$SUDO systemctl disable --now etcd >/dev/null 2>&1 || true
fi

for w in "${wanted[@]}"; do
	read -r bin pkg <<<"$w"
	if [ ! -x "$bin" ]; then
		echo "install-debian: apt-get finished but $bin ($pkg) is still missing" >&2
		exit 1
	fi
done
