// The hot paths of issue 13 keep their meaning: the writer's chunked batches are the frames'
// bytes in order, the one-pass SEND builder orders headers as the per-header rules did, and bytes
// pushed straight from a connector reach the parser (early ones too) and end the channel once.
import assert from "node:assert/strict";
import { StompConnectionError, StompFrameError } from "../src/errors.ts";
import { StompFrame, StompHeartBeat } from "../src/protocol/frame.ts";
import * as commands from "../src/protocol/commands.ts";
import type { StompConnection } from "../src/connection/transport.ts";
import { FrameWriter } from "../src/connection/writer.ts";
import { StompChannel } from "../src/connection/channel.ts";
import { type ByteSink, LISTEN, type ListeningConnection } from "../src/connection/byte_sink.ts";
import { pushSource } from "../src/connection/connectors/common.ts";
import { random } from "./helpers/frame_gen.ts";

const encoder = new TextEncoder();

const TEXTS = ["/queue/a", "é", "日本", "a\\b", "x:y", "line\nbreak", "😀", "plain"];

function randomFrame(next: () => number): StompFrame | StompHeartBeat {
  if (next() < 0.1) return StompHeartBeat.INSTANCE;
  const headers: [string, string][] = [];
  for (let i = Math.floor(next() * 4); i >= 0; i--) {
    headers.push([TEXTS[Math.floor(next() * TEXTS.length)], TEXTS[Math.floor(next() * TEXTS.length)]]);
  }
  const size = next() < 0.05 ? Math.floor(next() * 200_000) : Math.floor(next() * 300);
  const body = new Uint8Array(size);
  for (let i = 0; i < size; i += 97) body[i] = Math.floor(next() * 256);
  return new StompFrame("SEND", headers, body, "1.2");
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Records every write (copied), each settled by the test or at once. */
function recorder(autoResolve: boolean) {
  const writes: Uint8Array[] = [];
  const pending: (() => void)[] = [];
  const connection: StompConnection = {
    readable: new ReadableStream(),
    messageFramed: false,
    info: "fake://test",
    write(bytes) {
      writes.push(bytes.slice());
      if (autoResolve) return Promise.resolve();
      return new Promise((resolve) => pending.push(resolve));
    },
    close: () => Promise.resolve(),
  };
  return { connection, writes, pending };
}

/**
 * Writes `bursts` seeded bursts of `min` to `min + spread` frames, each burst not awaited frame by
 * frame (as a publish loop sends: several chunks per batch); returns every frame's bytes in order.
 */
async function writeBursts(
  writer: FrameWriter,
  next: () => number,
  bursts: number,
  min: number,
  spread: number,
  afterEach?: () => void,
): Promise<Uint8Array[]> {
  const expected: Uint8Array[] = [];
  for (let burst = 0; burst < bursts; burst++) {
    const frames = Array.from({ length: min + Math.floor(next() * spread) }, () => randomFrame(next));
    expected.push(...frames.map((f) => f.toBytes()));
    await Promise.all(frames.map((f) => writer.write(f)));
    afterEach?.();
  }
  return expected;
}

Deno.test("writer: seeded batches across chunk boundaries are every frame's bytes, in order", async () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const next = random(seed);
    const { connection, writes } = recorder(true);
    const writer = new FrameWriter(connection);
    const frames = Array.from({ length: 400 }, () => randomFrame(next));
    await Promise.all(frames.map((f) => writer.write(f)));
    assert.deepEqual(concat(writes), concat(frames.map((f) => f.toBytes())), `seed ${seed}`);
  }
});

Deno.test("writer: a frame that cannot be written rejects in a seeded burst and leaves no byte behind", async () => {
  for (const seed of [21, 22, 23]) {
    const next = random(seed);
    const { connection, writes } = recorder(true);
    const writer = new FrameWriter(connection);
    const good: Uint8Array[] = [];
    const results: Promise<unknown>[] = [];
    let bad = 0;
    for (let i = 0; i < 1500; i++) {
      if (next() < 0.05) {
        // A NUL in a header would end the frame early: refused, whichever chunk it would start.
        bad++;
        const frame = new StompFrame(
          "SEND",
          [["destination", "/q"], ["x", "a\0b".repeat(1 + i % 50)]],
          "x",
          "1.2",
        );
        results.push(
          writer.write(frame).then(
            () => assert.fail("written"),
            (e) => assert.ok(e instanceof StompFrameError),
          ),
        );
      } else {
        const frame = randomFrame(next);
        good.push(frame.toBytes());
        results.push(writer.write(frame));
      }
    }
    await Promise.all(results);
    assert.ok(bad > 0);
    assert.deepEqual(concat(writes), concat(good), `seed ${seed}`);
  }
});

