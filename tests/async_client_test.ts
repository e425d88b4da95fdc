// AsyncStomp against the in-process test broker: fault injection (black holes, ERRORs, drops,
// silent heart-beats) that real brokers cannot be made to do on demand.
import assert from "node:assert/strict";
import {
  AsyncStomp,
  StompCancelledError,
  StompConnectionError,
  type StompConnector,
  StompConnectTimeout,
  StompProtocolError,
  StompSlowConsumerError,
} from "../mod.ts";
import { StompTestBroker } from "../src/testing/mod.ts";
import { statusUntil } from "./helpers/status.ts";

const hanging: StompConnector = () => new Promise(() => {});

function client(
  broker: StompTestBroker,
  options: ConstructorParameters<typeof AsyncStomp>[1] = {},
  uri = "tcp://test:1",
) {
  return new AsyncStomp(uri, { login: "guest", passcode: "guest", connector: broker.connector, ...options });
}

Deno.test("connect timeout: a connector that never answers fails the attempt", async () => {
  const c = new AsyncStomp("tcp://nowhere:1", { connector: hanging, connectTimeout: 50 });
  const error = await c.connect().catch((e) => e);
  assert.ok(error instanceof StompConnectTimeout, String(error));
  assert.ok(error.cause instanceof StompConnectionError);
  assert.match(String(error.cause.message), /no connection within 50 ms/);
});

Deno.test("connected timeout: a black hole, also after failing over from a dead host", async () => {
  await using broker = new StompTestBroker();
  broker.faults.blackHole = true;
  const connector = StompTestBroker.route({
    "tcp://dead:1": StompTestBroker.refusingConnector(),
    "tcp://hole:2": broker.connector,
  });
  const uri =
    "failover:(tcp://dead:1,tcp://hole:2)?randomize=false&startupMaxReconnectAttempts=1&initialReconnectDelay=1";
  const c = new AsyncStomp(uri, { connector, connectedTimeout: 100 });
  const events = c.status();
  const error = await c.connect().catch((e) => e);
  assert.ok(error instanceof StompConnectTimeout, String(error));
  assert.match(error.message, /no CONNECTED from tcp:\/\/hole:2 within 100 ms/);
  await assert.rejects(c.disconnected, StompConnectTimeout);
  const seen = await statusUntil(events, (e) => e.type === "connecting" && e.broker.host === "hole");
  assert.deepEqual(
    seen.filter((e) => e.type === "connecting").map((e) => e.type === "connecting" && e.broker.host),
    [
      "dead",
      "hole",
    ],
  );
});

Deno.test("send while not connected is a StompConnectionError", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await assert.rejects(c.send("/queue/a", "x"), StompConnectionError);
  await c.connect();
  await c.disconnect();
  await assert.rejects(c.send("/queue/a", "x"), StompConnectionError);
});

Deno.test("ERROR on connect: out of attempts, StompConnectTimeout keeps the ERROR frame as its cause", async () => {
  await using broker = new StompTestBroker();
  broker.faults.errorOnConnect = "go away";
  const c = client(broker);
  const error = await c.connect().catch((e) => e);
  assert.ok(error instanceof StompConnectTimeout, String(error));
  assert.equal(error.attempts, 1);
  assert.match(error.message, /after 1 attempt .*go away/);
  const cause = error.cause;
  assert.ok(cause instanceof StompProtocolError, String(cause));
  assert.equal(cause.frame?.command, "ERROR");
  assert.equal(cause.frame?.headers.message, "go away");
  assert.deepEqual(error.failures?.map((f) => [f.broker, f.error]), [["tcp://test:1", cause]]);
  assert.ok(!String(error.message).includes("guest"), "no passcode in the message");
});

Deno.test("ERROR after connect rejects `disconnected` with the frame and ends iterators", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  const sub = await c.subscribe("/queue/err");
  broker.faults.errorOnSend = true;
  await c.send("/queue/err", "boom");
  const error = await c.disconnected.catch((e) => e);
  assert.ok(error instanceof StompProtocolError, String(error));
  assert.equal(error.frame?.command, "ERROR");
  await assert.rejects(sub[Symbol.asyncIterator]().next(), StompProtocolError);
  assert.equal(c.connected, false);
});

