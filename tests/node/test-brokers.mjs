// The npm package under Node against real RabbitMQ and ActiveMQ, over TCP and TLS (node:net /
// node:tls through the package's Node entry): both clients' round trips and failover.

import assert from "node:assert/strict";
import { AsyncStomp, connect, Stomp } from "stompest";
import { ACTIVEMQ, brokerTest, deadPort, ENDPOINTS, RABBITMQ, uniqueQueue } from "./brokers.mjs";

const WAIT = { timeout: 10_000 };

for (const endpoint of ENDPOINTS) {
  const label = `${endpoint.broker} ${endpoint.protocol}`;

  brokerTest(`${label}: AsyncStomp iterator round trip`, endpoint, async (e) => {
    const queue = uniqueQueue("node-async");
    const client = await connect(e.uri, e.options);
    try {
      assert.equal(client.connected, true);
      const sub = await client.subscribe(queue, { ack: "client-individual" }, { receipt: true, ...WAIT });
      const sent = { count: 1, via: label };
      await client.send(queue, JSON.stringify(sent), { "content-type": "application/json" }, {
        receipt: true,
        ...WAIT,
      });
      let received;
      for await (const msg of sub) {
        received = msg.json();
        assert.equal(msg.destination, queue);
        await msg.ack({ receipt: true, ...WAIT });
        break;
      }
      assert.deepEqual(received, sent);
    } finally {
      await client.disconnect(WAIT);
    }
    await client.disconnected;
    assert.equal(client.connected, false);
  });

  brokerTest(`${label}: sync Stomp round trip`, endpoint, async (e) => {
    const queue = uniqueQueue("node-sync");
    const stomp = new Stomp(e.uri, e.options);
    const connected = await stomp.connect();
    assert.equal(connected.command, "CONNECTED");
    assert.equal(connected.headers.version, "1.2");
    await stomp.subscribe(queue, { ack: "client-individual" });
    await stomp.send(queue, "héllo from node");
    const frame = await stomp.receiveFrame(WAIT);
    assert.equal(frame.command, "MESSAGE");
    assert.equal(frame.text(), "héllo from node");
    assert.equal(frame.headers.destination, queue);
    await stomp.ack(frame);
    assert.equal(await stomp.canRead(0), false);
    await stomp.disconnect({ receipt: "bye", ...WAIT });
  });
}

brokerTest("failover: skips a dead port, lands on RabbitMQ over TLS", RABBITMQ.ssl, async (e) => {
  const dead = await deadPort();
  const uri = `failover:(tcp://127.0.0.1:${dead},${e.uri})?randomize=false&startupMaxReconnectAttempts=1`;
  const events = [];
  const client = new AsyncStomp(uri, e.options);
  const status = (async () => {
    for await (const event of client.status()) events.push(event);
  })();
  try {
    const connected = await client.connect();
    assert.match(connected.headers.server ?? "", /^RabbitMQ/);
    const queue = uniqueQueue("node-failover");
    const sub = await client.subscribe(queue, {}, { receipt: true, ...WAIT });
    await client.send(queue, "via failover", {}, { receipt: true, ...WAIT });
    for await (const msg of sub) {
      assert.equal(msg.text(), "via failover");
      break;
    }
  } finally {
    await client.disconnect(WAIT);
    await client.close();
  }
  await status;
  const tried = events.filter((event) => event.type === "connecting").map((event) => event.broker.port);
  assert.deepEqual(tried, [dead, 61614]);
});

brokerTest("failover: RabbitMQ down in the list, ActiveMQ answers", ACTIVEMQ.tcp, async (e) => {
  const dead = await deadPort();
  const uri = `failover:(tcp://127.0.0.1:${dead},${e.uri})?randomize=false&startupMaxReconnectAttempts=1`;
  const stomp = new Stomp(uri, e.options);
  const connected = await stomp.connect();
  assert.match(connected.headers.server ?? "", /^ActiveMQ/);
  await stomp.disconnect({ receipt: "bye", ...WAIT });
});

for (const endpoint of [RABBITMQ.ssl, ACTIVEMQ.tcp]) {
  brokerTest(
    `${endpoint.broker} ${endpoint.protocol}: 3 × 4 MiB sent at once arrive intact`,
    endpoint,
    async (e) => {
      // Big concurrent writes take the connector's drain path (socket.write beyond its buffer).
      const queue = uniqueQueue("node-big");
      const client = await connect(e.uri, e.options);
      try {
        const sub = await client.subscribe(queue, { ack: "client-individual" }, { receipt: true, ...WAIT });
        const bodies = [0, 1, 2].map((n) => new Uint8Array(4 * 1024 * 1024).map((_, i) => (i * 7 + n) % 251));
        await Promise.all(
          bodies.map((body) => client.send(queue, body, {}, { receipt: true, timeout: 30_000 })),
        );
        const seen = [];
        for await (const msg of sub) {
          const body = msg.frame.body;
          const n = bodies.findIndex((b) => b.length === body.length && b.every((x, i) => x === body[i]));
          assert.notEqual(n, -1, "a body arrived changed");
          seen.push(n);
          await msg.ack();
          if (seen.length === bodies.length) break;
        }
        assert.deepEqual(seen.sort(), [0, 1, 2]);
      } finally {
        await client.disconnect(WAIT);
      }
    },
  );
}
