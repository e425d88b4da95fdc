#!/usr/bin/env bash
# The npm packaging check: pack npm/ (built by `deno task build:npm`) or take a given tarball, install
# it into a blank temporary project, and prove what a consumer sees: the tarball's contents, plain
# Node ESM imports of both export conditions, and a TypeScript project (moduleResolution nodenext,
# npm's typescript, skipLibCheck off) that type-checks against the shipped declarations.
#
#   bash scripts/check_npm_package.sh [stompest-x.y.z.tgz]
#
# Prints "ok - ..." / "not ok - ..." per check, then "package: N passed, M failed"; exits 1 on a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TS_VERSION=5.9.3
NODE_TYPES=20

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
# check NAME CMD...: runs CMD with its output in a log shown only when it fails.
check() {
  local name=$1 log
  shift
  log=$(mktemp)
  if "$@" >"$log" 2>&1; then ok "$name"; else
    not_ok "$name"
    sed 's/^/    /' "$log"
  fi
  rm -f "$log"
}
npm_quiet() { npm --no-audit --no-fund --loglevel=error "$@" 2> >(grep -v 'Unknown user config' >&2); }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ $# -ge 1 ]; then
  tarball=$(realpath "$1")
else
  [ -f npm/package.json ] || { echo "npm/ is not built: run deno task build:npm" >&2; exit 1; }
  tarball="$work/$(cd npm && npm_quiet pack --pack-destination "$work" | tail -n1)"
fi
[ -f "$tarball" ] || { echo "no tarball at $tarball" >&2; exit 1; }

# --- the tarball's contents ---------------------------------------------------------------------
listing=$(tar -tzf "$tarball" | sort)
has() { grep -qx "package/$1" <<<"$listing"; }
for file in package.json README.md LICENSE esm/src/node.js esm/src/node.d.ts esm/browser.js esm/browser.d.ts \
  esm/src/testing/node.js esm/src/testing/mod.js esm/src/cli/node.js; do
  check "tarball has $file" has "$file"
done
no_sources() { ! grep -E '\.ts$' <<<"$listing" | grep -vE '\.d\.ts$'; }
check "tarball ships no .ts sources" no_sources
no_extras() { ! grep -E '^package/(tests|bench|examples|scripts|src|mod\.ts|deno\.json)' <<<"$listing"; }
check "tarball ships no tests, benches, examples, scripts or Deno files" no_extras
no_deno_connector() { ! grep -E 'connectors/deno\.' <<<"$listing"; }
check "tarball ships no Deno connector" no_deno_connector

# --- a blank project installs it ----------------------------------------------------------------
project="$work/consumer"
mkdir -p "$project"
cd "$project"
printf '{ "name": "consumer", "version": "1.0.0", "private": true, "type": "module" }\n' >package.json
check "npm install <tarball> into a blank project" npm_quiet install "$tarball"

# --- plain Node ESM, the "node" condition ---------------------------------------------------------
cat >node-esm.mjs <<'EOF'
import assert from "node:assert/strict";
import * as stompest from "stompest";
import { connect, nodeConnector, Stomp, StompConnectionError, StompFrame, StompParser } from "stompest";
import { listenNode, StompTestBroker } from "stompest/testing";
import pkg from "stompest/package.json" with { type: "json" };

assert.equal(pkg.name, "stompest");
assert.equal(typeof nodeConnector, "function", "the node condition exports nodeConnector");
assert.equal(typeof listenNode, "function");
const bytes = new StompFrame("SEND", { destination: "/queue/a" }, "hi").toBytes();
const parser = new StompParser();
parser.add(bytes);
const parsed = parser.get();
assert.ok(parsed instanceof StompFrame);
assert.equal(parsed.text(), "hi");
// tcp:// works out of the box: the in-package test broker over node:net, the client over nodeConnector.
const broker = new StompTestBroker();
const { uri } = await broker.listen();
const stomp = new Stomp(uri);
assert.equal((await stomp.connect()).command, "CONNECTED");
await stomp.disconnect({ receipt: "bye", timeout: 5000 });
await broker.close();
await assert.rejects(connect("tcp://127.0.0.1:1", { connectTimeout: 2000 }), StompConnectionError);
console.log(`node ESM: ${Object.keys(stompest).length} exports`);
EOF
check "plain Node ESM: import from \"stompest\" and \"stompest/testing\", tcp:// works" node node-esm.mjs