Deno.test("writer: a connection with writev gets each batch of several chunks in one gathered write", async () => {
  for (const seed of [11, 12, 13]) {
    const next = random(seed);
    const calls: { kind: "write" | "writev"; bytes: Uint8Array }[] = [];
    const connection: StompConnection = {
      readable: new ReadableStream(),
      messageFramed: false,
      info: "fake://writev",
      write(bytes) {
        calls.push({ kind: "write", bytes: bytes.slice() });
        return Promise.resolve();
      },
      writev(chunks) {
        calls.push({ kind: "writev", bytes: concat(chunks.map((c) => c.slice())) });
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    };
    let before = 0;
    const expected = await writeBursts(new FrameWriter(connection), next, 6, 200, 800, () => {
      // One burst, one batch: a single call, gathered when it spans several chunks.
      assert.equal(calls.length, before + 1, `seed ${seed}: one call per batch`);
      before = calls.length;
    });
    assert.ok(calls.some((c) => c.kind === "writev"), `seed ${seed}: batches of several chunks use writev`);
    assert.deepEqual(concat(calls.map((c) => c.bytes)), concat(expected), `seed ${seed}`);
  }
});

Deno.test("writer: no frame of a batch written in several chunks resolves before the last chunk is out", async () => {
  const { connection, writes, pending } = recorder(false);
  const writer = new FrameWriter(connection);
  const body = new Uint8Array(40_000);
  let resolved = 0;
  const all = [1, 2, 3, 4].map(() =>
    writer.write(new StompFrame("SEND", { destination: "/queue/a" }, body)).then(() => resolved++)
  );
  for (let i = 0; i < 10 && pending.length === 0; i++) await Promise.resolve();
  while (writes.length < 2 || pending.length > 0) {
    assert.equal(resolved, 0);
    pending.shift()!();
    for (let i = 0; i < 10; i++) await Promise.resolve();
  }
  await Promise.all(all);
  assert.equal(resolved, 4);
  assert.ok(writes.length >= 2, "the batch spans more than one chunk");
});

Deno.test("writer: chunks are refilled only after their write resolved, and seeded bursts stay exact", async () => {
  for (const seed of [7, 8, 9]) {
    const next = random(seed);
    // Writes resolve a few turns later: a chunk reused too early would change bytes still held.
    const held: { bytes: Uint8Array; copy: Uint8Array }[] = [];
    const buffers = new Set<ArrayBufferLike>();
    let reused = 0;
    const connection: StompConnection = {
      readable: new ReadableStream(),
      messageFramed: false,
      info: "fake://test",
      async write(bytes) {
        if (buffers.has(bytes.buffer) && bytes.byteLength > 1024) reused++;
        buffers.add(bytes.buffer);
        const entry = { bytes, copy: bytes.slice() };
        held.push(entry);
        for (let i = Math.floor(next() * 5); i >= 0; i--) await Promise.resolve();
        assert.deepEqual(entry.bytes, entry.copy, `seed ${seed}: bytes changed before their write resolved`);
      },
      close: () => Promise.resolve(),
    };
    const expected = await writeBursts(new FrameWriter(connection), next, 12, 300, 600);
    assert.deepEqual(concat(held.map((h) => h.copy)), concat(expected), `seed ${seed}`);
    assert.ok(reused > 0, `seed ${seed}: written chunks are refilled by later batches`);
  }
});

/** SEND headers as the per-header rules built them: each explicit one replaces any given one, last. */
function referenceSendHeaders(
  given: [string, string][],
  transaction: string | undefined,
  receipt: string | undefined,
): [string, string][] {
  const set = (pairs: [string, string][], name: string, value: string | undefined) =>
    value === undefined ? pairs : [...pairs.filter(([k]) => k !== name), [name, value] as [string, string]];
  return set(set(set(given, "destination", "/queue/d"), "transaction", transaction), "receipt", receipt);
}

Deno.test("commands.send: one pass orders seeded headers as the per-header rules did", () => {
  const names = ["destination", "transaction", "receipt", "content-type", "x", "priority"];
  const next = random(42);
  for (let round = 0; round < 500; round++) {
    const given: [string, string][] = [];
    for (let i = Math.floor(next() * 6); i > 0; i--) {
      given.push([names[Math.floor(next() * names.length)], `v${Math.floor(next() * 5)}`]);
    }
    const transaction = next() < 0.5 ? "tx" : undefined;
    const receipt = next() < 0.5 ? "r" : undefined;
    const expected = referenceSendHeaders(given, transaction, receipt);
    const asList = commands.send("/queue/d", "hi", given, { transaction, receipt });
    assert.deepEqual(asList.rawHeaders, expected, JSON.stringify({ given, transaction, receipt }));
    const record = Object.fromEntries(given);
    const fromRecord = referenceSendHeaders(Object.entries(record), transaction, receipt);
    assert.deepEqual(
      commands.send("/queue/d", "hi", record, { transaction, receipt }).rawHeaders,
      fromRecord,
    );
  }
});

Deno.test("pushSource: chunks and the end pushed before anyone listens are handed over in order", () => {
  const source = pushSource(() => {});
  source.push(encoder.encode("a"));
  source.push(encoder.encode("b"));
  source.end(new StompConnectionError("gone"));
  source.push(encoder.encode("after the end"));
  const seen: string[] = [];
  let ended: unknown = "not yet";
  source[LISTEN]({ data: (b) => seen.push(new TextDecoder().decode(b)), end: (e) => ended = e });
  assert.deepEqual(seen, ["a", "b"]);
  assert.ok(ended instanceof StompConnectionError);
  assert.throws(() => source.readable, /already being read/);
});

Deno.test("pushSource: readable still delivers when nobody listens", async () => {
  const source = pushSource(() => {});
  source.push(encoder.encode("x"));
  const reading = Array.fromAsync(source.readable);
  source.push(encoder.encode("y"));
  source.end();
  assert.deepEqual((await reading).map((c) => c.length), [1, 1]);
});

/** A connection that pushes what the test gives it into the channel. */
function listening() {
  let sink: ByteSink | undefined;
  let closed = 0;
  const connection: ListeningConnection = {
    readable: new ReadableStream(),
    messageFramed: false,
    info: "fake://listen",
    write: () => Promise.resolve(),
    close: () => {
      closed++;
      sink?.end();
      return Promise.resolve();
    },
    [LISTEN]: (s) => sink = s,
  };
  return {
    connection,
    push: (text: string) => sink!.data(encoder.encode(text)),
    /** The peer's EOF (not our close). */
    eof: () => sink!.end(),
    closed: () => closed,
  };
}

Deno.test("channel over a listening connection: frames are delivered; a throwing handler ends it once", async () => {
  const { connection, push, closed } = listening();
  const channel = new StompChannel(connection, "1.2");
  const frames: string[] = [];
  const ends: (StompConnectionError | undefined)[] = [];
  channel.start({
    frame: (f) => {
      frames.push(f.command);
      if (f.command === "ERROR") throw new Error("handler bug");
    },
    closed: (e) => ends.push(e),
  });
  push("RECEIPT\nreceipt-id:1\n\n\0");
  push("ERROR\n\n\0");
  await channel.ended;
  assert.deepEqual(frames, ["RECEIPT", "ERROR"]);
  assert.equal(ends.length, 1);
  assert.ok(ends[0] instanceof StompConnectionError);
  assert.match(String((ends[0].cause as Error).message), /handler bug/);
  assert.equal(closed(), 1);
});

Deno.test("channel over a listening connection: an end inside a frame is a failure, our own close is not", async () => {
  const cut = listening();
  const channel = new StompChannel(cut.connection, "1.2");
  const ends: (StompConnectionError | undefined)[] = [];
  channel.start({ frame: () => {}, closed: (e) => ends.push(e) });
  cut.push("MESSAGE\ndestination:/q\n\nhal");
  cut.eof();
  await channel.ended;
  assert.match(String(ends[0]?.message), /ended inside a frame/);

  const ours = listening();
  const mine = new StompChannel(ours.connection, "1.2");
  const mineEnds: (StompConnectionError | undefined)[] = [];
  mine.start({ frame: () => {}, closed: (e) => mineEnds.push(e) });
  ours.push("MESSAGE\ndestination:/q\n\nhal");
  await mine.close();
  await mine.ended;
  assert.deepEqual(mineEnds, [undefined]);
});
