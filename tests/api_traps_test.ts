// The API traps of issue 15, each shown gone against the in-process test broker: internal calls
// unreachable from what users hold, read-only state, onMessageFailed as stompest has it, no silent
// stall, `closed` settling on failure, handlers that settle themselves, headers as ordered pairs.
import assert from "node:assert/strict";
import {
  AsyncStomp,
  deadline,
  Deferred,
  type StompAsyncSubscription,
  type StompMessage,
  StompSlowConsumerError,
  type StompStatusEvent,
} from "../mod.ts";
import { resolveAsyncOptions } from "../src/async/options.ts";
import { StompTestBroker } from "../src/testing/mod.ts";

const WAIT = { timeout: 5000 };

function client(broker: StompTestBroker, options: ConstructorParameters<typeof AsyncStomp>[1] = {}) {
  return new AsyncStomp("tcp://test:1", {
    login: "guest",
    passcode: "guest",
    connector: broker.connector,
    ...options,
  });
}

const count = (broker: StompTestBroker, command: string) =>
  broker.frames.filter((f) => f.frame.command === command).length;

/** The first status event `match` accepts; rejects after `WAIT`. */
async function firstEvent(
  events: AsyncIterableIterator<StompStatusEvent>,
  match: (e: StompStatusEvent) => boolean,
): Promise<StompStatusEvent> {
  const found = (async () => {
    for await (const e of events) if (match(e)) return e;
    throw new Error("status ended without the event");
  })();
  try {
    return await deadline(found, WAIT, "the status event");
  } finally {
    events.return?.();
  }
}

// What the client and its subscriptions did expose before: calls for their own internal use.
const INTERNAL = [
  "settle",
  "failed",
  "track",
  "deliver",
  "connectionLost",
  "fail",
  "stop",
  "end",
  "take",
  "pump",
  "bind",
  "run",
];

Deno.test("internal calls are no members of the client, its subscriptions or its messages", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  const sub = await c.subscribe("/queue/surface", {}, { ack: "client-individual" });
  c.send("/queue/surface", "m");
  const msg = (await sub[Symbol.asyncIterator]().next()).value as StompMessage;
  for (const [what, value] of [["client", c], ["subscription", sub], ["message", msg]] as const) {
    const members = new Set<string>();
    for (let o: object | null = value; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const name of Object.getOwnPropertyNames(o)) members.add(name);
    }
    assert.deepEqual(INTERNAL.filter((name) => members.has(name)), [], `${what} exposes internals`);
  }
  // The types say the same (each line fails `deno check` while the member is public).
  // @ts-expect-error internal
  assert.equal(c.track, undefined);
  // @ts-expect-error internal
  assert.equal(c.failed, undefined);
  // @ts-expect-error internal
  assert.equal(sub.deliver, undefined);
  await msg.ack();
  await c.disconnect();
});

Deno.test("token and settled are read-only", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  const sub = await c.subscribe("/queue/ro", {}, { ack: "client-individual" });
  const token = sub.token;
  // @ts-expect-error read-only
  assert.throws(() => sub.token = "id:other", TypeError);
  assert.equal(sub.token, token);
  broker.publish("/queue/ro", "m");
  const msg = (await sub[Symbol.asyncIterator]().next()).value as StompMessage;
  // @ts-expect-error read-only
  assert.throws(() => msg.settled = true, TypeError);
  assert.equal(msg.settled, false);
  await msg.ack();
  assert.equal(msg.settled, true);
  await broker.waitFor("ACK", WAIT);
  await c.disconnect();
});

Deno.test("client.unsubscribe(sub) and client.unsubscribe(token) end a running loop as sub.unsubscribe() does", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  for (const by of ["subscription", "token"] as const) {
    const sub = await c.subscribe(`/queue/unsub-${by}`);
    const seen: string[] = [];
    const first = new Deferred<void>();
    const loop = (async () => {
      for await (const msg of sub) {
        seen.push(msg.text());
        first.resolve();
      }
    })();
    c.send(`/queue/unsub-${by}`, "before");
    await deadline(first.promise, WAIT, "the first message");
    await c.unsubscribe(by === "token" ? sub.token : sub, { receipt: true });
    await deadline(loop, WAIT, "the loop to end");
    await deadline(sub.closed, WAIT, "closed");
    assert.equal(sub.ended, true);
    assert.deepEqual(seen, ["before"]);
    await assert.rejects(c.unsubscribe(sub.token), TypeError, "its token names no subscription any more");
  }
  assert.equal(count(broker, "UNSUBSCRIBE"), 2);
  await c.disconnect();
});

