#!/usr/bin/env bash
# Builds the real servers used by the integration tests (see
# integrations/testenv) from the nested Go modules beside this script, and
# caches them outside the repository, keyed by version:
#
#   ${PLATBOT_TOOLS_CACHE:-$HOME/.cache/platbot-tools}/<name>-<version>/bin/
#
# Usage: .ci/tools/build.sh [vault|kube|all]      (default: all)
#
# A tool is only built when its binaries are missing or were built from
# different inputs (go.mod, go.sum, sources of the nested module), so only the
# first run on a machine pays for the build (vault ~5 min, kube ~8 min on two
# idle cores). Progress goes to stderr; the bin directory of each requested tool is
# printed on stdout, one per line, so that
#
#   VAULT_BIN_DIR="$(.ci/tools/build.sh vault)"
#
# works. Environment:
#   PLATBOT_TOOLS_CACHE  cache root (default $HOME/.cache/platbot-tools)
#   PLATBOT_TOOLS_JOBS   go build -p value (default: all cores)
#   PLATBOT_TOOLS_NICE   niceness of the build (default 10)
#   GOCACHE, GOMODCACHE, GOPROXY, ... are passed to go unchanged.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ -z "${PLATBOT_TOOLS_CACHE:-}" && -z "${HOME:-}" ]]; then
	printf 'build.sh: ERROR: neither PLATBOT_TOOLS_CACHE nor HOME is set: cannot locate the cache\n' >&2
	exit 1
fi
cache_root="${PLATBOT_TOOLS_CACHE:-$HOME/.cache/platbot-tools}"
jobs="${PLATBOT_TOOLS_JOBS:-$(nproc 2>/dev/null || echo 2)}"
niceness="${PLATBOT_TOOLS_NICE:-10}"

log() { printf 'build.sh: %s\n' "$*" >&2; }
die() {
	printf 'build.sh: ERROR: %s\n' "$*" >&2
	exit 1
}

command -v go >/dev/null 2>&1 || die "go is not on PATH; install the Go toolchain first"

# module_version MODDIR MODULE prints the version MODULE is required at in
# MODDIR/go.mod (after any version replacement).
module_version() {
	local v
	v="$(awk -v m="$2" '
		$1 == "require" || $1 == "replace" { $1 = ""; $0 = $0 }
		$1 == m && $2 == "=>" && NF >= 4 { rep = $4; next }
		$1 == m && $2 ~ /^v/ { req = $2 }
		END { if (rep != "") print rep; else print req }' "$1/go.mod")"
	[[ -n "$v" ]] || {
		printf 'build.sh: ERROR: cannot find the version of %s in %s/go.mod\n' "$2" "$1" >&2
		return 1
	}
	printf '%s\n' "$v"
}

# inputs_hash MODDIR prints a hash of everything in the nested module that
# influences the build, so a changed pin or patch triggers a rebuild.
inputs_hash() {
	(cd "$1" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name '*.patch' \) -print0 |
		LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
}

# gobuild runs go build niced, with the configured parallelism, in the nested
# module alone (no workspace) and without touching its go.mod.
gobuild() {
	GOWORK=off nice -n "$niceness" go build -mod=readonly -p "$jobs" -trimpath -buildvcs=false "$@"
}

# expected_minutes NAME prints how long a cold build of NAME takes on two
# otherwise idle cores with an empty Go build cache (module downloads
# included), so that the one progress line per tool sets expectations.
expected_minutes() {
	case "$1" in
	vault) echo "about 5" ;;
	kube) echo "about 8" ;;
	*) echo "several" ;;
	esac
}

