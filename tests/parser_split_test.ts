// Split invariance of the parser over GENERATED frames: every command of every version × content-length
// 0 / short / long / absent × plain or escaped headers × LF or CRLF lines × heart-beats around the frame,
// each cut at every byte; then a seeded random property test (random frames, random chunkings).
// The wire is built here by a small encoder of its own (not StompFrame.toBytes), so the parser is
// checked against an independent reading of the spec.
import assert from "node:assert/strict";
import { StompFrameError } from "../src/errors.ts";
import { StompFrame, type StompHeartBeat } from "../src/protocol/frame.ts";
import { StompParser } from "../src/protocol/parser.ts";
import { SPEC, type StompVersion, UNESCAPED_COMMANDS, VERSIONS } from "../src/protocol/spec.ts";

const enc = new TextEncoder();
type Item = StompFrame | StompHeartBeat;

/** What one generated frame is and how it goes on the wire. */
interface Case {
  readonly version: StompVersion;
  readonly command: string;
  readonly headers: [string, string][];
  readonly body: Uint8Array;
  readonly contentLength: boolean;
  readonly crlf: boolean;
}

const describeItem = (item: Item) =>
  item instanceof StompFrame
    ? `${item.command} ${JSON.stringify(item.rawHeaders)} [${item.body.join(",")}]`
    : "heart-beat";

