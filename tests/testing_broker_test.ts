import assert from "node:assert/strict";
import { StompCancelledError, StompConnectionError } from "../src/errors.ts";
import { StompFrame, type StompHeadersInit, StompHeartBeat } from "../src/protocol/frame.ts";
import { StompParser } from "../src/protocol/parser.ts";
import type { StompVersion } from "../src/protocol/spec.ts";
import type { StompConnection } from "../src/connection/transport.ts";
import { memoryPair, StompTestBroker, StompTestFaults } from "../src/testing/mod.ts";
import { denoConnection } from "../src/testing/listen_deno.ts";

const ADDRESS = { protocol: "tcp", host: "test", port: 1 } as const;
const encoder = new TextEncoder();

/** A raw STOMP client for the tests: frames out, StompParser in, every read bounded. */
class Raw implements AsyncDisposable {
  readonly parser: StompParser;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #pending?: Promise<ReadableStreamReadResult<Uint8Array>>;
  eof = false;

  constructor(readonly conn: StompConnection, version: StompVersion = "1.2") {
    this.parser = new StompParser(version);
    this.#reader = conn.readable.getReader();
  }

  static async memory(broker: StompTestBroker): Promise<Raw> {
    return new Raw(await broker.connector(ADDRESS, {}));
  }

  static async tcp(port: number): Promise<Raw> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    return new Raw(denoConnection(conn, `tcp://127.0.0.1:${port}`));
  }

  /** A connected client: CONNECT with these headers, CONNECTED checked, parser switched. */
  static async connected(broker: StompTestBroker, headers?: StompHeadersInit): Promise<Raw> {
    const raw = await Raw.memory(broker);
    await raw.connect(headers);
    return raw;
  }

  send(command: string, headers: StompHeadersInit = {}, body?: string | Uint8Array): Promise<void> {
    return this.conn.write(new StompFrame(command, headers, body, this.parser.version).toBytes());
  }

  write(text: string): Promise<void> {
    return this.conn.write(encoder.encode(text));
  }

  async connect(headers: StompHeadersInit = { "accept-version": "1.2", host: "/" }): Promise<StompFrame> {
    await this.send("CONNECT", headers);
    const frame = await this.frame();
    assert.equal(frame.command, "CONNECTED", frame.info());
    this.parser.version = (frame.headers.version ?? "1.0") as StompVersion;
    return frame;
  }

  /** The next frame or heart-beat; undefined at EOF; throws when nothing comes within `timeout`. */
  async next(timeout = 2000): Promise<StompFrame | StompHeartBeat | undefined> {
    const deadline = Date.now() + timeout;
    while (!this.parser.canRead()) {
      if (this.eof) return undefined;
      this.#pending ??= this.#reader.read();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`nothing within ${timeout} ms`)), deadline - Date.now());
      });
      try {
        const result = await Promise.race([this.#pending, expired]);
        this.#pending = undefined;
        if (result.done) this.eof = true;
        else this.parser.add(result.value);
      } finally {
        clearTimeout(timer);
      }
    }
    return this.parser.get();
  }

  /** The next frame, skipping heart-beats; fails at EOF. */
  async frame(timeout = 2000): Promise<StompFrame> {
    for (;;) {
      const item = await this.next(timeout);
      if (item === undefined) throw new Error("EOF where a frame was expected");
      if (item instanceof StompFrame) return item;
    }
  }

  /** Reads until EOF; returns the frames that came first. */
  async eofAfter(timeout = 2000): Promise<StompFrame[]> {
    const frames: StompFrame[] = [];
    for (;;) {
      const item = await this.next(timeout);
      if (item === undefined) return frames;
      if (item instanceof StompFrame) frames.push(item);
    }
  }

  /** Asserts that nothing arrives for `ms` (a bounded negative check, not a sleep for a race). */
  async silentFor(ms: number): Promise<void> {
    await assert.rejects(this.next(ms), /nothing within/);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.conn.close();
  }
}

const subscribe = (raw: Raw, destination: string, headers: Record<string, string> = {}) =>
  raw.send("SUBSCRIBE", { destination, id: headers.id ?? destination, receipt: "sub", ...headers })
    .then(() => raw.frame()).then((f) => assert.equal(f.headers["receipt-id"], "sub", f.info()));

