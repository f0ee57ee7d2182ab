#!/usr/bin/env bash
# Installs the Debian packages the tests run for real, each only when its
# binary is missing:
#   chromium     /usr/bin/chromium  the sealing-page browser test
#                                   (commands/secrets/browser_test.go)
#   etcd-server  /usr/bin/etcd      the Kubernetes control plane's store, beside
#                                   the kube-apiserver that .ci/tools/build.sh
#                                   builds (integrations/testenv/kube.go)
#   postgresql   initdb, postgres   the store tests on PostgreSQL
#                                   (integrations/testenv/postgres.go)
# Safe to run with CI=true and no standard input: apt-get runs
# non-interactively. No package's own service is used: the tests start
# throwaway servers of their own (etcd on loopback; PostgreSQL initdb'd into a
# temporary directory as an unprivileged user, on a Unix socket there) and
# remove them afterwards. Needs root (or sudo) only when it installs.
set -euo pipefail

# have_postgres: initdb and postgres of some installed major version, or
# the folder PLATBOT_POSTGRES_BIN names.
have_postgres() {
	local d
	for d in /usr/lib/postgresql/*/bin "${PLATBOT_POSTGRES_BIN:-}"; do
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then
			return 0
		fi
	done
	return 1
}

# have PACKAGE: whether what the tests need of PACKAGE is there.
have() {
	case "$1" in
	chromium) [ -x /usr/bin/chromium ] ;;
	etcd-server) [ -x /usr/bin/etcd ] ;;
	postgresql) have_postgres ;;
	esac
}

wanted=(chromium etcd-server postgresql)
missing=()
for pkg in "${wanted[@]}"; do
	have "$pkg" || missing+=("$pkg")
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
$SUDO apt-get -o DPkg::Lock::Timeout=600 update </dev/null
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" </dev/null

# Debian starts etcd-server's own service where an init system runs; the
# tests never use it. (postgresql's system cluster is left as the package
# made it; the tests never connect to it.)
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
	$SUDO systemctl disable --now etcd >/dev/null 2>&1 || true
fi

for pkg in "${wanted[@]}"; do
	if ! have "$pkg"; then
		echo "install-debian: apt-get finished but $pkg's binaries are still missing" >&2
		exit 1
	fi
done
