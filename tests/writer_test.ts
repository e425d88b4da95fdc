import assert from "node:assert/strict";
import { StompConnectionError, StompFrameError } from "../src/errors.ts";
import { StompFrame, StompHeartBeat } from "../src/protocol/frame.ts";
import type { StompConnection } from "../src/connection/transport.ts";
import { FrameWriter } from "../src/connection/writer.ts";

const decoder = new TextDecoder();

/** A connection whose writes stay pending until the test settles them. */
class FakeConnection implements StompConnection {
  readonly readable = new ReadableStream<Uint8Array>();
  readonly info = "fake://test";
  readonly writes: { text: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #waiters: (() => void)[] = [];
  constructor(readonly messageFramed = false) {}
  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.writes.push({ text: decoder.decode(bytes), resolve, reject });
      for (const w of this.#waiters.splice(0)) w();
    });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  /** Resolves once `n` writes were made. */
  async written(n: number): Promise<void> {
    while (this.writes.length < n) await new Promise<void>((r) => this.#waiters.push(r));
  }
}

const send = (body: string) => new StompFrame("SEND", { destination: "/queue/a" }, body);
const wire = (body: string) => decoder.decode(send(body).toBytes());

/** Tracks whether a promise has settled, without waiting for it. */
function track(promise: Promise<void>) {
  const state = { settled: false, error: undefined as unknown };
  promise.then(() => state.settled = true, (e) => {
    state.settled = true;
    state.error = e;
  });
  return state;
}

/** Lets every queued microtask (and the promise chains behind them) run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

Deno.test("writer: frames queued in one turn go out in one write, in order", async () => {
  const conn = new FakeConnection();
  const writer = new FrameWriter(conn);
  const done = Promise.all([
    writer.write(send("1")),
    writer.write(StompHeartBeat.INSTANCE),
    writer.write(send("2")),
  ]);
  await conn.written(1);
  assert.equal(conn.writes.length, 1);
  assert.equal(conn.writes[0].text, wire("1") + "\n" + wire("2"));
  conn.writes[0].resolve();
  await done;
  assert.equal(conn.writes.length, 1);
});

Deno.test("writer: a frame's promise resolves only when its bytes were written", async () => {
  const conn = new FakeConnection();
  const writer = new FrameWriter(conn);
  const first = track(writer.write(send("1")));
  await conn.written(1);
  await settle();
  assert.equal(first.settled, false);
  conn.writes[0].resolve();
  await settle();
  assert.deepEqual(first, { settled: true, error: undefined });
});

Deno.test("writer: the next batch waits for the previous write (backpressure)", async () => {
  const conn = new FakeConnection();
  const writer = new FrameWriter(conn);
  const first = writer.write(send("1"));
  await conn.written(1);
  const later = [writer.write(send("2")), writer.write(send("3"))];
  await settle();
  assert.equal(conn.writes.length, 1, "nothing more is written while the first write is pending");
  conn.writes[0].resolve();
  await first;
  await conn.written(2);
  assert.equal(conn.writes[1].text, wire("2") + wire("3"));
  conn.writes[1].resolve();
  await Promise.all(later);
});

Deno.test("writer: a messageFramed connection gets one write per frame, in order", async () => {
  const conn = new FakeConnection(true);
  const writer = new FrameWriter(conn);
  const a = track(writer.write(send("1")));
  const b = track(writer.write(send("2")));
  await conn.written(1);
  await settle();
  assert.equal(conn.writes.length, 1, "the second frame waits for the first write");
  conn.writes[0].resolve();
  await conn.written(2);
  assert.equal(a.settled, true);
  assert.equal(b.settled, false);
  assert.deepEqual(conn.writes.map((w) => w.text), [wire("1"), wire("2")]);
  conn.writes[1].resolve();
  await settle();
  assert.equal(b.settled, true);
});

Deno.test("writer: a failed write rejects everything pending and every later write", async () => {
  const conn = new FakeConnection();
  const writer = new FrameWriter(conn);
  const batch = [writer.write(send("1")), writer.write(send("2"))];
  await conn.written(1);
  const queued = writer.write(send("3"));
  const cause = new Error("EPIPE");
  conn.writes[0].reject(cause);
  for (const p of [...batch, queued]) {
    const error = await p.then(() => undefined, (e) => e);
    assert.ok(error instanceof StompConnectionError, String(error));
    assert.equal(error.cause, cause);
    assert.match(error.message, /fake:\/\/test/);
  }
  await assert.rejects(writer.write(send("4")), StompConnectionError);
  assert.equal(conn.writes.length, 1, "nothing is written after the failure");
});

Deno.test("writer: a StompConnectionError from the connection is passed on as it is", async () => {
  const conn = new FakeConnection();
  const writer = new FrameWriter(conn);
  const p = writer.write(send("1"));
  await conn.written(1);
  const lost = new StompConnectionError("fake://test: connection lost");
  conn.writes[0].reject(lost);
  await assert.rejects(p, (e) => e === lost);
});

Deno.test("writer: a messageFramed failure keeps the frames already written", async () => {
  const conn = new FakeConnection(true);
  const writer = new FrameWriter(conn);
  const a = writer.write(send("1"));
  const b = writer.write(send("2"));
  const c = writer.write(send("3"));
  await conn.written(1);
  conn.writes[0].resolve();
  await conn.written(2);
  conn.writes[1].reject(new Error("closed"));
  await a;
  await assert.rejects(b, StompConnectionError);
  await assert.rejects(c, StompConnectionError);
  assert.equal(conn.writes.length, 2);
});

Deno.test("writer: a frame that cannot be encoded is refused alone", async () => {
  const conn = new FakeConnection();
  const writer = new FrameWriter(conn);
  const bad = writer.write(new StompFrame("SEND", { destination: "/queue/a\0" }));
  const good = writer.write(send("ok"));
  await assert.rejects(bad, StompFrameError);
  await conn.written(1);
  assert.equal(conn.writes[0].text, wire("ok"));
  conn.writes[0].resolve();
  await good;
});

Deno.test("writer: an awaiting publish loop never has more than one write in flight", async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  let writes = 0;
  const conn: StompConnection = {
    readable: new ReadableStream(),
    messageFramed: false,
    info: "fake://slow",
    write: async () => {
      writes++;
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
    },
    close: () => Promise.resolve(),
  };
  const writer = new FrameWriter(conn);
  const producers = [0, 1, 2].map(async (p) => {
    for (let i = 0; i < 20; i++) await writer.write(send(`${p}-${i}`));
  });
  await Promise.all(producers);
  assert.equal(maxInFlight, 1);
  assert.ok(writes >= 20 && writes <= 60, `writes: ${writes}`);
});