Deno.test("connect: no accept-version negotiates 1.0 without heart-beats", async () => {
  await using broker = new StompTestBroker();
  await using raw = await Raw.memory(broker);
  const connected = await raw.connect({ login: "x" });
  assert.equal(connected.headers.version, "1.0");
  assert.equal(connected.headers["heart-beat"], undefined);
  assert.match(connected.headers.session, /-0$/);
  assert.equal(connected.headers.server, "stompest-test-broker");
  assert.equal(broker.clients[0].version, "1.0");
  assert.equal(broker.clients[0].login, "x");
});

Deno.test("connect: the highest common version wins; STOMP works; the broker may speak fewer", async () => {
  await using broker = new StompTestBroker();
  await using a = await Raw.memory(broker);
  assert.equal((await a.connect({ "accept-version": "1.0,1.1", host: "/" })).headers.version, "1.1");
  await using b = await Raw.memory(broker);
  await b.send("STOMP", { "accept-version": "1.1,1.2", host: "/" });
  assert.equal((await b.frame()).headers.version, "1.2");
  await using old = new StompTestBroker({ versions: ["1.0", "1.1"] });
  await using c = await Raw.memory(old);
  assert.equal((await c.connect({ "accept-version": "1.0,1.1,1.2", host: "/" })).headers.version, "1.1");
});

Deno.test("connect: an unsupported version gets ERROR naming the supported ones, then EOF", async () => {
  await using broker = new StompTestBroker({ versions: ["1.1", "1.2"] });
  await using raw = await Raw.memory(broker);
  await raw.send("CONNECT", { "accept-version": "2.0", host: "/" });
  const [error] = await raw.eofAfter();
  assert.equal(error.command, "ERROR");
  assert.equal(error.headers.version, "1.1,1.2");
  assert.match(error.headers.message, /unsupported STOMP version/);
  assert.equal(error.headers["content-length"], String(error.body.length));
  await broker.waitForConnections(0, { timeout: 1000 });
  assert.match(broker.clients[0].closeReason!, /ERROR/);
});

Deno.test("connect: 1.1+ without host, a frame before CONNECT and a bad heart-beat are ERRORs", async () => {
  await using broker = new StompTestBroker();
  for (
    const [command, headers, pattern] of [
      ["CONNECT", { "accept-version": "1.2" }, /without host header/],
      ["SEND", { destination: "/queue/a" }, /expected CONNECT, got SEND/],
      ["CONNECT", { "accept-version": "1.2", host: "/", "heart-beat": "x" }, /invalid heart-beat/],
      ["STOMP", {}, /STOMP does not exist in STOMP 1.0/],
    ] as const
  ) {
    await using raw = await Raw.memory(broker);
    await raw.send(command, headers);
    const frames = await raw.eofAfter();
    assert.equal(frames.length, 1);
    assert.equal(frames[0].command, "ERROR");
    assert.match(frames[0].headers.message, pattern);
  }
});

Deno.test("connect: users checks login and passcode and never echoes the passcode", async () => {
  await using broker = new StompTestBroker({ users: { guest: "s3cret" } });
  await using bad = await Raw.memory(broker);
  await bad.send("CONNECT", { "accept-version": "1.2", host: "/", login: "guest", passcode: "wrong-pass" });
  const [error] = await bad.eofAfter();
  assert.match(error.headers.message, /access refused/);
  assert.ok(!new TextDecoder().decode(error.toBytes()).includes("wrong-pass"));
  await using anonymous = await Raw.memory(broker);
  await anonymous.send("CONNECT", { "accept-version": "1.2", host: "/" });
  assert.equal((await anonymous.eofAfter())[0].command, "ERROR");
  await using good = await Raw.memory(broker);
  await good.connect({ "accept-version": "1.2", host: "/", login: "guest", passcode: "s3cret" });
  assert.equal(broker.connections, 1);
});