Deno.test("onMessageFailed that returns: the message is acked, and the subscription goes on", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  const logged: string[] = [];
  await c.subscribe("/queue/logged", {}, {
    window: 2,
    handler: (msg) => {
      throw new Error(`cannot ${msg.text()}`);
    },
    onMessageFailed: (error) => void logged.push((error as Error).message),
  });
  // Before: 2 of 6 handled, 4 stuck behind a window of unacked messages, no event.
  for (let i = 0; i < 6; i++) broker.publish("/queue/logged", `m${i}`);
  await broker.waitUntil(() => count(broker, "ACK") === 6, WAIT);
  assert.deepEqual(logged, ["cannot m0", "cannot m1", "cannot m2", "cannot m3", "cannot m4", "cannot m5"]);
  assert.equal(broker.inFlight("/queue/logged"), 0);
  assert.equal(broker.queue("/queue/logged").length, 0);
  assert.equal(c.connected, true);
  await c.disconnect();
});

Deno.test("onMessageFailed that settles the message: nothing more is sent for it", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  await c.subscribe("/queue/nacked", {}, {
    handler: () => {
      throw new Error("nope");
    },
    onMessageFailed: (_error, msg) => msg.nack({ headers: { requeue: "false" } }),
  });
  broker.publish("/queue/nacked", "m");
  await broker.waitFor("NACK", WAIT);
  await c.disconnect();
  assert.equal(count(broker, "ACK"), 0);
});

Deno.test("onMessageFailed that throws: a graceful disconnect with its error; the message comes back", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  const hookError = new RangeError("the hook failed too");
  await c.subscribe("/queue/hook-throws", {}, {
    handler: () => {
      throw new Error("handler failed");
    },
    onMessageFailed: () => {
      throw hookError;
    },
  });
  broker.publish("/queue/hook-throws", "poison");
  const reason = await deadline(c.disconnected.then(() => undefined, (e) => e), WAIT, "the disconnect");
  assert.equal(reason, hookError);
  assert.equal(count(broker, "DISCONNECT"), 1, "gracefully");
  assert.equal(count(broker, "ACK"), 0);
  await broker.waitUntil(() => broker.queue("/queue/hook-throws").length === 1, WAIT);
});

Deno.test("ack: false — the handler settles its messages itself, each once", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  const held: StompMessage[] = [];
  await c.subscribe("/queue/self", {}, {
    ack: false,
    window: 4,
    handler: (msg) => {
      // Settled later, outside the handler: the client must not ack it on return.
      held.push(msg);
      if (held.length === 4) { for (const m of held.splice(0)) m.ack(); }
    },
  });
  for (let i = 0; i < 8; i++) broker.publish("/queue/self", `m${i}`);
  await broker.waitUntil(() => count(broker, "ACK") === 8, WAIT);
  assert.equal(broker.queue("/queue/self").length, 0);
  await c.disconnect();
  assert.equal(count(broker, "ACK"), 8, "no second ACK from the client");
  await assert.rejects(
    c.connect().then(() => c.subscribe("/queue/x", {}, { ack: false })),
    /ack: false says who acks a handler's messages; there is no handler/,
  );
  await c.close();
});

Deno.test("a window full of unsettled messages whose handlers returned is an error event", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  const events = c.status();
  const handled: string[] = [];
  const sub = await c.subscribe("/queue/stall", {}, {
    ack: false,
    window: 2,
    handler: (msg) => void handled.push(msg.text()), // forgets to ack
  });
  for (let i = 0; i < 3; i++) broker.publish("/queue/stall", `m${i}`);
  const event = await firstEvent(events, (e) => e.type === "error");
  assert.ok(event.type === "error" && event.error instanceof StompSlowConsumerError, String(event));
  assert.match(
    event.error.message,
    /\/queue\/stall: 2 unsettled messages whose handlers returned fill the window \(2\)/,
  );
  assert.deepEqual(handled, ["m0", "m1"]);
  assert.equal(sub.unacked, 2);
  await c.disconnect();
});