Deno.test("failover to a second broker after a drop, with the subscription replayed", async () => {
  await using a = new StompTestBroker();
  await using b = new StompTestBroker();
  const connector = StompTestBroker.route({ "tcp://a:1": a.connector, "tcp://b:2": b.connector });
  const c = new AsyncStomp("failover:(tcp://a:1,tcp://b:2)?randomize=false&initialReconnectDelay=1", {
    connector,
    login: "guest",
    passcode: "guest",
  });
  await c.connect();
  const events = c.status();
  const sub = await c.subscribe("/queue/fo", { id: "fo-1" }, { ack: "client-individual" });
  a.faults.refuse = true;
  await a.drop();
  await statusUntil(events, (e) => e.type === "connected" && e.broker.host === "b");
  const replayed = await b.waitFor("SUBSCRIBE");
  assert.equal(replayed.frame.headers.id, "fo-1");
  assert.equal(replayed.frame.headers.destination, "/queue/fo");
  b.publish("/queue/fo", "after failover");
  const it = sub[Symbol.asyncIterator]();
  const { value } = await it.next();
  assert.equal(value?.text(), "after failover");
  await value!.ack();
  await b.waitFor("ACK");
  await c.disconnect();
});

for (const [fault, what] of [["errorOnConnect", "answers ERROR"], ["blackHole", "never answers"]] as const) {
  Deno.test(`reconnect: a broker that ${what} is passed over for the next one`, async () => {
    await using a = new StompTestBroker();
    await using b = new StompTestBroker();
    const connector = StompTestBroker.route({ "tcp://a:1": a.connector, "tcp://b:2": b.connector });
    const c = new AsyncStomp(
      "failover:(tcp://a:1,tcp://b:2)?randomize=false&initialReconnectDelay=1&maxReconnectAttempts=0",
      { connector, login: "guest", passcode: "guest", connectedTimeout: 500 },
    );
    await c.connect();
    const events = c.status();
    if (fault === "errorOnConnect") a.faults.errorOnConnect = "not now";
    else a.faults.blackHole = true;
    await a.drop();
    const seen = await statusUntil(events, (e) => e.type === "connected");
    const last = seen.at(-1);
    assert.equal(last?.type === "connected" && last.broker.host, "b");
    const errors = seen.filter((e) => e.type === "error").map((e) => e.type === "error" && e.error);
    assert.equal(errors.length, 1, "one failure reported, for a");
    assert.ok(
      fault === "errorOnConnect"
        ? errors[0] instanceof StompProtocolError
        : errors[0] instanceof StompConnectTimeout,
      String(errors[0]),
    );
    await c.send("/queue/moved", "x", {}, { receipt: true });
    await c.disconnect();
  });
}

Deno.test("replay after a forced drop keeps headers and order; none after a clean disconnect", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker, {}, "failover:(tcp://test:1)?initialReconnectDelay=1");
  await c.connect();
  await c.subscribe("/queue/r1", { id: "one", selector: "a = 1" });
  await c.subscribe("/topic/r2", { id: "two", "x-custom": "ü:2" }, { ack: "client" });
  const before = broker.frames.length;
  await broker.drop();
  await broker.waitForConnections(1);
  const first = await broker.waitFor("SUBSCRIBE", { since: before });
  const second = await broker.waitFor((f) => f.command === "SUBSCRIBE" && f.headers.id === "two", {
    since: before,
  });
  assert.equal(first.frame.headers.id, "one");
  assert.equal(first.frame.headers.selector, "a = 1");
  assert.equal(second.frame.headers["x-custom"], "ü:2");
  assert.equal(second.frame.headers.ack, "client");
  await c.disconnect();
  const mark = broker.frames.length;
  await c.connect();
  await c.send("/queue/after", "x", {}, { receipt: true });
  assert.deepEqual(broker.frames.slice(mark).map((f) => f.frame.command), ["CONNECT", "SEND"]);
  await c.disconnect();
});

Deno.test("several subscriptions get their own messages", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  const a = await c.subscribe("/queue/sa", { "x-name": "a" });
  const b = await c.subscribe("/queue/sb", { "x-name": "b" }, { ack: "client-individual" });
  await c.send("/queue/sb", "to b");
  await c.send("/queue/sa", "to a");
  const [ma, mb] = await Promise.all([a[Symbol.asyncIterator]().next(), b[Symbol.asyncIterator]().next()]);
  assert.equal(ma.value?.text(), "to a");
  assert.equal(mb.value?.text(), "to b");
  await mb.value!.ack({ receipt: true });
  await c.disconnect();
});