Deno.test("queue: competing consumers take turns; MESSAGE headers are complete", async () => {
  await using broker = new StompTestBroker();
  await using c1 = await Raw.connected(broker);
  await using c2 = await Raw.connected(broker);
  await using producer = await Raw.connected(broker);
  await subscribe(c1, "/queue/a");
  await subscribe(c2, "/queue/a");
  for (let i = 0; i < 4; i++) {
    await producer.send("SEND", { destination: "/queue/a", "x-n": String(i), "x-colon": "a:b" }, `m${i}`);
  }
  const got = [await c1.frame(), await c2.frame(), await c1.frame(), await c2.frame()];
  assert.deepEqual(got.map((f) => f.text()), ["m0", "m1", "m2", "m3"]);
  assert.equal(new Set(got.map((f) => f.headers["message-id"])).size, 4);
  for (const f of got) {
    assert.equal(f.command, "MESSAGE");
    assert.equal(f.headers.destination, "/queue/a");
    assert.equal(f.headers.subscription, "/queue/a");
    assert.equal(f.headers["content-length"], "2");
    assert.equal(f.headers["x-colon"], "a:b");
    assert.equal(f.headers.ack, undefined); // auto ack: nothing to ack
  }
  assert.deepEqual(broker.queue("/queue/a"), []);
  assert.equal(broker.inFlight("/queue/a"), 0);
});

Deno.test("topic: every subscriber gets a copy; nothing is kept without subscribers", async () => {
  await using broker = new StompTestBroker();
  await using c1 = await Raw.connected(broker);
  await using c2 = await Raw.connected(broker);
  await c1.send("SEND", { destination: "/topic/t" }, "lost");
  await subscribe(c1, "/topic/t", { id: "s1" });
  await subscribe(c2, "/topic/t", { id: "s2" });
  await c1.send("SEND", { destination: "/topic/t" }, "news");
  const [a, b] = [await c1.frame(), await c2.frame()];
  assert.deepEqual([a.text(), b.text(), a.headers.subscription, b.headers.subscription], [
    "news",
    "news",
    "s1",
    "s2",
  ]);
  assert.notEqual(a.headers["message-id"], b.headers["message-id"]);
  assert.deepEqual(broker.queue("/topic/t"), []);
});

Deno.test("client ack is cumulative; unacked messages come back redelivered after a disconnect", async () => {
  await using broker = new StompTestBroker();
  for (let i = 0; i < 3; i++) broker.publish("/queue/c", `m${i}`);
  {
    await using consumer = await Raw.connected(broker);
    await subscribe(consumer, "/queue/c", { ack: "client" });
    const got = [await consumer.frame(), await consumer.frame(), await consumer.frame()];
    assert.ok(got.every((f) => f.headers.ack !== undefined));
    assert.equal(broker.inFlight("/queue/c"), 3);
    await consumer.send("ACK", { id: got[1].headers.ack, receipt: "r" });
    assert.equal((await consumer.frame()).headers["receipt-id"], "r");
    assert.equal(broker.inFlight("/queue/c"), 1); // m0 and m1 both acked
  }
  await broker.waitForConnections(0, { timeout: 1000 });
  assert.deepEqual(broker.queue("/queue/c").map((f) => [f.text(), f.headers.redelivered]), [["m2", "true"]]);
  await using again = await Raw.connected(broker);
  await subscribe(again, "/queue/c", { ack: "client" });
  const back = await again.frame();
  assert.deepEqual([back.text(), back.headers.redelivered], ["m2", "true"]);
});

Deno.test("client-individual ack (1.1: message-id + subscription) acks one; a drop redelivers the rest", async () => {
  await using broker = new StompTestBroker();
  await using consumer = await Raw.connected(broker, { "accept-version": "1.1", host: "/" });
  await subscribe(consumer, "/queue/ci", { id: "s", ack: "client-individual" });
  for (let i = 0; i < 3; i++) broker.publish("/queue/ci", `m${i}`);
  const got = [await consumer.frame(), await consumer.frame(), await consumer.frame()];
  assert.equal(got[0].headers.ack, undefined); // 1.1 acks by message-id and subscription
  await consumer.send("ACK", { "message-id": got[1].headers["message-id"], subscription: "s", receipt: "r" });
  await consumer.frame();
  await broker.drop();
  assert.equal(await consumer.next(), undefined);
  assert.deepEqual(broker.queue("/queue/ci").map((f) => f.text()), ["m0", "m2"]);
  assert.match(broker.clients[0].closeReason!, /broker.drop/);
});

