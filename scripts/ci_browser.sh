#!/usr/bin/env bash
# ci_browser.sh - the dashboard in real Chromium against RabbitMQ Web-STOMP (tests/browser/dashboard_chromium.mjs).
#   Installs Debian's chromium and libnss3-tools (certutil) if missing (apt-get; no other browser download works
#   here) and playwright-core
#   from npm into tests/browser/node_modules (git-ignored; kept between runs), makes sure RabbitMQ is up, runs the
#   test with Node's test runner and ends with the line "browser: N passed, M failed".
#   The test restarts RabbitMQ (scripts/brokers.sh stop/start rabbitmq): run it when nothing else needs the broker.
# Env: CHROMIUM (default /usr/bin/chromium), PLAYWRIGHT_CORE (npm version, default below).
set -euo pipefail
cd "$(dirname "$0")/.."
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
PLAYWRIGHT_CORE=${PLAYWRIGHT_CORE:-1.65.1}
DIR=tests/browser
log() { printf '[browser %s] %s\n' "$(date +%T)" "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

# need COMMAND PACKAGE: apt-get install PACKAGE when COMMAND (a name or a path) is missing
need() {
  command -v "$1" >/dev/null && return
  log "apt-get install $2"
  apt-cache show "$2" >/dev/null 2>&1 || as_root apt-get update -q >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 "$2" >&2
}
need "$CHROMIUM" chromium
# certutil puts the test CA into the test's own NSS store, which is how Chromium on Linux learns a CA (wss://)
need certutil libnss3-tools
"$CHROMIUM" --version >&2

have=$(node -p "require('./$DIR/node_modules/playwright-core/package.json').version" 2>/dev/null || true)
if [ "$have" != "$PLAYWRIGHT_CORE" ]; then
  log "npm install playwright-core@$PLAYWRIGHT_CORE into $DIR/node_modules"
  # --no-save: no package.json or lock file is written; PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: Chromium is Debian's.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$DIR" --no-save --no-package-lock --no-audit --no-fund \
    --loglevel=error "playwright-core@$PLAYWRIGHT_CORE" >&2
fi

command -v deno >/dev/null || { log "deno is not on PATH"; exit 1; }
bash scripts/brokers.sh start rabbitmq >&2

out=$(mktemp)
set +e
CHROMIUM="$CHROMIUM" node --test --test-reporter=spec "$DIR/dashboard_chromium.mjs" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e
# Node's spec reporter ends with "ℹ pass N" / "ℹ fail M"
passed=$(sed -nE 's/^[^a-z]*pass ([0-9]+)$/\1/p' "$out" | tail -n1)
failed=$(sed -nE 's/^[^a-z]*fail ([0-9]+)$/\1/p' "$out" | tail -n1)
rm -f "$out"
passed=${passed:-0}; failed=${failed:-0}
[ "$status" != 0 ] && [ "$failed" = 0 ] && failed=1   # crashed before counting
echo "browser: $passed passed, $failed failed"
exit "$status"