# ensure NAME VERSION MODDIR BINARIES... builds into the cache unless already
# there, calling build_NAME MODDIR OUTDIR VERSION to do the actual build.
ensure() {
	local name="$1" version="$2" moddir="$3"
	shift 3
	local dir="$cache_root/$name-$version"
	local bin="$dir/bin"
	local hash
	hash="$(inputs_hash "$moddir")"

	mkdir -p "$cache_root" || die "cannot create cache directory $cache_root"
	# Serialise concurrent builds of the same tool (e.g. two test runs).
	exec {lockfd}>"$cache_root/.$name-$version.lock" || die "cannot create a lock file in $cache_root"
	if ! flock -n "$lockfd"; then
		log "$name $version: another build is running, waiting for it"
		flock "$lockfd"
	fi

	local missing=0 b
	for b in "$@"; do
		[[ -x "$bin/$b" ]] || missing=1
	done
	if [[ $missing == 0 && "$(cat "$dir/inputs.sha256" 2>/dev/null)" == "$hash" ]]; then
		log "$name $version: up to date in $bin"
		flock -u "$lockfd"
		printf '%s\n' "$bin"
		return 0
	fi
	if [[ $missing == 0 ]]; then
		log "$name $version: build inputs changed, rebuilding"
	else
		log "$name $version: not built yet, building into $bin with -p $jobs (expect $(expected_minutes "$name") minutes on 2 idle cores; only the first run pays this)"
	fi

	# Builds happen in a scratch directory that is moved into place when
	# complete; remove what an interrupted build left behind.
	local scratch="$cache_root/.build"
	rm -rf "$scratch/$name-$version".*
	mkdir -p "$scratch" || die "cannot create $scratch"
	local tmp
	tmp="$(mktemp -d "$scratch/$name-$version.XXXXXX")" || die "cannot create a build directory in $scratch"
	chmod 755 "$tmp"
	local start=$SECONDS
	if ! "build_$name" "$moddir" "$tmp/bin" "$version"; then
		rm -rf "$tmp"
		die "$name $version: build failed (see the go output above); module: $moddir"
	fi
	for b in "$@"; do
		[[ -x "$tmp/bin/$b" ]] || {
			rm -rf "$tmp"
			die "$name $version: build produced no $b binary"
		}
	done
	printf '%s\n' "$hash" >"$tmp/inputs.sha256"
	rm -rf "$dir.old"
	[[ -e "$dir" ]] && mv "$dir" "$dir.old"
	mv "$tmp" "$dir" || die "cannot move the build into $dir"
	rm -rf "$dir.old"
	log "$name $version: built in $((SECONDS - start))s: $*"
	flock -u "$lockfd"
	printf '%s\n' "$bin"
}

# build_vault builds in a scratch copy of the nested module whose ./sdk is
# the published github.com/hashicorp/vault/sdk (version named by the patch
# file, sdk-<version>.patch) from the Go module proxy, with that patch
# applied: the repository keeps one small patch, not a copy of the sdk.
build_vault() {
	local moddir="$1" out="$2"
	local patch sdk_version work dir
	local patches=("$moddir"/sdk-v*.patch)
	patch="${patches[0]}"
	[[ -f "$patch" ]] || {
		printf 'build.sh: ERROR: no sdk-<version>.patch in %s\n' "$moddir" >&2
		return 1
	}
	sdk_version="$(basename "$patch" .patch)"
	sdk_version="${sdk_version#sdk-}"
	work="$(dirname "$out")/src"
	mkdir -p "$work" || return 1
	cp "$moddir"/go.mod "$moddir"/go.sum "$moddir"/*.go "$work"/ || return 1
	log "vault: fetching github.com/hashicorp/vault/sdk@$sdk_version and applying $(basename "$patch")"
	dir="$(cd "$work" && GOWORK=off go mod download -json "github.com/hashicorp/vault/sdk@$sdk_version" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
	[[ -n "$dir" && -d "$dir" ]] || {
		printf 'build.sh: ERROR: could not download github.com/hashicorp/vault/sdk@%s\n' "$sdk_version" >&2
		return 1
	}
	cp -R "$dir" "$work/sdk" && chmod -R u+w "$work/sdk" || return 1
	(cd "$work/sdk" && git apply -p1 "$patch") || {
		printf 'build.sh: ERROR: %s does not apply to sdk %s\n' "$patch" "$sdk_version" >&2
		return 1
	}
	log "vault: go build (module $moddir, -p $jobs)"
	local rc=0
	(cd "$work" && gobuild -ldflags "-s -w" -o "$out/vault" .) || rc=$?
	rm -rf "$work"
	return "$rc"
}

build_kube() {
	local moddir="$1" out="$2" version="$3"
	local minor="${version#v1.}"
	minor="${minor%%.*}"
	local ldflags="-s -w"
	local pkg
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
		ldflags+=" -X $pkg.gitTreeState=clean"
	done
	log "kube: go build kube-apiserver $version (module $moddir, -p $jobs)"
	(cd "$moddir" && gobuild -ldflags "$ldflags" -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
}

build_tool() {
	case "$1" in
	vault)
		version="$(module_version "$here/vault" github.com/hashicorp/vault)" || exit 1
		ensure vault "$version" "$here/vault" vault
		;;
	kube)
		version="$(module_version "$here/kube" k8s.io/kubernetes)" || exit 1
		ensure kube "$version" "$here/kube" kube-apiserver
		;;
	*)
		die "unknown tool '$1' (want vault, kube or all)"
		;;
	esac
}

target="${1:-all}"
[[ $# -le 1 ]] || die "usage: $0 [vault|kube|all]"
case "$target" in
all)
	build_tool vault
	build_tool kube
	;;
vault | kube)
	build_tool "$target"
	;;
-h | --help)
	sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 0
	;;
*)
	die "usage: $0 [vault|kube|all]"
	;;
esac
