/**
 * Byte streams the parser benchmarks feed: MESSAGE frames like a broker sends them, cut into 64 KiB
 * chunks, plus the two reference parsers measured in the same run (the `indexOf(0)` floor and
 * @stomp/stompjs's Parser, the peer most JS users run today).
 *
 * @module
 */

import { Parser as StompJsParser } from "@stomp/stompjs";
import { StompParser } from "../src/protocol/parser.ts";

/** One workload: its chunks and what they hold. */
export interface Workload {
  readonly name: string;
  readonly frames: number;
  readonly bytes: number;
  readonly chunks: Uint8Array[];
  /** The same chunks as ArrayBuffers: @stomp/stompjs takes `string | ArrayBuffer` (a Uint8Array would be copied). */
  readonly buffers: ArrayBuffer[];
}

const encoder = new TextEncoder();

/**
 * `count` MESSAGE frames with 8 headers and a `size`-byte body, cut into `chunkSize` chunks. The
 * headers are what ActiveMQ sends over STOMP 1.2: message-id and ack are `ID:host-port-time-n:...`
 * with every ':' escaped as `\c`, so the parser's unescaping is exercised on every frame.
 */
export function messages(count: number, size: number, contentLength = true, chunkSize = 65536): Workload {
  const body = new Uint8Array(size).fill(0x61);
  const frames: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const id = `ID\\cbench-host-40611-1700000000000-1\\c1\\c1\\c1\\c${i}`;
    const head = encoder.encode(
      `MESSAGE\ndestination:/queue/bench.parser\nmessage-id:${id}\nsubscription:sub-0\nack:${id}\n` +
        `content-type:text/plain\npriority:4\ntimestamp:${1700000000000 + i}\n` +
        (contentLength ? `content-length:${size}\n` : `expires:0\n`) + "\n",
    );
    const frame = new Uint8Array(head.length + size + 1);
    frame.set(head);
    frame.set(body, head.length);
    frames.push(frame);
    total += frame.length;
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const f of frames) {
    all.set(f, at);
    at += f.length;
  }
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < total; i += chunkSize) chunks.push(all.slice(i, Math.min(total, i + chunkSize)));
  const kind = contentLength ? "" : ", no content-length";
  const buffers = chunks.map((c) => c.buffer as ArrayBuffer);
  return { name: `${count} x ${size} B${kind}`, frames: count, bytes: total, chunks, buffers };
}

/** The workloads the issue names, built one at a time (the 1 MiB one holds 500 MiB). */
export function* workloads(): Generator<Workload> {
  yield messages(100_000, 100);
  yield messages(20_000, 4096);
  yield messages(500, 1 << 20);
  yield messages(100_000, 100, false);
}

/** Our parser: every frame taken out; returns the frame count so nothing is optimised away. */
export function runStompest(w: Workload): number {
  const parser = new StompParser("1.2");
  let n = 0;
  for (const chunk of w.chunks) {
    parser.add(chunk);
    while (parser.canRead()) if (parser.get()) n++;
  }
  if (n !== w.frames) throw new Error(`stompest parsed ${n} of ${w.frames} frames`);
  return n;
}

/**
 * Our parser as the Deno and Node connectors drive it: while the rest of a body of known length is
 * 64 KiB or more it is filled in place (`bodyRoom`/`bodyFilled`; the `set` here stands for the
 * socket read into it, the one copy), everything else goes through `add`.
 */
export function runStompestDirect(w: Workload): number {
  const parser = new StompParser("1.2");
  let n = 0;
  for (const chunk of w.chunks) {
    for (let off = 0; off < chunk.length;) {
      const room = parser.bodyRoom();
      if (room !== undefined && room.length >= 65536) {
        const take = Math.min(room.length, chunk.length - off);
        room.set(chunk.subarray(off, off + take));
        parser.bodyFilled(take);
        off += take;
      } else {
        parser.add(off === 0 ? chunk : chunk.subarray(off));
        off = chunk.length;
      }
      while (parser.canRead()) if (parser.get()) n++;
    }
  }
  if (n !== w.frames) throw new Error(`stompest (direct) parsed ${n} of ${w.frames} frames`);
  return n;
}

/** The floor: a plain `indexOf(0)` scan over the same chunks, counting NULs. */
export function runFloor(w: Workload): number {
  let n = 0;
  for (const chunk of w.chunks) {
    let at = chunk.indexOf(0);
    while (at >= 0) {
      n++;
      at = chunk.indexOf(0, at + 1);
    }
  }
  return n;
}

/**
 * The copy-once bound: each frame's bytes copied into a fresh `Uint8Array` of its own, nothing parsed. A parser
 * that hands out bodies the caller owns (the chunks are the caller's, so it cannot keep views into them) cannot
 * beat this; with 1 MiB bodies it is what remains once nothing is scanned.
 */
export function runCopyOnce(w: Workload): number {
  const size = Math.ceil(w.bytes / w.frames);
  let out = new Uint8Array(size), at = 0, n = 0;
  for (const chunk of w.chunks) {
    for (let off = 0; off < chunk.length;) {
      const take = Math.min(chunk.length - off, out.length - at);
      out.set(chunk.subarray(off, off + take), at);
      at += take;
      off += take;
      if (at === out.length) {
        n++;
        out = new Uint8Array(size);
        at = 0;
      }
    }
  }
  return n + (at > 0 ? 1 : 0);
}

/** @stomp/stompjs's Parser over the same chunks. */
export function runStompJs(w: Workload): number {
  let n = 0;
  const parser = new StompJsParser(() => n++, () => {});
  for (const buffer of w.buffers) parser.parseChunk(buffer);
  if (n !== w.frames) throw new Error(`@stomp/stompjs parsed ${n} of ${w.frames} frames`);
  return n;
}