Deno.test("a loop that takes a window of messages and acks none is an error event too", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  const events = c.status();
  const sub = await c.subscribe("/queue/stall-loop", {}, { ack: "client-individual", window: 2 });
  for (let i = 0; i < 3; i++) broker.publish("/queue/stall-loop", `m${i}`);
  const taken: StompMessage[] = [];
  const third = new Deferred<void>();
  const loop = (async () => {
    for await (const msg of sub) if (taken.push(msg) === 3) third.resolve();
  })();
  const event = await firstEvent(events, (e) => e.type === "error");
  assert.ok(event.type === "error" && event.error instanceof StompSlowConsumerError);
  assert.match(event.error.message, /2 unsettled messages taken from the iterator fill the window \(2\)/);
  await Promise.all(taken.map((m) => m.ack()));
  await deadline(third.promise, WAIT, "the third message, once two were acked");
  await sub.unsubscribe();
  await loop;
  await c.disconnect();
});

Deno.test("closed rejects when a subscription fails, while its buffered messages stay readable", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  const sub: StompAsyncSubscription = await c.subscribe("/queue/slow", {}, { bufferSize: 3 });
  for (let i = 0; i < 5; i++) broker.publish("/queue/slow", `m${i}`);
  // Before: `closed` waited until someone read the buffer, and the one awaiting it does not read.
  await assert.rejects(deadline(sub.closed, WAIT, "closed"), StompSlowConsumerError);
  const got: string[] = [];
  await assert.rejects(async () => {
    for await (const msg of sub) got.push(msg.text());
  }, StompSlowConsumerError);
  assert.deepEqual(got, ["m0", "m1", "m2"]);
  await c.disconnect();
});

Deno.test("subscribe and connect headers may be ordered pairs, repeats kept", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker, { headers: [["client-id", "from-config"], ["x-config", "1"], ["x-config", "2"]] });
  await c.connect({ headers: [["client-id", "per-connect"], ["x-connect", "a"], ["x-connect", "b"]] });
  const connect = (await broker.waitFor("CONNECT", WAIT)).frame;
  const extra = connect.rawHeaders.filter(([name]) => name.startsWith("x-") || name === "client-id");
  assert.deepEqual(extra, [["client-id", "per-connect"], ["x-connect", "a"], ["x-connect", "b"], [
    "x-config",
    "1",
  ]]);
  await c.subscribe("/queue/pairs", [["x-first", "1"], ["x-first", "2"], ["ack", "client-individual"]], {
    window: 7,
  });
  const subscribe = (await broker.waitFor("SUBSCRIBE", WAIT)).frame;
  assert.deepEqual(subscribe.rawHeaders.filter(([name]) => name === "x-first"), [["x-first", "1"], [
    "x-first",
    "2",
  ]]);
  assert.equal(subscribe.headers.ack, "client-individual");
  assert.equal(subscribe.headers["prefetch-count"], "7");
  await c.disconnect();
});

Deno.test("thresholds: stompest's name for the heart-beat tolerances", () => {
  assert.deepEqual(resolveAsyncOptions({ thresholds: { client: 0.5, server: 2 } }).heartBeatFactors, {
    send: 0.5,
    receive: 2,
  });
  assert.deepEqual(resolveAsyncOptions({ thresholds: { server: 2 } }).heartBeatFactors, {
    send: 0.8,
    receive: 2,
  });
  assert.throws(
    () => resolveAsyncOptions({ thresholds: {}, heartBeatFactors: { send: 0.8, receive: 3 } }),
    /not both/,
  );
  assert.throws(() => resolveAsyncOptions({ thresholds: { client: 1.5 } }), /thresholds.client/);
  assert.throws(() => resolveAsyncOptions({ thresholds: { server: 0 } }), /thresholds.server/);
});
