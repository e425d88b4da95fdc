// Failover and reconnects of the sync client against the real brokers: a dead broker in the
// failover URI, the startup and reconnect limits, and a socket that fails under a connected client
// whose subscriptions connect() then replays.
import assert from "node:assert/strict";
import { SPEC, StompConnectionError, StompConnectTimeout } from "../../mod.ts";
import { uniqueQueue } from "../helpers/brokers.ts";
import { TappedConnector } from "../helpers/connectors.ts";
import {
  assertNoSecret,
  collect,
  deadPort,
  eachTarget,
  expectMessage,
  expectReceipt,
  individualAck,
  matrix,
  open,
  produce,
  stomp,
  withPort,
} from "./sync_helpers.ts";

const FAST = "randomize=false&initialReconnectDelay=1";

eachTarget(
  "failover: a dead first broker is skipped with the defaults (one attempt = one pass)",
  async (t) => {
    const dead = withPort(t, deadPort());
    const k = new TappedConnector(t.connector);
    await using client = stomp(t, {
      uri: `failover:(${dead},${t.endpoint.uri})?${FAST}`,
      connector: k.connector,
    });
    await open(client);
    assert.deepEqual(k.attempts, [dead, t.endpoint.uri]);
    const queue = uniqueQueue("sync-failover");
    await client.subscribe(queue, {}, "sub");
    await expectReceipt(client, "sub");
    await client.send(queue, "through the live broker");
    await expectMessage(client, "through the live broker");
    await client.disconnect({ receipt: "bye" });
  },
);

eachTarget(
  "failover: only dead brokers, defaults: one pass, an error naming each broker's failure",
  async (t) => {
    const ports = [deadPort(), deadPort()];
    const [a, b] = ports.map((port) => withPort(t, port));
    const k = new TappedConnector(t.connector);
    const passcode = `secret-${crypto.randomUUID()}`;
    const client = stomp(t, { uri: `failover:(${a},${b})?${FAST}`, connector: k.connector, passcode });
    const error = await client.connect().catch((e) => e);
    assert.ok(error instanceof StompConnectTimeout, `expected StompConnectTimeout, got ${error}`);
    assert.equal(error.attempts, 1);
    assert.match(error.message, /after 1 attempt \(2 tries over 2 brokers; startupMaxReconnectAttempts=0\)/);
    for (const port of ports) assert.match(error.message, new RegExp(`:${port}\\b`));
    assert.deepEqual(error.failures?.map((f) => f.broker), [a, b]);
    assert.ok(error.failures?.every((f) => f.error instanceof StompConnectionError));
    assert.deepEqual(k.attempts, [a, b]);
    assertNoSecret(error, passcode);
    await assert.rejects(client.send("/queue/x", "x"), StompConnectionError);
    await client.close();
  },
);

eachTarget(
  "failover: only dead brokers: gives up after 1 + startupMaxReconnectAttempts passes",
  async (t) => {
    const [a, b] = [withPort(t, deadPort()), withPort(t, deadPort())];
    const k = new TappedConnector(t.connector);
    const client = stomp(t, {
      uri: `failover:(${a},${b})?${FAST}&startupMaxReconnectAttempts=2`,
      connector: k.connector,
    });
    const error = await client.connect().catch((e) => e);
    assert.ok(error instanceof StompConnectTimeout, `expected StompConnectTimeout, got ${error}`);
    assert.equal(error.attempts, 3);
    assert.deepEqual(k.attempts, [a, b, a, b, a, b]);
    await client.close();
  },
);

eachTarget(
  "failover: once connected, maxReconnectAttempts=0 is still one pass over every broker",
  async (t) => {
    const dead = withPort(t, deadPort());
    const k = new TappedConnector(t.connector);
    await using client = stomp(t, {
      uri: `failover:(${dead},${t.endpoint.uri})?${FAST}&maxReconnectAttempts=0`,
      connector: k.connector,
    });
    await open(client);
    assert.equal(k.attempts.length, 2);
    await client.close({ flush: false });
    await open(client);
    assert.deepEqual(k.attempts, [dead, t.endpoint.uri, dead, t.endpoint.uri]);
    await client.close({ flush: false });
  },
);

matrix(
  "socket failure: the next call fails, connect() replays the subscription, messages flow",
  async (c) => {
    const queue = uniqueQueue("sync-replay");
    const k = new TappedConnector(c.target.connector);
    await using client = c.client({ connector: k.connector });
    await open(client, c.version);
    const ack = individualAck(c.version);
    const token = await client.subscribe(queue, { ack }, "sub");
    await expectReceipt(client, "sub");
    await produce(c, queue, ["before"]);
    const before = await expectMessage(client, "before");
    assert.notEqual(before.headers.redelivered, "true");

    await k.resetSocket("simulated socket failure");
    const lost = await client.receiveFrame({ timeout: 5000 }).catch((e) => e);
    assert.ok(lost instanceof StompConnectionError, `expected StompConnectionError, got ${lost}`);
    assert.match(lost.message, /simulated socket failure/);
    await assert.rejects(client.ack(before), StompConnectionError);
    await assert.rejects(client.send(queue, "lost"), StompConnectionError);
    await assert.rejects(client.receiveFrame({ timeout: 10 }), StompConnectionError);
    assert.deepEqual([...client.session].map((s) => s.token), [token], "the subscription is kept");

    await open(client, c.version);
    assert.equal(k.attempts.length, 2);
    // The replayed SUBSCRIBE asks for its receipt again; the unacked message comes back to it.
    const [again] = await collect(client, ["sub"], 1);
    assert.equal(again.text(), "before");
    assert.equal(again.headers.redelivered, "true");
    const id = client.session.subscription(token)?.id;
    if (SPEC[c.version].subscribeNeedsId) assert.equal(again.headers.subscription, id);
    await client.ack(again, "ack-again");
    await expectReceipt(client, "ack-again");
    await produce(c, queue, ["after"]);
    const after = await expectMessage(client, "after");
    if (SPEC[c.version].subscribeNeedsId) assert.equal(after.headers.subscription, id);
    await client.ack(after, "ack-after");
    await expectReceipt(client, "ack-after");
    await client.disconnect({ receipt: "bye" });
  },
  { needs: ["client-acks"] },
);