Deno.test("1.0: ACK by message-id; SUBSCRIBE without id; UNSUBSCRIBE by destination redelivers", async () => {
  await using broker = new StompTestBroker();
  await using old = await Raw.connected(broker, {});
  await old.send("SUBSCRIBE", { destination: "/queue/o", ack: "client", receipt: "s" });
  await old.frame();
  broker.publish("/queue/o", "a");
  broker.publish("/queue/o", "b");
  const [a] = [await old.frame(), await old.frame()];
  assert.equal(a.headers.subscription, undefined);
  await old.send("ACK", { "message-id": a.headers["message-id"] });
  await old.send("UNSUBSCRIBE", { destination: "/queue/o", receipt: "u" });
  assert.equal((await old.frame()).headers["receipt-id"], "u");
  assert.deepEqual(broker.queue("/queue/o").map((f) => [f.text(), f.headers.redelivered]), [["b", "true"]]);
});

Deno.test("NACK requeues marked redelivered; requeue:false drops", async () => {
  await using broker = new StompTestBroker();
  await using c = await Raw.connected(broker);
  await subscribe(c, "/queue/n", { ack: "client-individual", "prefetch-count": "1" });
  broker.publish("/queue/n", "x");
  const first = await c.frame();
  await c.send("NACK", { id: first.headers.ack });
  const again = await c.frame();
  assert.deepEqual([again.text(), again.headers.redelivered], ["x", "true"]);
  assert.notEqual(again.headers.ack, first.headers.ack);
  await c.send("NACK", { id: again.headers.ack, requeue: "false", receipt: "r" });
  assert.equal((await c.frame()).headers["receipt-id"], "r");
  assert.equal(broker.inFlight("/queue/n"), 0);
  assert.deepEqual(broker.queue("/queue/n"), []);
});

Deno.test("prefetch (prefetch-count or activemq.prefetchSize) bounds unacked messages per subscription", async () => {
  for (const header of ["prefetch-count", "activemq.prefetchSize"]) {
    await using broker = new StompTestBroker();
    await using c = await Raw.connected(broker);
    await subscribe(c, "/queue/p", { ack: "client-individual", [header]: "2" });
    for (let i = 0; i < 5; i++) broker.publish("/queue/p", `m${i}`);
    const [m0] = [await c.frame(), await c.frame()];
    await c.silentFor(50);
    assert.equal(broker.inFlight("/queue/p"), 2);
    assert.equal(broker.queue("/queue/p").length, 3);
    await c.send("ACK", { id: m0.headers.ack });
    assert.equal((await c.frame()).text(), "m2");
    assert.equal(broker.queue("/queue/p").length, 2);
  }
});

Deno.test("receipts on any frame; DISCONNECT answers its receipt then closes", async () => {
  await using broker = new StompTestBroker();
  await using c = await Raw.connected(broker);
  for (
    const [command, headers] of [["SEND", { destination: "/queue/r" }], ["BEGIN", {
      transaction: "t",
    }]] as const
  ) {
    await c.send(command, { ...headers, receipt: `${command}-1` });
    assert.equal((await c.frame()).headers["receipt-id"], `${command}-1`);
  }
  await c.send("DISCONNECT", { receipt: "bye" });
  const frames = await c.eofAfter();
  assert.deepEqual(frames.map((f) => [f.command, f.headers["receipt-id"]]), [["RECEIPT", "bye"]]);
  await broker.waitForConnections(0, { timeout: 1000 });
  assert.equal(broker.clients[0].closeReason, "DISCONNECT");
});

Deno.test("transactions: COMMIT applies SENDs and ACKs, ABORT drops them", async () => {
  await using broker = new StompTestBroker();
  await using c = await Raw.connected(broker);
  await c.send("BEGIN", { transaction: "t1" });
  await c.send("SEND", { destination: "/queue/t", transaction: "t1" }, "in-tx");
  await c.send("SEND", { destination: "/queue/t", receipt: "plain" }, "plain");
  await c.frame();
  assert.deepEqual(broker.queue("/queue/t").map((f) => f.text()), ["plain"]);
  assert.equal(broker.queue("/queue/t")[0].headers.transaction, undefined);
  await c.send("COMMIT", { transaction: "t1", receipt: "c" });
  await c.frame();
  assert.deepEqual(broker.queue("/queue/t").map((f) => f.text()), ["plain", "in-tx"]);
  await c.send("BEGIN", { transaction: "t2" });
  await c.send("SEND", { destination: "/queue/t", transaction: "t2" }, "aborted");
  await c.send("ABORT", { transaction: "t2", receipt: "a" });
  await c.frame();
  assert.equal(broker.queue("/queue/t").length, 2);

  await subscribe(c, "/queue/t", { ack: "client-individual" });
  const [m1, m2] = [await c.frame(), await c.frame()];
  await c.send("BEGIN", { transaction: "t3" });
  await c.send("ACK", { id: m1.headers.ack, transaction: "t3" });
  await c.send("ABORT", { transaction: "t3" });
  await c.send("BEGIN", { transaction: "t4" });
  await c.send("ACK", { id: m2.headers.ack, transaction: "t4", receipt: "acked" });
  await c.frame();
  assert.equal(broker.inFlight("/queue/t"), 2); // not yet committed
  await c.send("COMMIT", { transaction: "t4", receipt: "c4" });
  await c.frame();
  assert.equal(broker.inFlight("/queue/t"), 1); // the aborted ACK left m1 unacked
  await c.send("COMMIT", { transaction: "nope", receipt: "x" });
  const error = await c.frame();
  assert.deepEqual([error.command, error.headers["receipt-id"]], ["ERROR", "x"]);
  assert.match(error.headers.message, /unknown transaction "nope"/);
});

