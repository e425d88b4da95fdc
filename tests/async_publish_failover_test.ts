// AsyncStomp producing through connection losses, on the in-process test broker: calls wait out a
// reconnect in call order, receipted sends are resent (at-least-once, marked, with a stable publish
// id), every wait is bounded, the outbox is bounded, and a lost transaction fails with a typed error.
// The broker's dropOnSend fault cuts the connection at a SEND before or after storing it, so both
// branches of "was it stored?" are exercised deterministically.
import assert from "node:assert/strict";
import {
  AsyncStomp,
  type AsyncStompOptions,
  PUBLISH_ID_HEADER,
  RESEND_HEADER,
  StompCancelledError,
  StompConnectionError,
  StompConnectTimeout,
  type StompFrame,
  type StompStatusEvent,
  StompTransactionLostError,
} from "../mod.ts";
import { StompTestBroker } from "../src/testing/mod.ts";

const QUEUE = "/queue/out";
/** Retries forever, quickly: the test decides when the broker comes back. */
const FOREVER = "failover:(tcp://test:1)?initialReconnectDelay=1&maxReconnectDelay=5";

function client(broker: StompTestBroker, options: AsyncStompOptions = {}, uri = FOREVER): AsyncStomp {
  return new AsyncStomp(uri, {
    login: "guest",
    passcode: "guest",
    connector: broker.connector,
    heartBeats: [0, 0],
    ...options,
  });
}

/** Resolves with the first status event matching `until`; rejects after `timeout` ms. */
async function statusEvent(
  events: AsyncIterableIterator<StompStatusEvent>,
  until: (e: StompStatusEvent) => boolean,
  timeout = 5000,
): Promise<StompStatusEvent> {
  const timer = setTimeout(() => events.return?.(), timeout);
  try {
    for await (const e of events) if (until(e)) return e;
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`no such status event within ${timeout} ms`);
}

/** Drops the client's connection and keeps the broker refusing until the test lets it back in. */
async function goDown(broker: StompTestBroker, c: AsyncStomp): Promise<void> {
  const events = c.status();
  broker.faults.refuse = true;
  await broker.drop();
  await statusEvent(events, (e) => e.type === "disconnected");
  events.return?.();
}

/** Lets the broker take connections again and resolves once the client is connected. */
async function comeBack(broker: StompTestBroker, c: AsyncStomp): Promise<void> {
  const events = c.status();
  broker.faults.refuse = false;
  await statusEvent(events, (e) => e.type === "connected");
  events.return?.();
}

const sends = (broker: StompTestBroker, connection?: number) =>
  broker.frames.filter((r) =>
    r.frame.command === "SEND" && (connection === undefined || r.connection === connection)
  )
    .map((r) => r.frame);

function resendCount(frame: StompFrame): number {
  return Number(frame.headers[RESEND_HEADER] ?? 0);
}

Deno.test("a receipted send whose connection drops after the broker stored it is resent and resolves", async () => {
  await using broker = new StompTestBroker();
  broker.faults.dropOnSend = { at: "after-store" };
  const c = client(broker);
  await c.connect();
  await c.send(QUEUE, "a", { n: 1 }, { receipt: true, timeout: 5000 });
  const stored = broker.queue(QUEUE);
  // Two stored copies: the original and the resend, one publish id, only the resend marked.
  assert.equal(stored.length, 2);
  assert.equal(stored[0].headers[RESEND_HEADER], undefined);
  assert.equal(stored[1].headers[RESEND_HEADER], "1");
  assert.equal(stored[0].headers[PUBLISH_ID_HEADER], stored[1].headers[PUBLISH_ID_HEADER]);
  assert.ok(stored[0].headers[PUBLISH_ID_HEADER]);
  assert.deepEqual(stored.map((m) => [m.text(), m.headers.n]), [["a", "1"], ["a", "1"]]);
  // A new receipt id on the second connection.
  const [first, second] = sends(broker);
  assert.notEqual(first.headers.receipt, second.headers.receipt);
  assert.equal(c.outbox.resends, 1);
  assert.equal(c.outbox.size, 0);
  // The consumer sees which copy is the resend.
  const sub = await c.subscribe(QUEUE, {}, { ack: "auto" });
  const it = sub[Symbol.asyncIterator]();
  const m1 = (await it.next()).value!, m2 = (await it.next()).value!;
  assert.deepEqual([m1.resent, m2.resent], [false, true]);
  assert.equal(m1.publishId, m2.publishId);
  await c.disconnect();
});

