#!/usr/bin/env bash
# compare.sh: render the generated 200-file skeleton with platbot's engine
# (Go's BenchmarkRenderSkeleton) and with Node's nunjucks as Backstage uses
# it (bench.js), one after the other in the same run, on the same machine.
# COUNT=N repeats each (default 5). Prints both in Go's benchmark format and,
# when benchstat is installed, a side-by-side summary.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
count="${COUNT:-5}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

if [ ! -d "$here/node_modules" ]; then
	echo "== npm ci (nunjucks 3.2.4 and Backstage's helpers, pinned in package-lock.json)"
	(cd "$here" && npm ci --silent)
fi

echo "== platbot (commands/paths/templating), ${count} runs"
(cd "$root" && go test -run '^$' -bench 'BenchmarkRenderSkeleton' -benchtime 20x -count "$count" ./commands/paths/templating/) |
	grep '^Benchmark' | sed 's/^BenchmarkRenderSkeleton/BenchmarkSkeleton200/' | tee "$out/go.txt"

echo "== nunjucks (Node $(node --version)), ${count} runs"
(cd "$here" && node bench.js -count "$count" -name BenchmarkSkeleton200) |
	grep '^Benchmark' | sed 's/\t[0-9.]* ms\/render$//' | tee "$out/node.txt"

if command -v benchstat >/dev/null 2>&1; then
	echo "== benchstat platbot nunjucks"
	(cd "$out" && benchstat platbot=go.txt nunjucks=node.txt 2>/dev/null || benchstat go.txt node.txt)
fi