function cat(parts: (string | Uint8Array)[]): Uint8Array {
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
function escape(text: string, version: StompVersion, command: string): string {
  if (version === "1.0" || UNESCAPED_COMMANDS.has(command)) return text;
  let out = text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll(":", "\\c");
  if (version === "1.2") out = out.replaceAll("\r", "\\r");
  return out;
}

function wire(c: Case): Uint8Array {
  const eol = c.crlf ? "\r\n" : "\n";
  const headers = c.contentLength ? [...c.headers, ["content-length", String(c.body.length)]] : c.headers;
  const lines = headers.map(([k, v]) =>
    `${escape(k, c.version, c.command)}:${escape(v, c.version, c.command)}`
  );
  return cat([c.command + eol, ...lines.map((l) => l + eol), eol, c.body, "\0"]);
}

/** The frame the parser must hand up for `c`: content-length, when sent, is the last header. */
function expected(c: Case): string {
  const headers = c.contentLength ? [...c.headers, ["content-length", String(c.body.length)]] : c.headers;
  return `${c.command} ${JSON.stringify(headers)} [${c.body.join(",")}]`;
}

const SHORT = Uint8Array.of(0x61, 0, 0x0a); // a NUL and an LF inside: only content-length can frame it
const LONG = new Uint8Array(300).map((_, i) => (i * 37) % 256); // past the fast path's first window
const TEXT = enc.encode("plain body, no NUL\r\n");

/** Headers whose names and values need every escape the version has (or, unescaped, none it rejects). */
function specialHeaders(version: StompVersion, command: string): [string, string][] {
  if (version === "1.0" || UNESCAPED_COMMANDS.has(command)) {
    // Never unescaped: a backslash is itself; a value may hold ':' (only the first one splits).
    return [["path", "C:\\new\\a"], ["x", "a:b"], ["grüße", "☃"]];
  }
  const cr = version === "1.2" ? "\r" : "";
  return [["a:b\\c", `line1\nline2${cr}:\\n`], ["grüße", "schön ☃"], ["empty", ""]];
}

function* cases(): Generator<Case> {
  for (const version of VERSIONS) {
    const spec = SPEC[version];
    const commands = new Set([...spec.clientCommands, ...spec.serverCommands]);
    for (const command of commands) {
      const bodyAllowed = spec.bodyCommands === undefined || spec.bodyCommands.has(command);
      const bodies: [Uint8Array, boolean][] = [[new Uint8Array(0), false], [new Uint8Array(0), true]];
      if (bodyAllowed) bodies.push([SHORT, true], [LONG, true], [TEXT, false]);
      for (const [body, contentLength] of bodies) {
        for (const special of [false, true]) {
          for (const crlf of version === "1.2" ? [false, true] : [false]) {
            const headers: [string, string][] = special
              ? specialHeaders(version, command)
              : [["destination", "/queue/a"], ["id", "0"]];
            yield { version, command, headers, body, contentLength, crlf };
          }
        }
      }
    }
  }
}

const SENTINEL = "RECEIPT\nreceipt-id:end\n\n\0";

/** One case on the wire with heart-beats before and after it and a frame after those. */
function stream(c: Case): { bytes: Uint8Array; items: string[] } {
  const beats = SPEC[c.version].heartBeats;
  const before = c.crlf ? "\r\n\n" : "\n\n";
  const hb = (eols: number) => beats ? Array(eols).fill("heart-beat") : [];
  return {
    bytes: cat([before, wire(c), "\n", SENTINEL]),
    items: [...hb(2), expected(c), ...hb(1), `RECEIPT [["receipt-id","end"]] []`],
  };
}

function parse(version: StompVersion, chunks: Iterable<Uint8Array>): { items: string[]; errors: string[] } {
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

Deno.test("parser (generated): every command × content-length × escapes × CRLF × heart-beats, cut at every byte", () => {
  let count = 0;
  const covered = new Set<string>();
  for (const c of cases()) {
    count++;
    covered.add(`${c.version} ${c.command}`);
    const { bytes, items } = stream(c);
    const want = { items, errors: [] };
    const what = `${c.version} ${JSON.stringify(new TextDecoder().decode(bytes))}`;
    assert.deepEqual(parse(c.version, [bytes]), want, `whole: ${what}`);
    assert.deepEqual(
      parse(c.version, [...bytes].map((b) => Uint8Array.of(b))),
      want,
      `byte by byte: ${what}`,
    );
    for (let i = 1; i < bytes.length; i++) {
      assert.deepEqual(
        parse(c.version, [bytes.subarray(0, i), bytes.subarray(i)]),
        want,
        `cut at ${i}: ${what}`,
      );
    }
  }
  // The generator covers what it claims: every command of every version, with and without bodies.
  assert.equal(
    covered.size,
    VERSIONS.reduce((n, v) => n + new Set([...SPEC[v].clientCommands, ...SPEC[v].serverCommands]).size, 0),
  );
  assert.ok(count > 300, `${count} cases`);
});

Deno.test("parser (generated): the issue's frame, content-length:0 cut right after its blank line", () => {
  // Found by a differential test against Python stompest: the NUL in the next chunk was taken for a mismatch.
  for (const version of VERSIONS) {
    const { items, errors } = parse(version, [enc.encode("RECEIPT\ncontent-length:0\n\n"), enc.encode("\0")]);
    assert.deepEqual(errors, [], version);
    assert.deepEqual(items, [`RECEIPT [["content-length","0"]] []`], version);
  }
});

// --- seeded random property test ------------------------------------------------------------------

/** mulberry32: small, fast and the same everywhere, so a failure is reproduced from its seed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ["a", "Z", "0", " ", ":", "\\", "\n", "\r", "é", "☃", "-", "/"];

function randomCase(version: StompVersion, next: () => number): Case {
  const spec = SPEC[version];
  const commands = [...new Set([...spec.clientCommands, ...spec.serverCommands])];
  const command = commands[Math.floor(next() * commands.length)];
  const escaped = version !== "1.0" && !UNESCAPED_COMMANDS.has(command);
  // Characters a version cannot carry in a header: unescaped LF and CR never, ':' only in values.
  const allowed = ALPHABET.filter((ch) =>
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

Deno.test("parser (property, seeded): random frames and heart-beats in random chunkings parse as generated", () => {
  const SEED = 20261129;
  const next = random(SEED);
  for (const version of VERSIONS) {
    for (let round = 0; round < 40; round++) {
      const parts: Uint8Array[] = [], want: string[] = [];
      for (let f = 0; f < 25; f++) {
        const beats = Math.floor(next() * 3);
        for (let b = 0; b < beats; b++) {
          parts.push(enc.encode(version === "1.2" && next() < 0.5 ? "\r\n" : "\n"));
          if (SPEC[version].heartBeats) want.push("heart-beat");
        }
        const c = randomCase(version, next);
        parts.push(wire(c));
        want.push(expected(c));
      }
      const bytes = cat(parts);
      for (let chunking = 0; chunking < 10; chunking++) {
        // Chunk sizes from 0 to a few KiB, small ones often: they are where the boundaries are.
        const chunks: Uint8Array[] = [];
        for (let at = 0; at < bytes.length;) {
          const size = next() < 0.5 ? Math.floor(next() * 4) : Math.floor(next() ** 2 * 4096);
          chunks.push(bytes.subarray(at, at + size));
          at += size;
        }
        const cuts = chunks.map((c) => c.length).join(",");
        assert.deepEqual(
          parse(version, chunks),
          { items: want, errors: [] },
          `seed ${SEED} version ${version} round ${round} chunk sizes ${cuts}`,
        );
      }
    }
  }
});
