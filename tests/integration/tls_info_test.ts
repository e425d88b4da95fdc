// What TLS a connection negotiated, as the clients show it (`client.tls`), against RabbitMQ and
// ActiveMQ: through the Node connector both clients report the same summary, equal to the
// brokers' certificate file read independently; the async client's `connected` event carries it;
// it is gone once disconnected; a plain connection and Deno's TLS connector report none; with
// `insecure` the certificate is still described but not `verified`.
import assert from "node:assert/strict";
import {
  AsyncStomp,
  denoConnector,
  Stomp,
  type StompConnector,
  type StompStatusEvent,
  type StompTlsInfo,
} from "../../mod.ts";
import { nodeConnector } from "../../src/connection/connectors/node.ts";
import { ACTIVEMQ, type BrokerEndpoint, brokerTest, RABBITMQ } from "../helpers/brokers.ts";
import { expectedCertificate } from "../helpers/server_cert.ts";

const WAIT = { timeout: 10_000 };
const CONNECT = { connectTimeout: 10_000, connectedTimeout: 10_000 };

function options(e: BrokerEndpoint, connector: StompConnector, tls = e.tls) {
  return { login: e.login, passcode: e.passcode, host: e.host, connector, tls };
}

/** The summary with dates as ISO strings: what the certificate file gives. */
function plain(tls: StompTlsInfo | undefined) {
  assert.ok(tls?.peerCertificate, `no peer certificate in ${JSON.stringify(tls)}`);
  const cert = tls.peerCertificate;
  return { ...cert, validFrom: cert.validFrom.toISOString(), validTo: cert.validTo.toISOString() };
}

/** `client.tls`, through a call: an assertion on the getter must not narrow later reads of it. */
const tlsOf = (client: { readonly tls: StompTlsInfo | undefined }) => client.tls;

/** Connects both clients, returns what each says while connected, and checks it is gone after. */
async function bothClients(e: BrokerEndpoint, connector: StompConnector, tls = e.tls) {
  const sync = new Stomp(e.uri, options(e, connector, tls));
  assert.equal(tlsOf(sync), undefined, "before connecting");
  await sync.connect(CONNECT);
  const fromSync = tlsOf(sync);
  await sync.disconnect({ receipt: "bye", ...WAIT });
  assert.equal(tlsOf(sync), undefined, "sync client after disconnect");

  const client = new AsyncStomp(e.uri, { ...options(e, connector, tls), reconnect: false });
  const events = client.status();
  await client.connect(CONNECT);
  const fromAsync = tlsOf(client);
  let connected: StompStatusEvent | undefined;
  for await (const event of events) {
    if (event.type === "connected") {
      connected = event;
      break;
    }
  }
  await client.disconnect(WAIT);
  assert.equal(tlsOf(client), undefined, "async client after disconnect");
  assert.equal(connected?.type, "connected");
  return { fromSync, fromAsync, fromEvent: connected?.type === "connected" ? connected.tls : undefined };
}

for (const e of [RABBITMQ.ssl, ACTIVEMQ.ssl]) {
  brokerTest(`${e.broker} ssl (node:tls): both clients show the broker's certificate`, e, async () => {
    const { fromSync, fromAsync, fromEvent } = await bothClients(e, nodeConnector);
    assert.deepEqual(fromAsync, fromSync);
    assert.equal(fromEvent, fromAsync, "the connected event carries the connection's summary");
    assert.match(fromSync!.protocol, /^TLSv1\.[23]$/);
    assert.match(fromSync!.cipher, /^TLS_[A-Z0-9_]+$/);
    assert.equal(fromSync!.verified, true);
    assert.deepEqual(plain(fromSync), await expectedCertificate());
    assert.ok(Object.isFrozen(fromSync) && Object.isFrozen(fromSync!.peerCertificate));
  });

  brokerTest(
    `${e.broker} ssl (Deno's connector): no summary, since Deno.TlsConn exposes none`,
    e,
    async () => {
      const { fromSync, fromAsync, fromEvent } = await bothClients(e, denoConnector);
      assert.deepEqual([fromSync, fromAsync, fromEvent], [undefined, undefined, undefined]);
    },
  );
}

brokerTest(
  "rabbitmq ssl: tls.insecure still describes the certificate, not verified",
  RABBITMQ.ssl,
  async (e) => {
    // Deno's connector hands insecure connections to node:tls, so both connectors report it.
    for (const connector of [nodeConnector, denoConnector]) {
      const { fromSync, fromAsync } = await bothClients(e, connector, { insecure: true });
      assert.deepEqual(fromAsync, fromSync);
      assert.equal(fromSync?.verified, false);
      assert.deepEqual(plain(fromSync), await expectedCertificate());
    }
  },
);

brokerTest("rabbitmq tcp (node:net): a plain connection has no TLS summary", RABBITMQ.tcp, async (e) => {
  const { fromSync, fromAsync, fromEvent } = await bothClients(e, nodeConnector);
  assert.deepEqual([fromSync, fromAsync, fromEvent], [undefined, undefined, undefined]);
});
