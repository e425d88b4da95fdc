// The npm package's `stompest` bin under Node against RabbitMQ and ActiveMQ: lines round-trip
// byte for byte through send --lines and subscribe --json, an ERROR frame exits 3, and `info`
// prints the TLS summary of its connection (matching the brokers' certificate file), with --ca
// and with --cert/--key, and `tls no` over TCP.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { ACTIVEMQ, brokerTest, CA_PATH, RABBITMQ, uniqueQueue } from "./brokers.mjs";
import { expectedCertificate } from "./server_cert.mjs";

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

/** `info`'s text and JSON against an ssl:// endpoint with `args`: the summary of the broker's certificate. */
async function assertInfoSummary(e, args) {
  const expected = expectedCertificate();
  const json = await stompest(["info", e.uri, "--json", ...args]);
  assert.equal(json.code, 0, json.stderr);
  const tls = JSON.parse(json.stdout).tls;
  assert.match(tls.protocol, /^TLSv1\.[23]$/);
  assert.equal(tls.verified, true);
  assert.deepEqual(tls.peerCertificate, expected);
  const text = await stompest(["info", e.uri, ...args]);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.split("\n");
  assert.ok(
    lines.some((l) => /^tls {9}TLSv1\.[23], TLS_[A-Z0-9_]+, certificate verified$/.test(l)),
    text.stdout,
  );
  for (
    const line of [
      `  subject   ${expected.subject}`,
      `  issuer    ${expected.issuer}`,
      `  sha256    ${expected.fingerprint256}`,
    ]
  ) assert.ok(lines.includes(line), `no "${line}" in:\n${text.stdout}`);
}

for (const endpoint of [RABBITMQ.ssl, ACTIVEMQ.ssl]) {
  brokerTest(
    `cli (node) ${endpoint.broker}: info ${endpoint.uri} --ca prints the TLS summary`,
    endpoint,
    (e) => assertInfoSummary(e, ["--ca", CA_PATH]),
  );
}

brokerTest(
  "cli (node) activemq: info with --cert/--key on the client-certificate listener; exit 2 without",
  ACTIVEMQ.mtls,
  async (e) => {
    const pem = "/etc/stomp-test-tls/client";
    await assertInfoSummary(e, ["--ca", CA_PATH, "--cert", `${pem}.pem`, "--key", `${pem}.key`]);
    const refused = await stompest(["info", e.uri, "--ca", CA_PATH]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /refused the TLS handshake/);
  },
);

brokerTest("cli (node) rabbitmq: info over tcp:// says tls no", RABBITMQ.tcp, async (e) => {
  const json = await stompest(["info", e.uri, "--json"]);
  assert.equal(json.code, 0, json.stderr);
  assert.equal(JSON.parse(json.stdout).tls, false);
  const text = await stompest(["info", e.uri]);
  assert.match(text.stdout, /^tls {9}no$/m);
});