Deno.test("graceful disconnect with a stuck handler times out; the message comes back", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  let release!: () => void;
  const stuck = new Promise<void>((resolve) => release = resolve);
  let started!: () => void;
  const handling = new Promise<void>((resolve) => started = resolve);
  await c.subscribe("/queue/stuck", {}, {
    handler: async () => {
      started();
      await stuck;
    },
  });
  await c.send("/queue/stuck", "slow");
  await handling;
  await assert.rejects(c.disconnect({ timeout: 50 }), StompCancelledError);
  await assert.rejects(c.disconnected, StompCancelledError);
  await broker.waitUntil(() => broker.queue("/queue/stuck").length === 1);
  release();
});

Deno.test("graceful disconnect waits for an in-flight handler, then acks", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  let started!: () => void;
  const handling = new Promise<void>((resolve) => started = resolve);
  const done: string[] = [];
  await c.subscribe("/queue/slow", {}, {
    handler: async (msg) => {
      started();
      await new Promise((r) => setTimeout(r, 50));
      done.push(msg.text());
    },
  });
  await c.send("/queue/slow", "one");
  await handling;
  await c.disconnect({ timeout: 2000 });
  assert.deepEqual(done, ["one"]);
  assert.ok(broker.frames.some((f) => f.frame.command === "ACK"));
  assert.equal(broker.queue("/queue/slow").length, 0);
  await c.disconnected;
});

Deno.test("unexpected loss without reconnect rejects `disconnected`", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker, { reconnect: false });
  await c.connect();
  await broker.drop();
  await assert.rejects(c.disconnected, StompConnectionError);
});

Deno.test("heart-beat timeout is detected and followed by a reconnect", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker, {}, "failover:(tcp://test:1)?initialReconnectDelay=1");
  await c.connect({ heartBeats: [0, 50] });
  const events = c.status();
  assert.equal(c.session.serverHeartBeat, 50);
  broker.faults.stopHeartBeating = true;
  let timedOut = false;
  const seen = await statusUntil(events, (e) => {
    if (e.type === "heartbeat-timeout") timedOut = true;
    return e.type === "connected" && timedOut;
  });
  assert.deepEqual(seen[0], { type: "state", state: "connected" });
  assert.deepEqual(seen.map((e) => e.type).slice(1, 3), ["heartbeat-timeout", "disconnected"]);
  broker.faults.stopHeartBeating = false;
  await c.disconnect();
});

Deno.test("heart-beat timeout without reconnect rejects `disconnected`", async () => {
  await using broker = new StompTestBroker({ faults: { stopHeartBeating: true } });
  const c = client(broker, { reconnect: false });
  await c.connect({ heartBeats: [0, 50] });
  const error = await c.disconnected.catch((e) => e);
  assert.ok(error instanceof StompConnectionError);
  assert.match(error.message, /heart-beat timeout/);
});

Deno.test("the client sends heart-beats by itself", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect({ heartBeats: [40, 0] });
  assert.equal(c.session.clientHeartBeat, 40);
  await broker.waitUntil(() => (broker.clients[0]?.heartBeatsReceived ?? 0) >= 3, { timeout: 2000 });
  await c.disconnect();
});

Deno.test("slow consumer: a full auto-ack buffer fails the subscription after the buffered messages", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  const sub = await c.subscribe("/queue/flood", {}, { bufferSize: 5 });
  for (let i = 0; i < 8; i++) broker.publish("/queue/flood", `m${i}`);
  await broker.waitFor("UNSUBSCRIBE");
  assert.equal(sub.ended, true);
  const got: string[] = [];
  const error = await (async () => {
    for await (const msg of sub) got.push(msg.text());
  })().catch((e) => e);
  assert.ok(error instanceof StompSlowConsumerError, String(error));
  assert.deepEqual(got, ["m0", "m1", "m2", "m3", "m4"]);
  // m5 overflowed; m6 and m7 came after: none of the three is lost without a count.
  assert.equal(error.dropped, 3);
  assert.match(error.message, /3 messages arrived after that/);
  assert.equal(sub.dropped, 3);
  await assert.rejects(sub.closed, StompSlowConsumerError);
  assert.equal(c.connected, true, "the client goes on");
  await c.disconnect();
});

Deno.test("client acks: the window is told to the broker and bounds what is unacked", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  const sub = await c.subscribe("/queue/window", {}, { ack: "client-individual", window: 3 });
  const subscribe = await broker.waitFor("SUBSCRIBE");
  assert.equal(subscribe.frame.headers["prefetch-count"], "3");
  assert.equal(subscribe.frame.headers["activemq.prefetchSize"], "3");
  for (let i = 0; i < 10; i++) broker.publish("/queue/window", `w${i}`);
  await broker.waitUntil(() => broker.inFlight("/queue/window") === 3);
  const got: string[] = [];
  for await (const msg of sub) {
    got.push(msg.text());
    assert.ok(sub.unacked <= 3 && broker.inFlight("/queue/window") <= 3);
    await msg.ack();
    if (got.length === 10) break;
  }
  assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => `w${i}`));
  await broker.waitFor("UNSUBSCRIBE");
  await c.disconnect();
});

