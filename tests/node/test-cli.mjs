// The npm package's `stompest` bin under Node against RabbitMQ and ActiveMQ: lines round-trip
// byte for byte through send --lines and subscribe --json, and an ERROR frame exits 3.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { ACTIVEMQ, brokerTest, RABBITMQ, uniqueQueue } from "./brokers.mjs";

const BIN = fileURLToPath(new URL("esm/src/cli/node.js", import.meta.resolve("stompest/package.json")));

/** Runs the bin with `args`, `stdin` written and closed; killed after 60 s. */
function stompest(args, { stdin = "", env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, STOMP_LOGIN: "guest", STOMP_PASSCODE: "guest", ...env },
      timeout: 60_000,
    });
    const out = [];
    let err = "";
    child.stdout.on("data", (chunk) => out.push(chunk));
    child.stderr.on("data", (chunk) => err += chunk);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: err }));
    child.stdin.end(stdin);
  });
}

for (const endpoint of [RABBITMQ.tcp, ACTIVEMQ.tcp]) {
  brokerTest(
    `cli (node) ${endpoint.broker}: send --lines, subscribe --json round trip`,
    endpoint,
    async (e) => {
      const queue = uniqueQueue("node-cli");
      const lines = Array.from({ length: 200 }, (_, i) => i % 7 === 0 ? "" : `line ${i} é€😀 \\ : \r`);
      const sent = await stompest(["send", e.uri, queue, "--lines", "--receipt=last"], {
        stdin: lines.join("\n") + "\n",
      });
      assert.equal(sent.code, 0, sent.stderr);
      const got = await stompest([
        "subscribe",
        e.uri,
        queue,
        "--count",
        "200",
        "--json",
        "--timeout",
        "10000",
      ]);
      assert.equal(got.code, 0, got.stderr);
      const bodies = got.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l).body);
      assert.deepEqual(bodies, lines);
    },
  );
}

brokerTest(
  "cli (node) activemq: a wrong passcode exits 3 with the broker's message",
  ACTIVEMQ.tcp,
  async (e) => {
    const r = await stompest(["info", e.uri], { env: { STOMP_PASSCODE: "wrong" } });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /broker ERROR: .*password is invalid/);
  },
);
