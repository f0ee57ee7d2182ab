#!/usr/bin/env bash
# Installs Debian's postgresql server binaries (initdb, postgres) for the
# store tests when they are missing, the way .ci/install-debian.sh installs
# chromium and etcd. No cluster is created or started here and the package's own
# cluster is not used: each test run initdb's a throwaway cluster into a
# temporary directory, as an unprivileged user, listening only on a Unix
# socket there, and removes it afterwards (integrations/testenv/postgres.go).
# Safe to run with CI=true and no standard input. Needs root (or sudo) only
# when it installs.
set -euo pipefail

have_postgres() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		if [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then
			return 0
		fi
	done
	[ -n "${PLATBOT_POSTGRES_BIN:-}" ] && [ -x "$PLATBOT_POSTGRES_BIN/initdb" ]
}

if have_postgres; then
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo -n"
	else
		echo "postgres: initdb is missing and this is not root; run: apt-get update && apt-get install -y postgresql" >&2
		exit 1
	fi
fi

echo "postgres: installing Debian's postgresql for the store tests" >&2
$SUDO apt-get update </dev/null
# The package's post-install creates and starts a system cluster when a
# service manager runs; the tests never use it.
$SUDO apt-get install -y --no-install-recommends postgresql </dev/null

if ! have_postgres; then
	echo "postgres: apt-get finished but /usr/lib/postgresql/*/bin/initdb is still missing" >&2
	exit 1
fi
