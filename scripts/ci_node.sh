#!/usr/bin/env bash
# Node CI for the npm package: build npm/, pack it, install the tarball into a temporary project,
# run tests/node there with `node --test` (so the tests import "stompest" exactly as a user does),
# then the packaging check on the same tarball. Ends with "node: N passed, M failed". The `ws` package is
# installed beside the tarball for the ws:// tests (Node 20 has no global WebSocket; the library takes one
# through its `webSocket` option): a dev dependency of this suite, never of the package.
#
#   bash scripts/ci_node.sh        (STOMP_REQUIRE_BROKERS=1: a missing broker fails the tests)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
npm_quiet() { npm --no-audit --no-fund --loglevel=error "$@" 2> >(grep -v 'Unknown user config' >&2); }

echo "== build (deno task build:npm)"
deno task build:npm || { echo "node: 0 passed, 1 failed"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== pack"
tarball="$work/$(cd npm && npm_quiet pack --pack-destination "$work" | tail -n1)"
[ -f "$tarball" ] || { echo "npm pack wrote no tarball"; echo "node: 0 passed, 1 failed"; exit 1; }
echo "$(basename "$tarball"): $(wc -c <"$tarball") bytes packed, $(tar -tzf "$tarball" | wc -l) files"

echo "== node --test tests/node (against the installed tarball)"
project="$work/project"
mkdir -p "$project/test"
printf '{ "name": "stompest-node-tests", "private": true, "type": "module" }\n' >"$project/package.json"
(cd "$project" && npm_quiet install "$tarball" ws@8.18.3) || { echo "node: 0 passed, 1 failed"; exit 1; }
cp tests/node/*.mjs "$project/test/"
out="$work/node-test.out"
(cd "$project" && node --test --test-reporter=spec --test-reporter-destination=stdout test/test-*.mjs) |
  tee "$out"
test_status=${PIPESTATUS[0]}
count() { sed -nE "s/^. $1 ([0-9]+)$/\1/p" "$out" | tail -n1; }
tests_passed=$(count pass)
tests_failed=$(count fail)
tests_skipped=$(count skipped)
tests_cancelled=$(count cancelled)
tests_failed=$((${tests_failed:-0} + ${tests_cancelled:-0}))
if [ "$test_status" != 0 ] && [ "$tests_failed" = 0 ]; then tests_failed=1; fi

echo "== packaging check"
pkg_out="$work/package.out"
bash "$ROOT/scripts/check_npm_package.sh" "$tarball" | tee "$pkg_out"
pkg_status=${PIPESTATUS[0]}
pkg_passed=$(grep -c '^ok - ' "$pkg_out")
pkg_failed=$(grep -c '^not ok - ' "$pkg_out")
if [ "$pkg_status" != 0 ] && [ "$pkg_failed" = 0 ]; then pkg_failed=1; fi

passed=$((${tests_passed:-0} + pkg_passed))
failed=$((tests_failed + pkg_failed))
skipped=${tests_skipped:-0}
if [ "$skipped" -gt 0 ]; then
  echo "node: $passed passed, $failed failed, $skipped skipped"
else
  echo "node: $passed passed, $failed failed"
fi
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