Deno.test("heart-beats: the broker mirrors the client, beats, counts client beats", async () => {
  await using broker = new StompTestBroker();
  await using c = await Raw.connected(broker, { "accept-version": "1.2", host: "/", "heart-beat": "30,20" });
  assert.deepEqual(broker.clients[0].heartBeat, { client: 30, server: 20 });
  assert.ok((await c.next()) instanceof StompHeartBeat);
  assert.ok((await c.next()) instanceof StompHeartBeat);
  for (let i = 0; i < 3; i++) await c.write("\n");
  await broker.waitUntil(() => broker.clients[0].heartBeatsReceived === 3, { timeout: 1000 });
  assert.ok(broker.clients[0].heartBeatsSent >= 2);
});

Deno.test("heart-beats: a fixed broker offer is negotiated; 1.0 has none", async () => {
  await using broker = new StompTestBroker({ heartBeats: [100, 200] });
  await using c = await Raw.connected(broker, { "accept-version": "1.1", host: "/", "heart-beat": "50,50" });
  assert.deepEqual(broker.clients[0].heartBeat, { client: 200, server: 100 });
  await using old = await Raw.connected(broker, { "heart-beat": "50,50" });
  assert.equal(old.parser.version, "1.0");
  assert.deepEqual(broker.clients[1].heartBeat, { client: 0, server: 0 });
  assert.equal(c.parser.version, "1.1");
});

Deno.test("heart-beats: a silent client is dropped after 2x its period, unless tolerance is 0", async () => {
  await using broker = new StompTestBroker();
  await using silent = await Raw.connected(broker, {
    "accept-version": "1.2",
    host: "/",
    "heart-beat": "40,0",
  });
  const start = Date.now();
  assert.equal(await silent.next(1000), undefined);
  assert.ok(Date.now() - start >= 70, `dropped after ${Date.now() - start} ms`);
  assert.match(broker.clients[0].closeReason!, /heart-beat timeout/);

  await using patient = new StompTestBroker({ heartBeatTolerance: 0 });
  await using c = await Raw.connected(patient, { "accept-version": "1.2", host: "/", "heart-beat": "20,20" });
  for (let i = 0; i < 5; i++) assert.ok((await c.next()) instanceof StompHeartBeat); // > 2x20 ms of silence
  assert.equal(patient.connections, 1);
});

Deno.test("fault blackHole: the connection is read but never answered", async () => {
  await using broker = new StompTestBroker({ faults: { blackHole: true } });
  await using c = await Raw.memory(broker);
  await c.send("CONNECT", { "accept-version": "1.2", host: "/", "heart-beat": "0,10" });
  await broker.waitFor("CONNECT", { timeout: 1000 });
  await c.silentFor(60);
  assert.equal(broker.connections, 1);
});

Deno.test("fault errorOnConnect: ERROR with the given message, then EOF; per connection", async () => {
  await using broker = new StompTestBroker();
  broker.nextConnection({ errorOnConnect: "maintenance" });
  await using c = await Raw.memory(broker);
  await c.send("CONNECT", { "accept-version": "1.2", host: "/", receipt: "r" });
  const frames = await c.eofAfter();
  assert.deepEqual(frames.map((f) => [f.command, f.headers.message, f.headers["receipt-id"]]), [
    ["ERROR", "maintenance", "r"],
  ]);
  await using next = await Raw.connected(broker); // only the first connection had the fault
  assert.equal(next.parser.version, "1.2");
});