Deno.test("a receipted send whose connection drops before the broker stored it is resent: stored once", async () => {
  await using broker = new StompTestBroker();
  broker.faults.dropOnSend = { at: "before-store" };
  const c = client(broker);
  await c.connect();
  await c.send(QUEUE, "a", {}, { receipt: true, timeout: 5000 });
  const stored = broker.queue(QUEUE);
  assert.equal(stored.length, 1);
  assert.equal(stored[0].headers[RESEND_HEADER], "1");
  assert.equal(c.outbox.resends, 1);
  await c.disconnect();
});

Deno.test("in-flight receipted sends are all resent, in order, before newer sends; duplicates are the marked ones", async () => {
  for (const at of ["before-store", "after-store"] as const) {
    await using broker = new StompTestBroker();
    // The 7th SEND of the first connection kills it: 7 is stored or not, 8-20 never arrive.
    broker.nextConnection({ dropOnSend: { at, nth: 7 } });
    const c = client(broker);
    await c.connect();
    const send = (i: number) => c.send(QUEUE, `m${i}`, { i }, { receipt: true });
    // 0-5 confirmed before the rest go out in one batch, whose first SEND (6) kills the connection.
    await Promise.all(Array.from({ length: 6 }, (_, i) => send(i)));
    await Promise.all(Array.from({ length: 14 }, (_, i) => send(i + 6)));
    const stored = broker.queue(QUEUE);
    // Every send was stored at least once; a second copy of one is always a marked resend.
    const byId = Map.groupBy(stored, (m) => m.headers[PUBLISH_ID_HEADER]);
    assert.equal(byId.size, 20, at);
    for (const copies of byId.values()) assert.ok(copies.filter((m) => !resendCount(m)).length <= 1, at);
    // First copies in send order.
    const firsts = [...byId.values()].map((copies) => Number(copies[0].headers.i));
    assert.deepEqual(firsts, Array.from({ length: 20 }, (_, i) => i), at);
    // The second connection got the unconfirmed ones (7..20, or 8..20 when 7 was stored) resent, in order.
    const again = sends(broker, 1).map((f) => Number(f.headers.i));
    assert.deepEqual(again, Array.from({ length: 14 }, (_, i) => i + 6), at);
    assert.ok(sends(broker, 1).every((f) => f.headers[RESEND_HEADER] === "1"), at);
    assert.equal(stored.length, at === "after-store" ? 21 : 20, at);
    await c.disconnect();
  }
});

Deno.test("calls made while reconnecting wait and go out after the replay and the resends, in call order", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  await c.subscribe("/queue/in", {}, { ack: "client-individual", receipt: true });
  // Stored, but its RECEIPT held back until the connection is gone.
  broker.faults.delay = 60_000;
  const pending = c.send(QUEUE, "unconfirmed", {}, { receipt: true });
  await broker.waitFor("SEND");
  await goDown(broker, c);
  broker.faults.delay = undefined;
  const later = [
    c.send(QUEUE, "plain"),
    c.begin("tx-1"),
    c.send(QUEUE, "in tx", { transaction: "tx-1" }),
    c.commit("tx-1"),
    c.send(QUEUE, "receipted", {}, { receipt: true }),
  ];
  await comeBack(broker, c);
  await Promise.all([pending, ...later]);
  const frames = broker.frames.filter((r) => r.connection === 1).map((r) => r.frame);
  assert.deepEqual(
    frames.map((f) => f.command === "SEND" ? `SEND ${f.text()}` : f.command),
    [
      "CONNECT",
      "SUBSCRIBE",
      "SEND unconfirmed",
      "SEND plain",
      "BEGIN",
      "SEND in tx",
      "COMMIT",
      "SEND receipted",
    ],
  );
  assert.deepEqual(broker.queue(QUEUE).map((m) => m.text()), [
    "unconfirmed",
    "unconfirmed",
    "plain",
    "in tx",
    "receipted",
  ]);
  await c.disconnect();
});

Deno.test("retry: false, per call and per client: the receipted send rejects when its connection is lost", async () => {
  for (
    const [name, clientRetry, callRetry] of [["call", undefined, false], [
      "client",
      false,
      undefined,
    ]] as const
  ) {
    await using broker = new StompTestBroker();
    broker.faults.dropOnSend = { at: "after-store" };
    const c = client(broker, { retry: clientRetry });
    await c.connect();
    const error = await c.send(QUEUE, "a", {}, { receipt: true, retry: callRetry }).catch((e) => e);
    assert.ok(error instanceof StompConnectionError, `${name}: ${error}`);
    assert.equal(broker.queue(QUEUE).length, 1, name);
    assert.equal(broker.queue(QUEUE)[0].headers[PUBLISH_ID_HEADER], undefined, name);
    assert.equal(c.outbox.resends, 0, name);
    await c.close();
  }
});

