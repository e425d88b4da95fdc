// The sync client's everyday flows against the real brokers, every target × version:
// send + subscribe + ack, transactions with receipts, id subscriptions, NACK, disconnect, ERRORs,
// waiting with timeouts.
import assert from "node:assert/strict";
import {
  SPEC,
  StompCancelledError,
  StompConnectionError,
  StompConnectTimeout,
  StompFrame,
  StompFrameError,
  StompProtocolError,
  type StompToken,
} from "../../mod.ts";
import { uniqueQueue } from "../helpers/brokers.ts";
import {
  assertNoSecret,
  collect,
  eachTarget,
  expectMessage,
  expectReceipt,
  individualAck,
  matrix,
  open,
  produce,
  stomp,
  TARGETS,
  WAIT_MS,
} from "./sync_helpers.ts";

matrix("send, subscribe with client acks, ack; unacked messages come back redelivered", async (c) => {
  const queue = uniqueQueue("sync-ack");
  await produce(c, queue, ["m0", "m1", "m2"]);
  // client-individual acks one message; 1.0 only has client, which acks everything up to it.
  const ack = individualAck(c.version);
  const individual = ack === "client-individual";
  {
    await using consumer = c.client();
    await open(consumer, c.version);
    await consumer.subscribe(queue, { ack }, "sub");
    const [m0, m1, m2] = await collect(consumer, ["sub"], 3);
    assert.deepEqual([m0, m1, m2].map((m) => m.text()), ["m0", "m1", "m2"]);
    assert.notEqual(m0.headers.redelivered, "true");
    if (individual) {
      await consumer.ack(m1, "ack-1");
      await expectReceipt(consumer, "ack-1");
      await consumer.ack(m2, "ack-2");
      await expectReceipt(consumer, "ack-2");
    } else {
      await consumer.ack(m1, "ack-1");
      await expectReceipt(consumer, "ack-1");
    }
    await consumer.disconnect({ receipt: "bye" });
  }
  await using again = c.client();
  await open(again, c.version);
  await again.subscribe(queue, { ack }, "sub-2");
  await produce(c, queue, ["marker"]);
  const [back, marker] = await collect(again, ["sub-2"], 2);
  // The one message never acked comes back first, marked; nothing acked does.
  assert.equal(back.text(), individual ? "m0" : "m2");
  assert.equal(back.headers.redelivered, "true");
  assert.equal(marker.text(), "marker");
  await again.ack(marker, "ack-marker");
  await expectReceipt(again, "ack-marker");
  await again.disconnect({ receipt: "bye" });
}, { needs: ["client-acks"] });

matrix("transactions with receipts: COMMIT delivers, ABORT drops the transactional send", async (c) => {
  const queue = uniqueQueue("sync-tx");
  await using client = c.client();
  await open(client, c.version);
  const committed = await client.begin("tx-commit", "begin-1");
  assert.equal(committed, "tx-commit");
  await expectReceipt(client, "begin-1");
  const atOnce = c.target.quirks.txReceiptAtOnce;
  await client.send(queue, "committed", { transaction: committed }, "send-1");
  if (atOnce) await expectReceipt(client, "send-1");
  await client.commit(committed, "commit-1");
  await collect(client, atOnce ? ["commit-1"] : ["commit-1", "send-1"], 0);

  const aborted = await client.begin(undefined, "begin-2");
  assert.ok(aborted.length > 0);
  await expectReceipt(client, "begin-2");
  await client.send(queue, "aborted", { transaction: aborted }, "send-2");
  if (atOnce) await expectReceipt(client, "send-2");
  await client.abort(aborted, "abort-2");
  // RabbitMQ never answers the aborted SEND's receipt; a stray one would break `collect` below.
  await expectReceipt(client, "abort-2");
  assert.deepEqual([...client.session.transactions], []);
  assert.deepEqual([...client.session.receipts], atOnce ? [] : ["send-2"]);

  // The helper: COMMIT when fn resolves; ABORT and the same error when it throws.
  const value = await client.transaction(async (tx) => {
    await client.send(queue, "helper-committed", { transaction: tx });
    return 42;
  }, { receipt: "h1" });
  assert.equal(value, 42);
  await expectReceipt(client, "h1-begin");
  await expectReceipt(client, "h1-commit");
  const boom = new Error("boom");
  await assert.rejects(
    client.transaction(async (tx) => {
      await client.send(queue, "helper-aborted", { transaction: tx });
      throw boom;
    }, { id: "tx-helper", receipt: "h2" }),
    (error) => error === boom,
  );
  await expectReceipt(client, "h2-begin");
  await expectReceipt(client, "h2-abort");

  await client.send(queue, "marker", {}, "send-marker");
  await expectReceipt(client, "send-marker");
  await client.subscribe(queue, {}, "sub");
  // The queue holds what was committed, then the marker: the aborted sends never reached it.
  const messages = await collect(client, ["sub"], 3);
  assert.deepEqual(messages.map((m) => m.text()), ["committed", "helper-committed", "marker"]);
  await client.disconnect({ receipt: "bye" });
}, { needs: ["one-receipt-per-frame"] });

