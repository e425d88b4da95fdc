/**
 * Frames for the parser's property tests, generated and put on the wire by an encoder of this file's
 * own (not StompFrame.toBytes), so that the parser is checked against an independent reading of the
 * spec; and a seeded random source, so that a failure is reproduced from its seed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { StompFrameError } from "../../src/errors.ts";
import { StompFrame, type StompHeartBeat } from "../../src/protocol/frame.ts";
import { StompParser } from "../../src/protocol/parser.ts";
import { SPEC, type StompVersion, UNESCAPED_COMMANDS } from "../../src/protocol/spec.ts";

export const enc: TextEncoder = new TextEncoder();
type Item = StompFrame | StompHeartBeat;

/** What one generated frame is and how it goes on the wire. */
export interface Case {
  readonly version: StompVersion;
  readonly command: string;
  readonly headers: [string, string][];
  readonly body: Uint8Array;
  readonly contentLength: boolean;
  readonly crlf: boolean;
}

export const describeItem = (item: Item) =>
  item instanceof StompFrame
    ? `${item.command} ${JSON.stringify(item.rawHeaders)} [${item.body.join(",")}]`
    : "heart-beat";

export function cat(parts: (string | Uint8Array)[]): Uint8Array {
  const arrays = parts.map((p) => typeof p === "string" ? enc.encode(p) : p);
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/** The spec's escaping, written out again: `\` first, so an escape is never escaped twice. */
export function escape(text: string, version: StompVersion, command: string): string {
  if (version === "1.0" || UNESCAPED_COMMANDS.has(command)) return text;
  let out = text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll(":", "\\c");
  if (version === "1.2") out = out.replaceAll("\r", "\\r");
  return out;
}

export function wire(c: Case): Uint8Array {
  const eol = c.crlf ? "\r\n" : "\n";
  const headers = c.contentLength ? [...c.headers, ["content-length", String(c.body.length)]] : c.headers;
  const lines = headers.map(([k, v]) =>
    `${escape(k, c.version, c.command)}:${escape(v, c.version, c.command)}`
  );
  return cat([c.command + eol, ...lines.map((l) => l + eol), eol, c.body, "\0"]);
}

/** The frame the parser must hand up for `c`: content-length, when sent, is the last header. */
export function expected(c: Case): string {
  const headers = c.contentLength ? [...c.headers, ["content-length", String(c.body.length)]] : c.headers;
  return `${c.command} ${JSON.stringify(headers)} [${c.body.join(",")}]`;
}

export function parse(
  version: StompVersion,
  chunks: Iterable<Uint8Array>,
): { items: string[]; errors: string[] } {
  const parser = new StompParser(version);
  const items: string[] = [], errors: string[] = [];
  for (const chunk of chunks) {
    try {
      parser.add(chunk);
    } catch (e) {
      assert.ok(e instanceof StompFrameError, String(e));
      errors.push(e.message);
    }
    while (parser.canRead()) items.push(describeItem(parser.get()!));
  }
  assert.equal(parser.pending, false, "nothing left half-read");
  return { items, errors };
}

/** mulberry32: small, fast and the same everywhere, so a failure is reproduced from its seed. */
export function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ["a", "Z", "0", " ", ":", "\\", "\n", "\r", "é", "☃", "-", "/"];
const NON_ASCII = new Set(["é", "☃"]);

export function randomCase(version: StompVersion, next: () => number, { ascii = false } = {}): Case {
  const spec = SPEC[version];
  const commands = [...new Set([...spec.clientCommands, ...spec.serverCommands])];
  const command = commands[Math.floor(next() * commands.length)];
  const escaped = version !== "1.0" && !UNESCAPED_COMMANDS.has(command);
  // Characters a version cannot carry in a header: unescaped LF and CR never, ':' only in values.
  const allowed = ALPHABET.filter((ch) => !(ascii && NON_ASCII.has(ch))).filter((ch) =>
    escaped
      ? (ch !== "\r" || version === "1.2")
      : ch !== "\n" && ch !== "\r" && (version !== "1.0" || ch.length === 1)
  );
  const text = (n: number, colon: boolean) =>
    Array.from({ length: n }, () => allowed[Math.floor(next() * allowed.length)])
      .filter((ch) => colon || escaped || ch !== ":").join("");
  const headers: [string, string][] = [];
  for (let i = Math.floor(next() * 5); i > 0; i--) {
    headers.push([text(1 + Math.floor(next() * 8), false) || "h", text(Math.floor(next() * 20), true)]);
  }
  const bodyAllowed = spec.bodyCommands === undefined || spec.bodyCommands.has(command);
  const size = !bodyAllowed || next() < 0.3 ? 0 : Math.floor(next() ** 3 * 3000);
  const contentLength = next() < 0.6;
  const body = new Uint8Array(size).map(() => {
    const b = Math.floor(next() * 256);
    return !contentLength && b === 0 ? 1 : b; // without content-length a NUL would end the body
  });
  return { version, command, headers, body, contentLength, crlf: version === "1.2" && next() < 0.5 };
}

/**
 * A stream of `frames` random frames of `version` with 0–2 heart-beats before each (CRLF ones only
 * when `crlfBeats`), and the items a parser must hand up for it.
 */
export function randomStream(
  version: StompVersion,
  next: () => number,
  { frames = 25, crlfBeats = true, ascii = false } = {},
): { bytes: Uint8Array; want: string[] } {
  const parts: Uint8Array[] = [], want: string[] = [];
  for (let f = 0; f < frames; f++) {
    const beats = Math.floor(next() * 3);
    for (let b = 0; b < beats; b++) {
      parts.push(enc.encode(crlfBeats && version === "1.2" && next() < 0.5 ? "\r\n" : "\n"));
      if (SPEC[version].heartBeats) want.push("heart-beat");
    }
    const c = randomCase(version, next, { ascii });
    parts.push(wire(c));
    want.push(expected(c));
  }
  return { bytes: cat(parts), want };
}

/** `bytes` cut into chunks of 0 to a few KiB, small ones often: they are where the boundaries are. */
export function randomChunks(bytes: Uint8Array, next: () => number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = next() < 0.5 ? Math.floor(next() * 4) : Math.floor(next() ** 2 * 4096);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}
