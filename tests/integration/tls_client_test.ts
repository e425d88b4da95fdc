// TLS against the real brokers, through Deno's connector and the node:tls one: client
// certificates (ActiveMQ's listener that requires one; RabbitMQ verifying the one it is shown),
// `insecure` against a broker whose certificate is not trusted, and the minimum TLS version.
import assert from "node:assert/strict";
import * as tls from "node:tls";
import {
  AsyncStomp,
  denoConnector,
  Stomp,
  StompConfig,
  type StompConnector,
  StompTlsHandshakeError,
  type StompTlsOptions,
  type StompTraceEvent,
} from "../../mod.ts";
import { nodeConnector } from "../../src/connection/connectors/node.ts";
import { CA_PEM, RABBITMQ, uniqueQueue } from "../helpers/brokers.ts";
import { brokerTest } from "../helpers/brokers.ts";
import { ACTIVEMQ_MTLS, CLIENT_CERT, ROGUE_CERT } from "../helpers/tls.ts";

const WAIT = { timeout: 10_000 };
const CONNECT = { connectTimeout: 10_000, connectedTimeout: 10_000 };
const CONNECTORS: [string, StompConnector][] = [["deno", denoConnector], ["node:tls", nodeConnector]];

async function roundTrip(uri: string, host: string, connector: StompConnector, tlsOptions: StompTlsOptions) {
  const client = new Stomp(uri, { login: "guest", passcode: "guest", host, connector, tls: tlsOptions });
  await client.connect(CONNECT);
  try {
    const queue = uniqueQueue("mtls");
    await client.subscribe(queue, { ack: "auto" });
    await client.send(queue, "over mutual TLS", {}, "sent");
    const frame = await client.receiveFrame(WAIT);
    if (frame.command === "RECEIPT") {
      assert.equal((await client.receiveFrame(WAIT)).text(), "over mutual TLS");
    } else assert.equal(frame.text(), "over mutual TLS");
  } finally {
    await client.disconnect({ receipt: "bye", ...WAIT });
  }
}

async function refusal(uri: string, host: string, connector: StompConnector, tlsOptions: StompTlsOptions) {
  const client = new Stomp(`failover:(${uri})?startupMaxReconnectAttempts=0`, {
    login: "guest",
    passcode: "guest",
    host,
    connector,
    tls: tlsOptions,
  });
  const error = await client.connect(CONNECT).catch((e) => e);
  // The failover sequence ends with the attempt's error as its cause.
  const cause = error instanceof StompTlsHandshakeError ? error : error?.cause;
  assert.ok(cause instanceof StompTlsHandshakeError, `${error}\ncause: ${error?.cause}`);
  return cause as StompTlsHandshakeError;
}

for (const [name, connector] of CONNECTORS) {
  brokerTest(
    `activemq mTLS (${name}): a client certificate signed by the CA connects`,
    ACTIVEMQ_MTLS,
    async (e) => {
      await roundTrip(e.uri, e.host, connector, { caCerts: [CA_PEM!], ...CLIENT_CERT! });
    },
  );

  brokerTest(
    `activemq mTLS (${name}): without a client certificate the broker refuses the handshake`,
    ACTIVEMQ_MTLS,
    async (e) => {
      const error = await refusal(e.uri, e.host, connector, { caCerts: [CA_PEM!] });
      assert.match(error.message, /ssl:\/\/127\.0\.0\.1:61626: the broker refused the TLS handshake/);
    },
  );

  brokerTest(
    `activemq mTLS (${name}): a certificate from an untrusted CA is refused`,
    ACTIVEMQ_MTLS,
    async (e) => {
      const error = await refusal(e.uri, e.host, connector, { caCerts: [CA_PEM!], ...ROGUE_CERT! });
      assert.match(error.message, /the broker refused the TLS handshake/);
    },
  );

  brokerTest(`rabbitmq TLS (${name}): the client certificate shown is verified`, [
    RABBITMQ.ssl,
    ACTIVEMQ_MTLS,
  ], async () => {
    const e = RABBITMQ.ssl;
    await roundTrip(e.uri, e.host, connector, { caCerts: [CA_PEM!], ...CLIENT_CERT! });
    const error = await refusal(e.uri, e.host, connector, { caCerts: [CA_PEM!], ...ROGUE_CERT! });
    assert.match(error.message, /the broker refused the TLS handshake/);
  });

  brokerTest(
    `rabbitmq TLS (${name}): insecure connects to an untrusted broker (with a warning); without it the connect fails`,
    RABBITMQ.ssl,
    async (e) => {
      // No caCerts: the test CA is not in the system store, so the broker's certificate is untrusted.
      const error = await refusal(e.uri, e.host, connector, {});
      assert.match(error.message, /TLS handshake failed/);
      const trace: StompTraceEvent[] = [];
      const client = new AsyncStomp(e.uri, {
        login: "guest",
        passcode: "guest",
        host: e.host,
        connector,
        tls: { insecure: true },
        trace: (event) => trace.push(event),
      });
      await client.connect(CONNECT);
      await client.disconnect(WAIT);
      const warnings = trace.filter((t) => t.type === "warning");
      assert.equal(warnings.length, 1);
      assert.match(warnings[0].type === "warning" ? warnings[0].message : "", /NOT verified/);
      assert.match(client.config.info(), /tls=INSECURE/);
    },
  );

  brokerTest(
    `rabbitmq TLS (${name}): minVersion TLSv1.3 connects to a broker that speaks it`,
    RABBITMQ.ssl,
    async (e) => {
      await roundTrip(e.uri, e.host, connector, { caCerts: [CA_PEM!], minVersion: "TLSv1.3" });
    },
  );
}