matrix(
  "id subscriptions: MESSAGEs name their subscription; UNSUBSCRIBE with receipt stops delivery",
  async (c) => {
    const [a, b] = [uniqueQueue("sync-id-a"), uniqueQueue("sync-id-b")];
    await using client = c.client();
    await open(client, c.version);
    const named = await client.subscribe(a, { id: "sub-a" }, "sub-a");
    const generated = await client.subscribe(b, {}, "sub-b");
    await collect(client, ["sub-a", "sub-b"], 0);
    const idOf = (token: StompToken) => client.session.subscription(token)?.id;
    if (SPEC[c.version].subscribeNeedsId) {
      assert.equal(idOf(named), "sub-a");
      assert.ok(idOf(generated), "an id is generated in 1.1+");
    }
    await client.send(a, "to-a");
    assert.equal((await expectMessage(client, "to-a")).headers.subscription, idOf(named));
    await client.send(b, "to-b");
    assert.equal((await expectMessage(client, "to-b")).headers.subscription, idOf(generated));

    await client.unsubscribe(named, "unsub-a");
    await expectReceipt(client, "unsub-a");
    assert.equal(client.session.subscription(named), undefined);
    await client.send(a, "after-unsubscribe", {}, "send-a");
    await expectReceipt(client, "send-a");
    // Delivered to nobody, so still queued: a new subscription gets it, under its own id.
    const fresh = await client.subscribe(a, { id: "sub-a2" });
    const message = await expectMessage(client, "after-unsubscribe");
    assert.equal(message.headers.subscription, client.session.subscription(fresh)?.id);
    await client.disconnect({ receipt: "bye" });
  },
  { needs: ["subscription-ids"] },
);

matrix("NACK: RabbitMQ requeues at once, ActiveMQ drops a non-persistent message", async (c) => {
  const queue = uniqueQueue("sync-nack");
  await using client = c.client();
  await open(client, c.version);
  await client.subscribe(queue, { ack: "client-individual" }, "sub");
  await client.send(queue, "refused", {}, "send-1");
  const [message] = await collect(client, ["sub", "send-1"], 1);
  await client.nack(message, "nack");
  await client.send(queue, "marker", {}, "send-2");
  const next = await collect(client, ["nack", "send-2"], c.target.quirks.nackRequeues ? 2 : 1);
  if (c.target.quirks.nackRequeues) {
    assert.deepEqual(next.map((m) => m.text()), ["refused", "marker"]);
    assert.equal(next[0].headers.redelivered, "true");
  } else {
    assert.deepEqual(next.map((m) => m.text()), ["marker"]);
  }
  for (const m of next) await client.ack(m);
  await client.disconnect({ receipt: "bye" });
}, { versions: ["1.1", "1.2"] });

matrix("DISCONNECT with receipt: RECEIPT, then the broker closes (EOF)", async (c) => {
  await using client = c.client();
  await open(client, c.version);
  // Sent by hand so the client does not close the socket itself: the EOF must be the broker's.
  await client.sendFrame(client.session.disconnect("bye"));
  if (c.target.quirks.disconnectReceipt) await expectReceipt(client, "bye");
  const eof = await client.receiveFrame({ timeout: WAIT_MS }).catch((e) => e);
  assert.ok(eof instanceof StompConnectionError, `expected EOF, got ${eof}`);
  assert.match(eof.message, /the broker closed the connection/);
  await assert.rejects(client.send("/queue/x", "late"), StompConnectionError);
  await assert.rejects(client.canRead(0), StompConnectionError);
});

matrix("disconnect({ receipt }) resolves; afterwards every call says not connected", async (c) => {
  await using client = c.client();
  await open(client, c.version);
  const queue = uniqueQueue("sync-bye");
  await client.subscribe(queue);
  await client.disconnect({ receipt: "bye", timeout: WAIT_MS });
  assert.deepEqual([...client.session], [], "disconnect forgets the subscriptions");
  await assert.rejects(client.receiveFrame({ timeout: 10 }), StompConnectionError);
  await assert.rejects(client.send(queue, "x"), StompConnectionError);
  await assert.rejects(client.subscribe(queue), StompConnectionError);
  await assert.rejects(client.disconnect(), StompConnectionError);
  // And it connects again.
  await open(client, c.version);
  await client.disconnect({ receipt: "bye-2" });
}, { needs: ["disconnect-receipt"] });

