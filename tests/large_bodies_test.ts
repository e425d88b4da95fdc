/**
 * Large bodies end to end without a second copy: the writer hands a large body to the connection
 * as it is, and a body of known length is read straight into its own bytes (the parser's
 * bodyRoom/bodyFilled, Deno's conn.read). Every size class, across seeded chunk boundaries, must
 * come out byte-identical.
 */

import assert from "node:assert/strict";
import { deadline } from "../src/connection/wait.ts";
import { StompChannel } from "../src/connection/channel.ts";
import type { StompConnection } from "../src/connection/transport.ts";
import { LISTEN, type ListeningConnection } from "../src/connection/byte_sink.ts";
import { FrameWriter, LARGE_BODY_BYTES } from "../src/connection/writer.ts";
import { denoConnection, denoConnector, DIRECT_READ_BYTES } from "../src/connection/connectors/deno.ts";
import { nodeConnector } from "../src/connection/connectors/node.ts";
import { StompFrame, StompHeartBeat } from "../src/protocol/frame.ts";
import { StompParser } from "../src/protocol/parser.ts";
import { cat, random, wire } from "./helpers/frame_gen.ts";
import { connect } from "../mod.ts";
import { StompTestBroker } from "../src/testing/mod.ts";

/** Around every threshold: the pool's, the writer's chunk and large body, the direct read. */
const SIZES = [
  0,
  1,
  100,
  4095,
  4097,
  LARGE_BODY_BYTES - 1,
  LARGE_BODY_BYTES,
  LARGE_BODY_BYTES + 1,
  2 * DIRECT_READ_BYTES + 3,
  300_000,
  1 << 20,
];
const WAIT = { timeout: 20_000 };

interface Want {
  readonly headers: [string, string][];
  readonly body: Uint8Array;
}

function randomBody(size: number, next: () => number, nul: boolean): Uint8Array {
  const body = new Uint8Array(size);
  for (let i = 0; i < size; i++) body[i] = Math.floor(next() * 256);
  // A few bytes at random places is enough to make every chunk differ; NULs only with content-length.
  if (!nul) { for (let i = 0; i < size; i++) if (body[i] === 0) body[i] = 1; }
  return body;
}

/** `frames` MESSAGEs of random size classes (heart-beats between), as the broker would send them. */
function stream(next: () => number, frames = 10): { bytes: Uint8Array; want: Want[] } {
  const parts: Uint8Array[] = [], want: Want[] = [];
  for (let f = 0; f < frames; f++) {
    if (next() < 0.3) parts.push(new Uint8Array([10]));
    const size = SIZES[Math.floor(next() * SIZES.length)];
    // Without content-length the body is scanned for its NUL: only for the smaller sizes.
    const contentLength = size > 4097 || next() < 0.7;
    const body = randomBody(size, next, contentLength);
    const headers: [string, string][] = [["destination", "/queue/a"], ["message-id", `m${f}`], [
      "subscription",
      "0",
    ]];
    const c = {
      version: "1.2" as const,
      command: "MESSAGE",
      headers,
      body,
      contentLength,
      crlf: next() < 0.3,
    };
    parts.push(wire(c));
    want.push({
      headers: contentLength ? [...headers, ["content-length", String(size)]] : headers,
      body,
    });
  }
  return { bytes: cat(parts), want };
}

/** Bytes available to one read: a few bytes, a few KiB or a few hundred KiB. */
function readSize(next: () => number): number {
  const r = next();
  return r < 0.3 ? 1 + Math.floor(next() * 4) : r < 0.6 ? 1 + Math.floor(next() * 4096) : 1 +
    Math.floor(next() * 300_000);
}

