// What TLS a connection negotiated, under Node through the npm package (node:tls is the default
// ssl:// connector there): both clients show the same summary of RabbitMQ's and ActiveMQ's
// certificate, equal to the certificate file read independently; a plain connection shows none.

import assert from "node:assert/strict";
import { AsyncStomp, Stomp } from "stompest";
import { ACTIVEMQ, brokerTest, RABBITMQ } from "./brokers.mjs";
import { expectedCertificate } from "./server_cert.mjs";

const WAIT = { timeout: 10_000 };
const CONNECT = { connectTimeout: 10_000, connectedTimeout: 10_000 };

/** What each client says while connected; both must say nothing once disconnected. */
async function bothClients(e) {
  const sync = new Stomp(e.uri, e.options);
  await sync.connect(CONNECT);
  const fromSync = sync.tls;
  await sync.disconnect({ receipt: "bye", ...WAIT });
  assert.equal(sync.tls, undefined);
  const client = new AsyncStomp(e.uri, { ...e.options, reconnect: false });
  await client.connect(CONNECT);
  const fromAsync = client.tls;
  await client.disconnect(WAIT);
  assert.equal(client.tls, undefined);
  return { fromSync, fromAsync };
}

for (const endpoint of [RABBITMQ.ssl, ACTIVEMQ.ssl]) {
  brokerTest(
    `tls (node) ${endpoint.broker}: both clients show the broker's certificate`,
    endpoint,
    async (e) => {
      const { fromSync, fromAsync } = await bothClients(e);
      assert.deepEqual(fromAsync, fromSync);
      assert.match(fromSync.protocol, /^TLSv1\.[23]$/);
      assert.match(fromSync.cipher, /^TLS_[A-Z0-9_]+$/);
      assert.equal(fromSync.verified, true);
      const cert = fromSync.peerCertificate;
      assert.deepEqual(
        { ...cert, validFrom: cert.validFrom.toISOString(), validTo: cert.validTo.toISOString() },
        expectedCertificate(),
      );
    },
  );
}

brokerTest("tls (node) rabbitmq tcp: a plain connection has no TLS summary", RABBITMQ.tcp, async (e) => {
  const { fromSync, fromAsync } = await bothClients(e);
  assert.deepEqual([fromSync, fromAsync], [undefined, undefined]);
});
