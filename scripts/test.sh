#!/usr/bin/env bash
# Runs every packages/*/test/**/*.test.ts with node's test runner (Node 20's --test does not expand
# glob patterns itself, and sh's ** is not recursive). Extra arguments go to node before the files,
# e.g. `bash scripts/test.sh --test-name-pattern=cli`.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find packages -path 'packages/*/test/*' -name '*.test.ts' -not -path '*/node_modules/*' | LC_ALL=C sort)
[ ${#files[@]} -gt 0 ] || { echo "test.sh: no test files under packages/*/test" >&2; exit 1; }
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "$@" "${files[@]}"