function assertFrames(got: StompFrame[], want: Want[], seed: number): void {
  assert.equal(got.length, want.length, `seed ${seed}: frame count`);
  for (let i = 0; i < want.length; i++) {
    assert.equal(got[i].command, "MESSAGE");
    assert.deepEqual(got[i].rawHeaders, want[i].headers, `seed ${seed}, frame ${i}: headers`);
    assert.equal(got[i].body.length, want[i].body.length, `seed ${seed}, frame ${i}: body length`);
    assert.ok(equalBytes(got[i].body, want[i].body), `seed ${seed}, frame ${i}: body bytes`);
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Reads `connection` through a channel (the client's read path) until EOF. */
async function readAll(connection: StompConnection): Promise<StompFrame[]> {
  const channel = new StompChannel(connection, "1.2");
  const frames: StompFrame[] = [];
  const closed = Promise.withResolvers<void>();
  channel.start({
    frame: (frame) => frames.push(frame),
    frameError: (error) => closed.reject(error),
    closed: (error) => error ? closed.reject(error) : closed.resolve(),
  });
  await deadline(closed.promise, WAIT, "the stream's end");
  return frames;
}

// ---- the parser's direct-read API --------------------------------------------------------------

Deno.test("parser: bodies filled through bodyRoom/bodyFilled equal those added as chunks, every boundary", () => {
  for (let seed = 1; seed <= 8; seed++) {
    const next = random(seed);
    const { bytes, want } = stream(next);
    const parser = new StompParser("1.2");
    const got: StompFrame[] = [];
    let direct = 0;
    for (let at = 0; at < bytes.length;) {
      const room = parser.bodyRoom();
      const n = Math.min(readSize(next), bytes.length - at);
      if (room !== undefined && next() < 0.7) {
        const take = Math.min(n, room.length);
        room.set(bytes.subarray(at, at + take));
        parser.bodyFilled(take);
        at += take;
        direct += take;
      } else {
        parser.add(bytes.subarray(at, at + n));
        at += n;
      }
      while (parser.canRead()) {
        const item = parser.get();
        if (item instanceof StompFrame) got.push(item);
      }
    }
    assert.equal(parser.pending, false);
    assertFrames(got, want, seed);
    if (want.some((w) => w.body.length > 8192)) assert.ok(direct > 0, `seed ${seed}: no direct read`);
  }
});

Deno.test("parser: bodyFilled refuses more than the body wants, or when no body is being read", () => {
  const parser = new StompParser("1.2");
  assert.equal(parser.bodyRoom(), undefined);
  assert.throws(() => parser.bodyFilled(1), RangeError);
  parser.add(new TextEncoder().encode("MESSAGE\ncontent-length:4\n\nab"));
  assert.equal(parser.bodyRoom()?.length, 2);
  assert.throws(() => parser.bodyFilled(3), RangeError);
  parser.bodyRoom()!.set([99, 100]);
  parser.bodyFilled(2);
  assert.equal(parser.bodyRoom(), undefined, "a full body wants its NUL through add()");
  parser.add(new Uint8Array([0]));
  assert.deepEqual([...(parser.get() as StompFrame).body], [97, 98, 99, 100]);
});

// ---- the Deno connector's read path ------------------------------------------------------------

/** A `Deno.Conn` that serves `bytes` in seeded read sizes, recording the buffers it was given. */
function scriptedConn(bytes: Uint8Array, next: () => number) {
  let at = 0;
  const buffers: ArrayBufferLike[] = [];
  const conn = {
    read(buffer: Uint8Array): Promise<number | null> {
      buffers.push(buffer.buffer);
      if (at >= bytes.length) return Promise.resolve(null);
      const n = Math.min(buffer.length, readSize(next), bytes.length - at);
      buffer.set(bytes.subarray(at, at + n));
      at += n;
      return Promise.resolve(n);
    },
    write: (b: Uint8Array) => Promise.resolve(b.length),
    close() {},
  };
  return { conn: conn as unknown as Deno.Conn, buffers };
}

Deno.test("deno connector: large bodies are read into their own bytes, every size across every boundary", async () => {
  for (let seed = 1; seed <= 8; seed++) {
    const next = random(100 + seed);
    const { bytes, want } = stream(next);
    const { conn, buffers } = scriptedConn(bytes, next);
    const got = await readAll(denoConnection(conn, "scripted://", false));
    assertFrames(got, want, seed);
    // Every body with DIRECT_READ_BYTES or more left after the chunk that held its header block
    // was read into itself: its own ArrayBuffer was handed to conn.read.
    const direct = got.filter((f) => buffers.includes(f.body.buffer));
    if (want.some((w) => w.body.length >= 2 * DIRECT_READ_BYTES + 3)) {
      assert.ok(direct.length > 0, `seed ${seed}: no body was read into directly`);
    }
    for (const f of direct) assert.ok(f.body.length >= DIRECT_READ_BYTES);
  }
});

// ---- real sockets: Deno and Node connectors against a local TCP server ---------------------------

/** A local server that writes `bytes` in seeded pieces, then closes. */
function serve(bytes: Uint8Array, next: () => number): { port: number; done: Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const conn = await listener.accept();
    listener.close();
    try {
      for (let at = 0; at < bytes.length;) {
        const n = Math.min(readSize(next), bytes.length - at);
        for (let w = 0; w < n;) w += await conn.write(bytes.subarray(at + w, at + n));
        at += n;
      }
    } finally {
      conn.close();
    }
  })();
  return { port: (listener.addr as Deno.NetAddr).port, done };
}

/**
 * Reads `connection` through its LISTEN hook into a parser, as the channel does, counting the
 * bytes the connector read straight into a body.
 */
async function listenAll(connection: ListeningConnection): Promise<{ frames: StompFrame[]; direct: number }> {
  const parser = new StompParser("1.2");
  const frames: StompFrame[] = [];
  const ended = Promise.withResolvers<void>();
  let direct = 0;
  connection[LISTEN]!({
    data(bytes) {
      parser.add(bytes);
      while (parser.canRead()) {
        const item = parser.get();
        if (item instanceof StompFrame) frames.push(item);
      }
    },
    room: () => parser.bodyRoom(),
    filled(n) {
      direct += n;
      parser.bodyFilled(n);
    },
    end: (error) => error ? ended.reject(error) : ended.resolve(),
  });
  await deadline(ended.promise, WAIT, "the stream's end");
  assert.equal(parser.pending, false);
  return { frames, direct };
}

for (const [name, connector] of [["deno", denoConnector], ["node", nodeConnector]] as const) {
  Deno.test(`${name} connector: a real socket reads large bodies into themselves, byte-identical`, async () => {
    for (let seed = 1; seed <= 3; seed++) {
      const next = random(200 + seed);
      const { bytes, want } = stream(next, 12);
      const server = serve(bytes, next);
      const connection = await connector({ protocol: "tcp", host: "127.0.0.1", port: server.port }, {
        connectTimeout: 5000,
      });
      try {
        const { frames, direct } = await listenAll(connection as ListeningConnection);
        assertFrames(frames, want, seed);
        if (want.some((w) => w.body.length >= 300_000)) assert.ok(direct > 0, `seed ${seed}: no direct read`);
      } finally {
        await connection.close();
      }
      await deadline(server.done, WAIT, "the server");
    }
  });
}

Deno.test("node connector: chunks queued in `readable` are copies of the reused read buffer", async () => {
  const next = random(250);
  const { bytes } = stream(next, 12);
  const server = serve(bytes, next);
  const connection = await nodeConnector({ protocol: "tcp", host: "127.0.0.1", port: server.port }, {
    connectTimeout: 5000,
  });
  try {
    // Nothing reads until the server is done: the chunks wait in the stream's queue meanwhile.
    await deadline(server.done, WAIT, "the server");
    const chunks: Uint8Array[] = [];
    const reader = connection.readable.getReader();
    for (;;) {
      const { value, done } = await deadline(reader.read(), WAIT, "a chunk");
      if (done) break;
      chunks.push(value);
    }
    assert.ok(equalBytes(cat(chunks), bytes), "the bytes read differ from the bytes sent");
  } finally {
    await connection.close();
  }
});

// ---- the write path ----------------------------------------------------------------------------

/** Records what each write was given (the array itself and a copy) and settles it a turn later. */
class RecordingConnection implements StompConnection {
  readonly readable = new ReadableStream<Uint8Array>();
  readonly info = "recording://";
  readonly messageFramed = false;
  readonly given: Uint8Array[] = [];
  readonly copies: Uint8Array[] = [];
  inFlight = 0;
  maxInFlight = 0;
  write(bytes: Uint8Array): Promise<void> {
    this.given.push(bytes);
    this.copies.push(bytes.slice());
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    return new Promise((resolve) =>
      setTimeout(() => {
        this.inFlight--;
        resolve();
      }, 0)
    );
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const sendFrame = (body: Uint8Array | string, i: number) =>
  new StompFrame("SEND", { destination: "/queue/a", "x-seq": String(i) }, body);

Deno.test("writer: a large body is handed to the connection as it is, its NUL after it", async () => {
  const conn = new RecordingConnection();
  const writer = new FrameWriter(conn);
  const large = new Uint8Array(LARGE_BODY_BYTES).fill(7);
  const small = new Uint8Array(LARGE_BODY_BYTES - 1).fill(8);
  const frames = [sendFrame("a", 0), sendFrame(large, 1), sendFrame(small, 2), sendFrame("b", 3)];
  await Promise.all(frames.map((f) => writer.write(f)));
  assert.ok(conn.given.includes(large), "the large body itself was written");
  assert.ok(!conn.given.some((g) => g.buffer === small.buffer), "a body under the threshold is copied");
  assert.deepEqual(cat(conn.copies), cat(frames.map((f) => f.toBytes())));
  assert.equal(conn.maxInFlight, 1);
});

Deno.test("writer: frames of every size class, queued in seeded turns, come out byte-identical", async () => {
  for (let seed = 1; seed <= 6; seed++) {
    const next = random(300 + seed);
    const conn = new RecordingConnection();
    const writer = new FrameWriter(conn);
    const expected: Uint8Array[] = [];
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) {
      if (next() < 0.2) {
        pending.push(writer.write(StompHeartBeat.INSTANCE));
        expected.push(StompHeartBeat.INSTANCE.toBytes());
      }
      const size = SIZES[Math.floor(next() * SIZES.length)];
      const body = next() < 0.2 ? "é".repeat(size >> 1) : randomBody(size, next, true);
      const frame = sendFrame(body, i);
      pending.push(writer.write(frame));
      expected.push(frame.toBytes());
      // Sometimes the turn ends (the batch is flushed), sometimes the loop awaits its write.
      const r = next();
      if (r < 0.2) await pending.at(-1);
      else if (r < 0.4) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await Promise.all(pending);
    assert.ok(equalBytes(cat(conn.copies), cat(expected)), `seed ${seed}: the wire differs`);
    assert.equal(conn.maxInFlight, 1, `seed ${seed}: one write in flight`);
  }
});

// ---- both paths at once: a client sends every size class to the test broker and reads it back ----

Deno.test("client: every size class sent and received through the test broker over TCP is byte-identical", async () => {
  const broker = new StompTestBroker({ users: { guest: "guest" } });
  try {
    const { uri } = await broker.listen();
    const client = await connect(uri, { login: "guest", passcode: "guest", connector: denoConnector });
    try {
      const next = random(400);
      const bodies = SIZES.map((size) => randomBody(size, next, true));
      const sub = await client.subscribe("/queue/large", {}, { ack: "client-individual" });
      // Not awaited one by one: the large and small frames of one turn share a batch.
      await Promise.all(bodies.map((body, i) => client.send("/queue/large", body, { "x-seq": String(i) })));
      let i = 0;
      for await (const msg of sub) {
        assert.equal(msg.headers["x-seq"], String(i));
        assert.ok(equalBytes(msg.body, bodies[i]), `body ${i} (${bodies[i].length} bytes)`);
        await msg.ack();
        if (++i === bodies.length) break;
      }
    } finally {
      await client.disconnect({ timeout: 5000 }).finally(() => client.close());
    }
  } finally {
    await broker.close();
  }
});