# --- the CLI: `npx stompest` from the package's bin -----------------------------------------------
cli_help() {
  local out
  out=$(npx --no-install stompest --help) || return 1
  grep -q '^Usage: stompest COMMAND' <<<"$out" && grep -q '^  subscribe ' <<<"$out"
}
check "npx stompest --help prints the commands" cli_help
cli_command_help() { npx --no-install stompest send --help | grep -q '^Usage: stompest send'; }
check "npx stompest send --help" cli_command_help
# status N CMD...: CMD exits with status N (and prints why on standard error).
status() {
  local want=$1 got
  shift
  "$@" >/dev/null 2>"$work/cli.err"
  got=$?
  [ "$got" = "$want" ] || { echo "exit $got, expected $want"; cat "$work/cli.err"; return 1; }
  [ "$want" = 0 ] || [ -s "$work/cli.err" ]
}
check "npx stompest with an unknown option exits 1" status 1 npx --no-install stompest send --bogus
check "npx stompest info on a dead port exits 2 (node:net connector, no broker needed)" \
  status 2 npx --no-install stompest info tcp://127.0.0.1:1 --timeout 2000

# --- the browser/default condition: never loads node: modules -------------------------------------
cat >browser-esm.mjs <<'EOF'
import assert from "node:assert/strict";
import * as stompest from "stompest";
import { connect, StompConnectionError } from "stompest";

assert.equal("nodeConnector" in stompest, false, "the browser entry has no Node connector");
await assert.rejects(
  connect("tcp://127.0.0.1:61613", { connectTimeout: 2000 }),
  (e) => e instanceof StompConnectionError && /no TCP connector/.test(String(e.cause ?? e)),
);
EOF
# Every module the browser entry loads, recorded by a loader hook: none may be a node: builtin.
cat >record.mjs <<'EOF'
import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (context.parentURL?.includes("/node_modules/stompest/") && result.url.startsWith("node:")) {
    throw new Error(context.parentURL + " imports " + result.url);
  }
  return result;
}`));
EOF
check "browser condition: no nodeConnector, tcp:// fails with a typed error" \
  node --conditions=browser browser-esm.mjs
check "browser condition: no module of the package imports a node: builtin" \
  node --import ./record.mjs --conditions=browser browser-esm.mjs

# --- TypeScript, moduleResolution nodenext ------------------------------------------------------
check "npm install typescript@$TS_VERSION @types/node@$NODE_TYPES" \
  npm_quiet install --save-dev "typescript@$TS_VERSION" "@types/node@$NODE_TYPES"
cat >app.ts <<'EOF'
import {
  AsyncStomp,
  connect,
  nodeConnector,
  Stomp,
  StompConnectionError,
  type StompConnector,
  StompFrame,
  type StompMessage,
} from "stompest";
import { StompTestBroker } from "stompest/testing";

const connector: StompConnector = nodeConnector;
const frame = new StompFrame("SEND", { destination: "/queue/a" }, "x");
const bytes: Uint8Array = frame.toBytes();
// @ts-expect-error: a command is a string, so the declarations are real types, not `any`.
new StompFrame(42);

export async function roundTrip(): Promise<string> {
  await using broker = new StompTestBroker();
  const client: AsyncStomp = await connect("tcp://127.0.0.1:61613", { login: "guest", connector });
  const sub = await client.subscribe("/queue/a", { ack: "client-individual" });
  for await (const msg of sub) {
    const m: StompMessage = msg;
    await m.ack();
    return m.text();
  }
  const stomp = new Stomp((await broker.listen()).uri);
  const received: StompFrame = await stomp.receiveFrame({ timeout: 1000 });
  return received.text() + bytes.length;
}

export function isConnectionError(e: unknown): e is StompConnectionError {
  return e instanceof StompConnectionError;
}
EOF
tsconfig() {
  printf '{ "compilerOptions": { "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022", "strict": true, "noEmit": true, "skipLibCheck": false, "types": ["node"]%s }, "files": ["app.ts"] }\n' "$1" >tsconfig.json
  ./node_modules/.bin/tsc -p tsconfig.json
}
check "tsc: nodenext project type-checks against the declarations (default lib)" tsconfig ""
check "tsc: nodenext project type-checks with lib esnext + @types/node only (no DOM)" \
  tsconfig ', "lib": ["esnext"]'

cd "$ROOT"
echo "package: $passed passed, $failed failed"
[ "$failed" = 0 ]
