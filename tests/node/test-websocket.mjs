// ws:// and wss:// on Node 20, which has no global WebSocket: the `webSocket` option with the `ws`
// package (a dev dependency of this suite only), against RabbitMQ Web-STOMP; and the error that
// names the option when it is missing. Also TLS client certificates through node:tls.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import process from "node:process";
import WebSocket from "ws";
import { AsyncStomp, connect, Stomp, StompConnectionError, StompTlsHandshakeError } from "stompest";
import { brokerTest, CA_PEM, ENDPOINTS, uniqueQueue } from "./brokers.mjs";

const WAIT = { timeout: 10_000 };
const rabbit = ENDPOINTS.find((e) => e.broker === "rabbitmq" && e.protocol === "tcp");
const wsEndpoint = { ...rabbit, uri: "ws://127.0.0.1:15674/ws" };

test(`node ${process.version}: the runtime has no global WebSocket, and ws:// without the option says so`, async () => {
  if (typeof globalThis.WebSocket === "function") return; // Node 22+: nothing to show
  const client = new Stomp(
    "failover:(ws://127.0.0.1:15674/ws)?startupMaxReconnectAttempts=0",
    rabbit.options,
  );
  const error = await client.connect().catch((e) => e);
  assert.ok(error instanceof StompConnectionError);
  assert.match(String(error.cause?.message), /no global WebSocket .*`webSocket` option/);
});

brokerTest(
  "rabbitmq ws:// with the ws package: AsyncStomp round trip, frames split by maxWebSocketChunkSize",
  rabbit,
  async () => {
    const queue = uniqueQueue("node-ws");
    const client = await connect(wsEndpoint.uri, {
      ...rabbit.options,
      webSocket: WebSocket,
      maxWebSocketChunkSize: 1024,
    });
    try {
      const sub = await client.subscribe(queue, { ack: "client-individual" }, { receipt: true, ...WAIT });
      const body = "x".repeat(10_000);
      await client.send(queue, body, {}, { receipt: true, ...WAIT });
      for await (const msg of sub) {
        assert.equal(msg.text(), body);
        await msg.ack({ receipt: true, ...WAIT });
        break;
      }
    } finally {
      await client.disconnect(WAIT);
    }
  },
);

brokerTest("rabbitmq ws:// with a function returning a ws socket: sync Stomp", rabbit, async () => {
  const offered = [];
  const stomp = new Stomp(wsEndpoint.uri, {
    ...rabbit.options,
    subprotocols: ["v12.stomp"],
    webSocket: (url, protocols) => {
      offered.push(protocols);
      return new WebSocket(url, protocols);
    },
  });
  const connected = await stomp.connect();
  assert.equal(connected.headers.version, "1.2");
  assert.deepEqual(offered, [["v12.stomp"]]);
  await stomp.disconnect({ receipt: "bye", ...WAIT });
});

function clientCert() {
  try {
    return {
      cert: readFileSync("/etc/stomp-test-tls/client.pem", "utf8"),
      key: readFileSync("/etc/stomp-test-tls/client.key", "utf8"),
    };
  } catch {
    return undefined;
  }
}

const mtls = ENDPOINTS.find((e) => e.broker === "activemq" && e.protocol === "ssl");
brokerTest(
  "activemq mTLS through node:tls: with the client certificate it connects, without it the handshake is refused",
  mtls,
  async () => {
    const cert = clientCert();
    if (!cert || !CA_PEM) return;
    const uri = "ssl://127.0.0.1:61626";
    const ok = new AsyncStomp(uri, { ...mtls.options, tls: { caCerts: [CA_PEM], ...cert } });
    try {
      await ok.connect();
    } catch (error) {
      // The client-auth listener is not there (a broker configured by an older brokers.sh): skip.
      if (/ECONNREFUSED/.test(String(error?.cause?.message ?? error))) return;
      throw error;
    }
    await ok.disconnect(WAIT);
    const refused = new Stomp(`failover:(${uri})?startupMaxReconnectAttempts=0`, {
      ...mtls.options,
      tls: { caCerts: [CA_PEM] },
    });
    const error = await refused.connect().catch((e) => e);
    assert.ok(error.cause instanceof StompTlsHandshakeError, String(error.cause));
    assert.match(error.cause.message, /the broker refused the TLS handshake/);
  },
);
