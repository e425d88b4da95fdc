// Split invariance of the parser over GENERATED frames: every command of every version × content-length
// 0 / short / long / absent × plain or escaped headers × LF or CRLF lines × heart-beats around the frame,
// each cut at every byte; then a seeded random property test (random frames, random chunkings).
// The wire is built by tests/helpers/frame_gen.ts, an encoder of its own (not StompFrame.toBytes).
import assert from "node:assert/strict";
import { SPEC, type StompVersion, UNESCAPED_COMMANDS, VERSIONS } from "../src/protocol/spec.ts";
import {
  type Case,
  cat,
  enc,
  expected,
  parse,
  random,
  randomChunks,
  randomStream,
  wire,
} from "./helpers/frame_gen.ts";

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

Deno.test("parser (property, seeded): random frames and heart-beats in random chunkings parse as generated", () => {
  const SEED = 20261129;
  const next = random(SEED);
  for (const version of VERSIONS) {
    for (let round = 0; round < 40; round++) {
      const { bytes, want } = randomStream(version, next);
      for (let chunking = 0; chunking < 10; chunking++) {
        const chunks = randomChunks(bytes, next);
        assert.deepEqual(
          parse(version, chunks),
          { items: want, errors: [] },
          `seed ${SEED} version ${version} round ${round} chunk sizes ${chunks.map((c) => c.length)}`,
        );
      }
    }
  }
});