matrix(
  "an ERROR mid-session is a StompProtocolError with the frame; the connection stays usable",
  async (c) => {
    await using client = c.client();
    await open(client, c.version);
    await client.sendFrame(c.target.quirks.badFrame!(c.version));
    const error = await client.receiveFrame({ timeout: WAIT_MS }).catch((e) => e);
    assert.ok(error instanceof StompProtocolError, `expected ERROR, got ${error}`);
    assert.equal(error.frame?.command, "ERROR");
    assert.ok(error.frame?.headers.message, "the ERROR frame carries its message header");
    const queue = uniqueQueue("sync-after-error");
    await client.send(queue, "still here", {}, "after");
    await expectReceipt(client, "after");
    await client.disconnect({ receipt: "bye" });
  },
  { targets: TARGETS.filter((t) => t.quirks.badFrame) },
);

matrix("heart-beats need 1.1: beat() on 1.0 is refused without touching the connection", async (c) => {
  await using client = c.client();
  await open(client, c.version);
  await assert.rejects(client.beat(), StompProtocolError);
  await client.send(uniqueQueue("sync-10"), "x", {}, "r");
  await expectReceipt(client, "r");
  await client.disconnect({ receipt: "bye" });
}, { versions: ["1.0"] });

eachTarget(
  "a bad login: StompConnectTimeout whose cause carries the ERROR frame; the passcode shows nowhere",
  async (t) => {
    const passcode = `wrong-${crypto.randomUUID()}`;
    // ActiveMQ lets anonymous users in, so only a wrong password for a real user is refused.
    const client = stomp(t, { login: "admin", passcode });
    const timeout = await client.connect().catch((e) => e);
    assert.ok(timeout instanceof StompConnectTimeout, `expected StompConnectTimeout, got ${timeout}`);
    assertNoSecret(timeout, passcode);
    const error = timeout.cause;
    assert.ok(error instanceof StompProtocolError, `expected ERROR, got ${error}`);
    assert.equal(error.frame?.command, "ERROR");
    assertNoSecret(error, passcode);
    assert.ok(!error.frame!.info().includes(passcode));
    assert.ok(!JSON.stringify(error.frame).includes(passcode));
    assert.ok(!String(client.config).includes(passcode) && !JSON.stringify(client.config).includes(passcode));
    await assert.rejects(client.receiveFrame({ timeout: 10 }), StompConnectionError);
    await client.close();
  },
);

eachTarget(
  "receiveFrame: a timeout or an abort is a StompCancelledError; frames still flow after",
  async (t) => {
    await using client = stomp(t);
    await open(client);
    const started = performance.now();
    await assert.rejects(client.receiveFrame({ timeout: 50 }), StompCancelledError);
    assert.ok(performance.now() - started >= 45);
    const controller = new AbortController();
    const waiting = client.receiveFrame({ signal: controller.signal });
    const reason = new Error("enough");
    controller.abort(reason);
    const aborted = await waiting.catch((e) => e);
    assert.ok(aborted instanceof StompCancelledError);
    assert.equal(aborted.cause, reason);
    await assert.rejects(client.receiveFrame({ signal: AbortSignal.abort() }), StompCancelledError);
    await client.send(uniqueQueue("sync-cancel"), "x", {}, "r");
    await expectReceipt(client, "r");
    await client.disconnect({ receipt: "bye" });
  },
);

eachTarget(
  "canRead: false when idle, true as soon as a frame arrives, throws once disconnected",
  async (t) => {
    await using client = stomp(t);
    await open(client);
    const queue = uniqueQueue("sync-canread");
    await client.subscribe(queue, {}, "sub");
    assert.equal(await client.canRead(WAIT_MS), true, "the subscribe receipt is readable");
    await expectReceipt(client, "sub");
    assert.equal(await client.canRead(0), false);
    assert.equal(await client.canRead(30), false);
    // Waits for the delivery itself; the producer runs concurrently.
    await using producer = stomp(t);
    await open(producer);
    const readable = client.canRead(WAIT_MS);
    await producer.send(queue, "wake up");
    assert.equal(await readable, true);
    assert.equal(await client.canRead(0), true);
    await expectMessage(client, "wake up");
    await producer.disconnect({ receipt: "p-bye" });
    await client.disconnect({ receipt: "bye" });
    await assert.rejects(client.canRead(0), StompConnectionError);
  },
);

eachTarget("a frame that cannot be written is a StompFrameError and the connection carries on", async (t) => {
  await using client = stomp(t, { versions: ["1.0"] });
  await open(client, "1.0");
  // 1.0 has no header escapes: a line feed in a value would inject a header.
  await assert.rejects(client.send(uniqueQueue("sync-refused"), "x", { note: "a\nb" }), StompFrameError);
  await assert.rejects(
    client.sendFrame(new StompFrame("SEND", { destination: "/queue/x", "bad\nname": "v" }, "", "1.0")),
    StompFrameError,
  );
  await client.send(uniqueQueue("sync-refused"), "fine", {}, "r");
  await expectReceipt(client, "r");
  await client.disconnect({ receipt: "bye" });
});
