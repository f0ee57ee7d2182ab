#!/usr/bin/env bash
# Installs Debian's chromium for the sealing-page browser test
# (commands/secrets/browser_test.go) when it is missing. Safe to run with
# CI=true and no standard input: apt-get runs non-interactively, and nothing
# happens when /usr/bin/chromium already exists. Needs root (or sudo).
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo -n"
	else
		echo "install-chromium: /usr/bin/chromium is missing and this is not root; run: apt-get update && apt-get install -y chromium" >&2
		exit 1
	fi
fi

echo "install-chromium: installing Debian's chromium for the sealing-page browser test" >&2
$SUDO apt-get update </dev/null
$SUDO apt-get install -y --no-install-recommends chromium </dev/null

if [ ! -x /usr/bin/chromium ]; then
	echo "install-chromium: apt-get finished but /usr/bin/chromium is still missing" >&2
	exit 1
fi