Deno.test("fault errorOnSend fires once; close:false keeps the connection", async () => {
  await using broker = new StompTestBroker();
  await using c = await Raw.connected(broker);
  broker.faults.errorOnSend = { message: "disk full", close: false };
  await c.send("SEND", { destination: "/queue/e", receipt: "1" }, "a");
  const error = await c.frame();
  assert.deepEqual([error.command, error.headers.message, error.headers["receipt-id"]], [
    "ERROR",
    "disk full",
    "1",
  ]);
  assert.equal(broker.faults.errorOnSend, undefined);
  await c.send("SEND", { destination: "/queue/e", receipt: "2" }, "b");
  assert.equal((await c.frame()).command, "RECEIPT");
  assert.deepEqual(broker.queue("/queue/e").map((f) => f.text()), ["b"]);
  broker.faults.errorOnSend = true; // closes by default
  await c.send("SEND", { destination: "/queue/e" }, "c");
  assert.deepEqual((await c.eofAfter()).map((f) => f.command), ["ERROR"]);
});

Deno.test("fault dropAfterFrames: the nth frame is handled, then EOF; unacked come back", async () => {
  await using broker = new StompTestBroker({ faults: { dropAfterFrames: 3 } });
  broker.publish("/queue/d", "m");
  await using c = await Raw.connected(broker);
  await subscribe(c, "/queue/d", { ack: "client" });
  const message = await c.frame();
  await c.send("SEND", { destination: "/queue/other", receipt: "r" });
  const frames = await c.eofAfter();
  assert.deepEqual(frames.map((f) => f.command), ["RECEIPT"]);
  assert.equal(broker.queue("/queue/other").length, 1);
  assert.deepEqual(broker.queue("/queue/d").map((f) => f.headers["message-id"]), [
    message.headers["message-id"],
  ]);
  assert.match(broker.clients[0].closeReason!, /dropAfterFrames/);
});

Deno.test("fault stopHeartBeating: the broker's beats stop while the connection stays", async () => {
  await using broker = new StompTestBroker({ heartBeatTolerance: 0 });
  await using c = await Raw.connected(broker, { "accept-version": "1.2", host: "/", "heart-beat": "0,20" });
  assert.ok((await c.next()) instanceof StompHeartBeat);
  broker.faults.stopHeartBeating = true;
  const sent = broker.clients[0].heartBeatsSent;
  await c.silentFor(80);
  assert.equal(broker.clients[0].heartBeatsSent, sent);
  assert.equal(broker.connections, 1);
  broker.faults.stopHeartBeating = false;
  assert.ok((await c.next()) instanceof StompHeartBeat);
});

Deno.test("fault delay: every answer waits; heart-beats do not", async () => {
  await using broker = new StompTestBroker({ faults: { delay: 80 } });
  await using c = await Raw.memory(broker);
  const start = Date.now();
  await c.connect();
  assert.ok(Date.now() - start >= 75, `CONNECTED after ${Date.now() - start} ms`);
  broker.faults.delay = 0;
  await c.send("SEND", { destination: "/queue/x", receipt: "r" });
  assert.equal((await c.frame(50)).command, "RECEIPT");
});

Deno.test("fault refuse: the connector rejects; nextConnection refuses one; refusingConnector and route", async () => {
  await using broker = new StompTestBroker();
  broker.faults.refuse = true;
  await assert.rejects(broker.connector(ADDRESS, {}), StompConnectionError);
  broker.faults.refuse = false;
  broker.nextConnection({ refuse: true });
  await assert.rejects(broker.connector(ADDRESS, {}), /connection refused by tcp:\/\/test:1/);
  await using ok = await Raw.connected(broker);
  assert.equal(ok.parser.version, "1.2");
  await assert.rejects(StompTestBroker.refusingConnector()(ADDRESS, {}), StompConnectionError);
  const aborted = AbortSignal.abort(new Error("stop"));
  await assert.rejects(broker.connector(ADDRESS, { signal: aborted }), StompCancelledError);
  const routed = StompTestBroker.route({ "tcp://test:1": broker.connector });
  await using viaRoute = new Raw(await routed(ADDRESS, {}));
  await viaRoute.connect();
  await assert.rejects(routed({ ...ADDRESS, port: 2 }, {}), StompConnectionError);
  assert.equal(broker.connections, 2);
});

