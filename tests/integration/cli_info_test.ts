/**
 * `stompest info` against RabbitMQ and ActiveMQ on every transport, run as a user runs it: the
 * negotiated version and server, and for `ssl://` the TLS summary of the very connection it made,
 * checked against the brokers' certificate file read independently (openssl, WebCrypto). TLS
 * checks stay as strict as the library's: a name the certificate does not carry, a CA not given,
 * a client certificate missing where one is required: each exits 2.
 */
import assert from "node:assert/strict";
import { ACTIVEMQ, type BrokerEndpoint, brokerTest, CA_PATH, RABBITMQ } from "../helpers/brokers.ts";
import { type CliResult, runCli } from "../helpers/cli.ts";
import { expectedCertificate } from "../helpers/server_cert.ts";
import { ACTIVEMQ_MTLS } from "../helpers/tls.ts";

function ok(result: CliResult, what: string): CliResult {
  assert.equal(result.code, 0, `${what}: exit ${result.code}\n${result.stderr}`);
  return result;
}

function tlsArgs(e: BrokerEndpoint): string[] {
  return e.tls ? ["--ca", CA_PATH] : [];
}

/** `info --json`'s `tls` for a connection that printed a certificate summary. */
async function assertJsonSummary(tls: unknown): Promise<void> {
  const expected = await expectedCertificate();
  const got = tls as Record<string, unknown>;
  assert.match(String(got.protocol), /^TLSv1\.[23]$/);
  assert.match(String(got.cipher), /^TLS_[A-Z0-9_]+$/);
  assert.equal(got.verified, true);
  assert.deepEqual(got.peerCertificate, expected);
}

/** The text form: one line per certificate field, the fingerprint in full. */
async function assertTextSummary(text: string): Promise<void> {
  const expected = await expectedCertificate();
  const iso = (s: string) => s.replace(".000Z", "Z");
  assert.match(text, /^tls {9}TLSv1\.[23], TLS_[A-Z0-9_]+, certificate verified$/m);
  const lines = [
    `  subject   ${expected.subject}`,
    `  issuer    ${expected.issuer}`,
    `  alt names ${expected.subjectAltName.join(", ")}`,
    `  valid     ${iso(expected.validFrom)} to ${iso(expected.validTo)}`,
    `  serial    ${expected.serialNumber}`,
    `  sha256    ${expected.fingerprint256}`,
  ];
  for (const line of lines) assert.ok(text.split("\n").includes(line), `no line "${line}" in:\n${text}`);
}

const INFO_ENDPOINTS: readonly BrokerEndpoint[] = [
  RABBITMQ.tcp,
  RABBITMQ.ssl,
  RABBITMQ.ws,
  RABBITMQ.wss,
  ACTIVEMQ.tcp,
  ACTIVEMQ.ssl,
];
for (const e of INFO_ENDPOINTS) {
  brokerTest(`cli ${e.broker}: info ${e.uri}${e.tls ? " --ca" : ""}`, e, async () => {
    const r = ok(await runCli(["info", e.uri, "--json", ...tlsArgs(e)]), "info");
    const info = JSON.parse(r.text);
    assert.equal(info.broker, e.uri);
    assert.equal(info.version, "1.2");
    assert.match(info.server, e.broker === "rabbitmq" ? /^RabbitMQ\// : /^ActiveMQ\//);
    assert.equal(typeof info.session, "string");
    const text = ok(await runCli(["info", e.uri, "--version", "1.1", ...tlsArgs(e)]), "info 1.1").text;
    assert.match(text, /^version {5}1\.1$/m);
    if (e.address.protocol === "ssl") {
      await assertJsonSummary(info.tls);
      await assertTextSummary(text);
    } else if (e.address.protocol === "wss") {
      assert.deepEqual(info.tls, {
        protocol: null,
        cipher: null,
        verified: null,
        peerCertificate: null,
        unavailable: "not available over WebSocket",
      });
      assert.match(text, /^tls {9}yes \(details not available over WebSocket\)$/m);
    } else {
      assert.equal(info.tls, false);
      assert.match(text, /^tls {9}no$/m);
    }
  });
}

brokerTest(
  "cli activemq: --cert/--key connect to a listener that requires a client certificate (and print its summary); without them exit 2",
  ACTIVEMQ_MTLS,
  async (e) => {
    const pem = "/etc/stomp-test-tls/client";
    const mtls = ["--ca", CA_PATH, "--cert", `${pem}.pem`, "--key", `${pem}.key`];
    const r = ok(await runCli(["info", e.uri, "--json", ...mtls]), "info");
    const info = JSON.parse(r.text);
    assert.match(info.server, /^ActiveMQ\//);
    await assertJsonSummary(info.tls);
    await assertTextSummary(ok(await runCli(["info", e.uri, ...mtls]), "info text").text);
    const refused = await runCli(["info", e.uri, "--ca", CA_PATH]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /refused the TLS handshake/);
  },
);

brokerTest(
  "cli rabbitmq: an ssl:// broker without --ca fails the connect (exit 2)",
  RABBITMQ.ssl,
  async (e) => {
    const r = await runCli(["info", e.uri]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /connection failed: .*TLS handshake failed/);
  },
);

brokerTest(
  "cli rabbitmq: the broker's name is verified: ssl://localhost works, ssl://vm (127.0.0.1, not in the certificate) exits 2",
  RABBITMQ.ssl,
  async (e) => {
    const at = (host: string) => `ssl://${host}:${e.address.port}`;
    const named = JSON.parse(
      ok(await runCli(["info", at("localhost"), "--json", "--ca", CA_PATH]), "localhost").text,
    );
    assert.equal(named.broker, at("localhost"));
    await assertJsonSummary(named.tls);
    const r = await runCli(["info", at("vm"), "--ca", CA_PATH]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /TLS handshake failed: .*\bvm\b/);
  },
);