Deno.test("a fire-and-forget send is not resent; one made while reconnecting goes out after", async () => {
  await using broker = new StompTestBroker();
  broker.faults.dropOnSend = { at: "before-store" };
  const c = client(broker);
  await c.connect();
  await c.send(QUEUE, "lost"); // written: resolved, then the broker dropped it unstored
  await statusEvent(c.status(), (e) => e.type === "connected");
  await c.send(QUEUE, "kept");
  assert.deepEqual(broker.queue(QUEUE).map((m) => m.text()), ["kept"]);
  await c.disconnect();
});

Deno.test("waiting calls: timeout and signal reject with StompCancelledError and are never written", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  await goDown(broker, c);
  const aborter = new AbortController();
  const timedOut = c.send(QUEUE, "t", {}, { receipt: true, timeout: 30 }).catch((e) => e);
  const aborted = c.send(QUEUE, "s", {}, { signal: aborter.signal }).catch((e) => e);
  const begun = c.begin(undefined, { timeout: 30 }).catch((e) => e);
  aborter.abort(new Error("changed my mind"));
  const [e1, e2, e3] = await Promise.all([timedOut, aborted, begun]);
  assert.ok(e1 instanceof StompCancelledError && /timed out after 30 ms/.test(e1.message), String(e1));
  assert.ok(e2 instanceof StompCancelledError && /aborted/.test(e2.message), String(e2));
  assert.equal((e2.cause as Error).message, "changed my mind");
  assert.ok(e3 instanceof StompCancelledError, String(e3));
  assert.equal(c.outbox.size, 0);
  await comeBack(broker, c);
  await c.send(QUEUE, "after", {}, { receipt: true });
  assert.deepEqual(broker.queue(QUEUE).map((m) => m.text()), ["after"]);
  assert.ok(!broker.frames.some((r) => r.frame.command === "BEGIN"));
  await c.disconnect();
});

Deno.test("reconnectWait bounds the wait for a connection; whileReconnecting: fail throws at once", async () => {
  await using broker = new StompTestBroker();
  const waiting = client(broker, { reconnectWait: 30 });
  const failing = client(broker, { whileReconnecting: "fail" });
  await waiting.connect();
  await failing.connect();
  const events = [waiting.status(), failing.status()];
  broker.faults.refuse = true;
  await broker.drop();
  await Promise.all(events.map((e) => statusEvent(e, (s) => s.type === "disconnected")));
  const e1 = await waiting.send(QUEUE, "x").catch((e) => e);
  assert.ok(e1 instanceof StompCancelledError && /timed out after 30 ms/.test(e1.message), String(e1));
  const e2 = await failing.send(QUEUE, "x", {}, { receipt: true }).catch((e) => e);
  assert.ok(
    e2 instanceof StompConnectionError && /not connected \(reconnecting\)/.test(e2.message),
    String(e2),
  );
  await Promise.all([waiting.close(), failing.close()]);
});

Deno.test("the failover giving up rejects every waiting call with its StompConnectTimeout", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker, {}, "failover:(tcp://test:1)?initialReconnectDelay=5&maxReconnectAttempts=2");
  await c.connect();
  broker.faults.refuse = true;
  const events = c.status();
  // The connection goes while these wait for their RECEIPT / for room; more are made while reconnecting.
  broker.faults.delay = 1000;
  const inFlight = c.send(QUEUE, "a", {}, { receipt: true });
  await broker.waitFor("SEND");
  await broker.drop();
  await statusEvent(events, (e) => e.type === "disconnected");
  const waiting = [c.send(QUEUE, "b", {}, { receipt: true }), c.send(QUEUE, "c"), c.begin()];
  const errors = await Promise.all([inFlight, ...waiting].map((p) => p.catch((e) => e)));
  for (const error of errors) {
    assert.ok(error instanceof StompConnectTimeout, String(error));
    assert.equal(error.attempts, 3);
  }
  await assert.rejects(c.disconnected, StompConnectTimeout);
  assert.equal(c.outbox.size, 0);
});

Deno.test("disconnect while reconnecting rejects the waiting calls; nothing waits for ever", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  await goDown(broker, c);
  const waiting = [c.send(QUEUE, "a", {}, { receipt: true }), c.send(QUEUE, "b"), c.subscribe("/queue/x")];
  await c.disconnect();
  for (const error of await Promise.all(waiting.map((p) => p.catch((e) => e)))) {
    assert.ok(error instanceof StompConnectionError, String(error));
  }
  // After the end a call fails at once.
  await assert.rejects(c.send(QUEUE, "c"), StompConnectionError);
});