Deno.test("protocol ERRORs carry message and receipt-id; closeOnError:false keeps the connection", async () => {
  await using broker = new StompTestBroker({ closeOnError: false });
  await using c = await Raw.connected(broker, { "accept-version": "1.1", host: "/" });
  const cases: [string, Record<string, string>, RegExp][] = [
    ["SEND", {}, /SEND without destination header/],
    ["SUBSCRIBE", { destination: "/queue/a" }, /SUBSCRIBE without id header \(required in STOMP 1.1\)/],
    ["SUBSCRIBE", { destination: "/queue/a", id: "1", ack: "sometimes" }, /unknown ack mode "sometimes"/],
    ["SUBSCRIBE", { destination: "/queue/a", id: "1", "prefetch-count": "-1" }, /invalid prefetch/],
    ["UNSUBSCRIBE", { id: "nope" }, /no subscription "nope"/],
    ["ACK", { "message-id": "m" }, /ACK without subscription header/],
    ["ACK", { "message-id": "m", subscription: "s" }, /ACK for no unacked message/],
    ["BEGIN", {}, /BEGIN without transaction header/],
    ["CONNECT", { "accept-version": "1.1", host: "/" }, /already connected/],
    ["MESSAGE", { destination: "/queue/a" }, /MESSAGE is not a STOMP 1.1 client command/],
  ];
  for (const [command, headers, pattern] of cases) {
    await c.send(command, { ...headers, receipt: command });
    const error = await c.frame();
    assert.equal(error.command, "ERROR", `${command}: ${error.info()}`);
    assert.match(error.headers.message, pattern);
    assert.equal(error.headers["receipt-id"], command);
  }
  await c.write("SUBSCRIBE\ndestination:/queue/a\nid:9\n\nbody\0");
  assert.match((await c.frame()).headers.message, /malformed frame.*may not carry a body/);
  await subscribe(c, "/queue/dup", { id: "d" });
  await c.send("SUBSCRIBE", { destination: "/queue/dup", id: "d" });
  assert.match((await c.frame()).headers.message, /subscription "d" already exists/);
  assert.equal(broker.connections, 1);
});

Deno.test("by default a protocol ERROR closes the connection", async () => {
  await using broker = new StompTestBroker();
  await using c = await Raw.connected(broker, {});
  await c.write("NACK\nmessage-id:1\n\n\0"); // NACK does not exist in 1.0
  const frames = await c.eofAfter();
  assert.equal(frames.length, 1);
  assert.match(frames[0].headers.message, /malformed frame.*unknown command "NACK"/);
});

Deno.test("headers are escaped per negotiated version; a message a 1.0 consumer cannot take goes back", async () => {
  await using broker = new StompTestBroker();
  await using modern = await Raw.connected(broker, { "accept-version": "1.1", host: "/" });
  await subscribe(modern, "/queue/esc");
  await modern.send("SEND", { destination: "/queue/esc", "x-odd": "a:b\nc" }, "1");
  const got = await modern.frame();
  assert.equal(got.headers["x-odd"], "a:b\nc");
  await modern.send("UNSUBSCRIBE", { id: "/queue/esc", receipt: "u" });
  await modern.frame();

  await using old = await Raw.connected(broker, {});
  await modern.send("SEND", { destination: "/queue/esc", "x-odd": "line\nbreak" }, "2");
  await old.send("SUBSCRIBE", { destination: "/queue/esc" });
  const [error] = await old.eofAfter();
  assert.match(error.headers.message, /cannot be written in STOMP 1.0/);
  await broker.waitForConnections(1, { timeout: 1000 });
  assert.deepEqual(broker.queue("/queue/esc").map((f) => [f.text(), f.headers.redelivered]), [["2", "true"]]);
});