Deno.test("a failing handler sends a copy to the error destination and acks the original", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  await c.subscribe("/queue/work", {}, {
    errorDestination: "/queue/errors",
    handler: (msg) => {
      if (msg.text() === "bad") throw new Error("cannot handle\nthis");
    },
  });
  await c.send("/queue/work", "bad", { "x-trace": "t-1", "x-ünï": "✓" });
  const copy = await broker.waitUntil(() => broker.queue("/queue/errors")[0]);
  assert.equal(copy.text(), "bad");
  assert.equal(copy.headers["x-trace"], "t-1");
  assert.equal(copy.headers["x-ünï"], "✓");
  assert.equal(copy.headers.persistent, "true");
  assert.equal(copy.headers["message-failed"], "Error: cannot handle this");
  await broker.waitFor("ACK");
  assert.equal(broker.queue("/queue/work").length, 0);
  await c.disconnect();
});

Deno.test("a failing handler without error destination disconnects; the message comes back", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  await c.subscribe("/queue/fail", {}, {
    handler: () => {
      throw new Error("handler broke");
    },
  });
  await c.send("/queue/fail", "poison");
  const error = await c.disconnected.catch((e) => e);
  assert.equal(error?.message, "handler broke");
  assert.ok(!broker.frames.some((f) => f.frame.command === "ACK"));
  await broker.waitUntil(() => broker.queue("/queue/fail").length === 1);
  assert.equal(broker.queue("/queue/fail")[0].text(), "poison");
});

Deno.test("onMessageFailed replaces the policy", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  const failures: string[] = [];
  await c.subscribe("/queue/custom", {}, {
    handler: () => {
      throw new Error("nope");
    },
    onMessageFailed: async (error, msg) => {
      failures.push(`${(error as Error).message}:${msg.text()}`);
      await msg.nack();
    },
  });
  await c.send("/queue/custom", "m");
  await broker.waitFor("NACK");
  assert.deepEqual(failures, ["nope:m"]);
  assert.equal(c.connected, true);
  await c.disconnect();
});

Deno.test("receipts resolve, and reject when the connection is lost", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker, { reconnect: false });
  await c.connect();
  await c.send("/queue/rc", "x", {}, { receipt: true });
  await c.send("/queue/rc", "y", {}, { receipt: "my-receipt" });
  assert.ok(broker.frames.some((f) => f.frame.headers.receipt === "my-receipt"));
  broker.faults.blackHole = true;
  const pending = c.send("/queue/rc", "z", {}, { receipt: true, timeout: 5000 });
  await broker.waitUntil(() => broker.frames.filter((f) => f.frame.command === "SEND").length === 3);
  await broker.drop();
  await assert.rejects(pending, StompConnectionError);
});

Deno.test("a receipt that never comes times out", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  broker.faults.blackHole = true;
  await assert.rejects(c.send("/queue/rt", "x", {}, { receipt: true, timeout: 50 }), StompCancelledError);
  await c.close();
});

Deno.test("transactions: commit delivers, abort drops", async () => {
  await using broker = new StompTestBroker();
  const c = client(broker);
  await c.connect();
  await c.transaction(async (tx) => {
    await c.send("/queue/tx", "committed", { transaction: tx });
  }, { receipt: true });
  await assert.rejects(
    c.transaction(async (tx) => {
      await c.send("/queue/tx", "aborted", { transaction: tx });
      throw new Error("roll back");
    }, { receipt: true }),
    /roll back/,
  );
  assert.deepEqual(broker.queue("/queue/tx").map((m) => m.text()), ["committed"]);
  await c.disconnect();
});

Deno.test("an aborted signal cancels connect", async () => {
  const c = new AsyncStomp("tcp://nowhere:1", { connector: hanging, connectTimeout: 10_000 });
  const controller = new AbortController();
  const connecting = c.connect({ signal: controller.signal });
  controller.abort(new Error("user gave up"));
  const error = await connecting.catch((e) => e);
  assert.ok(error instanceof StompCancelledError, String(error));
});

Deno.test("await using disconnects gracefully", async () => {
  await using broker = new StompTestBroker();
  {
    await using c = client(broker);
    await c.connect();
    await c.send("/queue/using", "x");
  }
  await broker.waitFor("DISCONNECT");
  await broker.waitForConnections(0);
});