Deno.test("the outbox is bounded: with the broker down the next send waits for room, in order", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker, { outbox: { maxMessages: 3, maxBytes: 1000 } });
  await c.connect();
  await goDown(broker, c);
  const sent = [
    c.send(QUEUE, "1", {}, { receipt: true }),
    c.send(QUEUE, "2"),
    c.send(QUEUE, "3", {}, { receipt: true }),
    c.send(QUEUE, "4", {}, { receipt: true }),
    c.send(QUEUE, "5"),
  ];
  assert.deepEqual(c.outbox, { size: 3, blocked: 2, resends: 0 });
  // A send waiting for room is bounded like any other wait.
  const error = await c.send(QUEUE, "late", {}, { timeout: 20 }).catch((e) => e);
  assert.ok(error instanceof StompCancelledError, String(error));
  assert.deepEqual(c.outbox, { size: 3, blocked: 2, resends: 0 });
  await comeBack(broker, c);
  await Promise.all(sent);
  assert.deepEqual(broker.queue(QUEUE).map((m) => m.text()), ["1", "2", "3", "4", "5"]);
  assert.deepEqual(c.outbox, { size: 0, blocked: 0, resends: 0 });
  await c.disconnect();
});

Deno.test("the outbox is bounded in bytes: a send that does not fit waits, one larger than the bound goes alone", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker, { outbox: { maxMessages: 100, maxBytes: 10 } });
  await c.connect();
  await goDown(broker, c);
  const sent = [
    c.send(QUEUE, "12345678", {}, { receipt: true }),
    c.send(QUEUE, "123"),
    c.send(QUEUE, "x".repeat(50), {}, { receipt: true }),
  ];
  assert.deepEqual(c.outbox, { size: 1, blocked: 2, resends: 0 });
  await comeBack(broker, c);
  await Promise.all(sent);
  assert.deepEqual(broker.queue(QUEUE).map((m) => m.body.length), [8, 3, 50]);
  await c.disconnect();
});

Deno.test("a transaction open when the connection is lost rejects with StompTransactionLostError; nothing of it is resent", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  const error = await c.transaction(async (tx) => {
    await c.send(QUEUE, "a", { transaction: tx }, { receipt: true, timeout: 5000 }).catch(() => {});
    await goDown(broker, c);
    broker.faults.refuse = false;
    // Waits for the next connection, then finds its transaction gone.
    await c.send(QUEUE, "b", { transaction: tx }, { receipt: true });
  }).catch((e) => e);
  assert.ok(error instanceof StompTransactionLostError, String(error));
  assert.ok(error.transaction);
  assert.ok(error.cause instanceof StompConnectionError);
  await c.send(QUEUE, "outside", {}, { receipt: true });
  const later = broker.frames.filter((r) => r.connection === 1).map((r) => r.frame.command);
  assert.deepEqual(later, ["CONNECT", "SEND"]);
  assert.deepEqual(broker.queue(QUEUE).map((m) => m.text()), ["outside"]);

  // commit() of a lost transaction says so too, at once; a later transaction works.
  const tx = await c.begin();
  await goDown(broker, c);
  await assert.rejects(c.commit(tx), StompTransactionLostError);
  await comeBack(broker, c);
  await c.transaction((t) => c.send(QUEUE, "next", { transaction: t }));
  assert.deepEqual(broker.queue(QUEUE).map((m) => m.text()), ["outside", "next"]);
  await c.disconnect();
});

Deno.test("a transaction whose fn resolved before the loss was noticed fails its COMMIT with StompTransactionLostError", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  const error = await c.transaction(async (tx) => {
    await c.send(QUEUE, "a", { transaction: tx });
    await goDown(broker, c);
  }).catch((e) => e);
  assert.ok(error instanceof StompTransactionLostError, String(error));
  await comeBack(broker, c);
  assert.equal(broker.queue(QUEUE).length, 0);
  await c.disconnect();
});

Deno.test("async options and the dropOnSend fault are validated", () => {
  const broker = { connector: StompTestBroker.refusingConnector() };
  const make = (options: AsyncStompOptions) =>
    new AsyncStomp("tcp://a:1", { connector: broker.connector, ...options });
  assert.throws(() => make({ whileReconnecting: "maybe" as "wait" }), TypeError);
  assert.throws(() => make({ reconnectWait: -1 }), TypeError);
  assert.throws(() => make({ outbox: { maxMessages: 0 } }), TypeError);
  assert.throws(() => make({ outbox: { maxBytes: 1.5 } }), TypeError);
  const faults = new StompTestBroker().faults;
  assert.throws(() => faults.dropOnSend = { at: "later" as "after-store" }, TypeError);
  assert.throws(() => faults.dropOnSend = { at: "after-store", nth: 0 }, TypeError);
});