Deno.test("TCP listener: a client round-trips over loopback; close ends it with EOF", async () => {
  const broker = new StompTestBroker();
  try {
    const address = await broker.listen({ port: 0 });
    assert.equal(address.uri, `tcp://127.0.0.1:${address.port}`);
    await using c = await Raw.tcp(address.port);
    await c.connect({ "accept-version": "1.2", host: "/" });
    await subscribe(c, "/queue/tcp");
    const big = "x".repeat(200_000);
    await c.send("SEND", { destination: "/queue/tcp" }, big);
    const message = await c.frame();
    assert.equal(message.text(), big);
    assert.equal(message.headers["content-length"], "200000");
    broker.faults.refuse = true;
    await using refused = await Raw.tcp(address.port);
    assert.deepEqual(await refused.eofAfter(), []);
    assert.equal(broker.connections, 1);
    await broker.close();
    assert.equal(await c.next(), undefined);
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: address.port }));
  } finally {
    await broker.close();
  }
});

Deno.test("waits: timeouts and aborts reject with StompCancelledError; since skips old frames", async () => {
  await using broker = new StompTestBroker();
  await assert.rejects(broker.waitFor("SEND", { timeout: 20 }), StompCancelledError);
  await assert.rejects(broker.waitForConnections(1, { timeout: 20 }), /timed out after 20 ms/);
  const controller = new AbortController();
  const waiting = broker.waitUntil(() => false, { signal: controller.signal, timeout: Infinity });
  controller.abort(new Error("enough"));
  await assert.rejects(
    waiting,
    (e: Error) => e instanceof StompCancelledError && (e.cause as Error).message === "enough",
  );
  await assert.rejects(broker.waitUntil(() => true, { timeout: -1 }), TypeError);

  await using c = await Raw.connected(broker);
  const pending = broker.waitFor((f, connection) => f.command === "SEND" && connection === 0, {
    timeout: 1000,
  });
  await c.send("SEND", { destination: "/queue/w" }, "1");
  assert.equal((await pending).frame.text(), "1");
  const since = broker.frames.length;
  const second = broker.waitFor("SEND", { since, timeout: 1000 });
  await c.send("SEND", { destination: "/queue/w" }, "2");
  assert.equal((await second).frame.text(), "2");
  assert.deepEqual(broker.frames.map((r) => [r.connection, r.frame.command]), [[0, "CONNECT"], [0, "SEND"], [
    0,
    "SEND",
  ]]);
});

Deno.test("options and faults are validated", () => {
  assert.throws(() => new StompTestBroker({ versions: ["2.0" as StompVersion] }), TypeError);
  assert.throws(() => new StompTestBroker({ versions: [] }), TypeError);
  assert.throws(() => new StompTestBroker({ heartBeats: [-1, 0] }), TypeError);
  assert.throws(() => new StompTestBroker({ heartBeatTolerance: -1 }), TypeError);
  const faults = new StompTestFaults();
  assert.throws(() => (faults.delay = -5), TypeError);
  assert.throws(() => (faults.dropAfterFrames = 0), TypeError);
  assert.throws(() => faults.set({ nonsense: true } as never), /unknown fault "nonsense"/);
  faults.set({ delay: 5, blackHole: true });
  faults.blackHole = undefined;
  assert.deepEqual(faults.toJSON(), { delay: 5 });
  assert.deepEqual(faults.reset().toJSON(), {});
});

Deno.test("memoryPair: both ends see EOF after close; writes after close reject", async () => {
  const [client, server] = memoryPair("tcp://test:1");
  await client.write(encoder.encode("abc"));
  await server.close();
  const reader = client.readable.getReader();
  assert.equal((await reader.read()).done, true);
  const serverReader = server.readable.getReader();
  assert.deepEqual((await serverReader.read()).value, encoder.encode("abc"));
  assert.equal((await serverReader.read()).done, true);
  await assert.rejects(client.write(encoder.encode("x")), StompConnectionError);
  assert.match(client.info, /tcp:\/\/test:1/);
});

Deno.test("frames sent right behind CONNECT are read by the negotiated version's rules", async () => {
  await using broker = new StompTestBroker();
  await using c = await Raw.memory(broker);
  // 1.0 has no header escapes: a backslash is plain text (a 1.2 parser would refuse `\d`).
  await c.write("CONNECT\n\n\0SEND\ndestination:/queue/pipe\nx-path:C:\\dir\n\nhi\0");
  assert.equal((await c.frame()).headers.version, "1.0");
  const [message] = await broker.waitUntil(
    () => broker.queue("/queue/pipe").length === 1 && broker.queue("/queue/pipe"),
    {
      timeout: 1000,
    },
  );
  assert.equal(message.headers["x-path"], "C:\\dir");
});