Deno.test("minVersion TLSv1.3 refuses a server that offers only TLS 1.2 (both connectors)", async () => {
  const [cert, key] = await Promise.all([
    Deno.readTextFile("/etc/stomp-test-tls/server.pem").catch(() => undefined),
    Deno.readTextFile("/etc/stomp-test-tls/server.key").catch(() => undefined),
  ]);
  if (!cert || !key || !CA_PEM) return console.log("skipped: no test certificates");
  const server = tls.createServer({ cert, key, maxVersion: "TLSv1.2" }, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  try {
    for (const [name, connector] of CONNECTORS) {
      const broker = { protocol: "ssl", host: "127.0.0.1", port } as const;
      const error = await connector(broker, { tls: { caCerts: [CA_PEM], minVersion: "TLSv1.3" }, ...WAIT })
        .catch((e) => e);
      assert.ok(error instanceof StompTlsHandshakeError, `${name}: ${error}`);
      // And the same server is fine without the floor.
      const conn = await connector(broker, { tls: { caCerts: [CA_PEM] }, ...WAIT });
      await conn.close();
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

brokerTest(
  "rabbitmq wss (Deno): a client certificate is offered; insecure says it cannot be done per connection",
  [RABBITMQ.wss, ACTIVEMQ_MTLS],
  async () => {
    const e = RABBITMQ.wss;
    const client = new AsyncStomp(e.uri, {
      login: "guest",
      passcode: "guest",
      host: e.host,
      tls: { caCerts: [CA_PEM!], ...CLIENT_CERT! },
    });
    await client.connect(CONNECT);
    await client.send(uniqueQueue("wss-cert"), "x", {}, { receipt: true, ...WAIT });
    await client.disconnect(WAIT);
    const insecure = new Stomp(`failover:(${e.uri})?startupMaxReconnectAttempts=0`, {
      tls: { insecure: true },
    });
    const error = await insecure.connect(CONNECT).catch((err) => err);
    assert.match(String(error.cause?.message), /--unsafely-ignore-certificate-errors/);
  },
);

Deno.test("config: the TLS options reach the connector unchanged", () => {
  const config = new StompConfig("ssl://h:1", { tls: { minVersion: "TLSv1.3", insecure: false } });
  assert.equal(config.tls?.minVersion, "TLSv1.3");
});

Deno.test("a local server requiring a client certificate: refused without one, accepted with one (both connectors)", async () => {
  const [cert, key] = await Promise.all([
    Deno.readTextFile("/etc/stomp-test-tls/server.pem").catch(() => undefined),
    Deno.readTextFile("/etc/stomp-test-tls/server.key").catch(() => undefined),
  ]);
  if (!cert || !key || !CA_PEM || !CLIENT_CERT) return console.log("skipped: no test certificates");
  // Answers CONNECT with CONNECTED, as far as this test needs a broker.
  const server = tls.createServer(
    { cert, key, ca: [CA_PEM], requestCert: true, rejectUnauthorized: true },
    (s) => {
      s.on("error", () => {});
      s.once("data", () => s.write("CONNECTED\nversion:1.2\n\n\0"));
    },
  );
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  try {
    for (const [name, connector] of CONNECTORS) {
      const uri = `ssl://127.0.0.1:${port}`;
      const error = await refusal(uri, "/", connector, { caCerts: [CA_PEM] });
      assert.match(error.message, /the broker refused the TLS handshake/, name);
      const client: Stomp = new Stomp(uri, { connector, tls: { caCerts: [CA_PEM], ...CLIENT_CERT } });
      assert.equal((await client.connect(CONNECT)).headers.version, "1.2", name);
      await client.close();
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
