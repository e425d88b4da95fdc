// Differential test: this parser and Python stompest's (the library this one was rebuilt from) read the
// same randomly generated, randomly chunked streams and must agree frame for frame. Python stompest is
// looked for in $STOMPEST_PYTHONPATH, else the reference copy on the project's machines; without it,
// or without python3, the test is skipped with the reason. Generated streams keep to what stompest
// reads: LF heart-beats (it has no CRLF ones) and ASCII headers in 1.0 (it decodes 1.0 as ASCII).
import assert from "node:assert/strict";
import { VERSIONS } from "../src/protocol/spec.ts";
import { parse, random, randomChunks, randomStream } from "./helpers/frame_gen.ts";

const STOMPEST = Deno.env.get("STOMPEST_PYTHONPATH") ?? "/work/shared/reference/stompest-core/src/core";
/** Base64 of bytes (chunks are a few KiB at most). */
const encodeBase64 = (bytes: Uint8Array) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));

const SCRIPT = new URL("./helpers/stompest_parse.py", import.meta.url).pathname;

async function unavailable(): Promise<string | undefined> {
  try {
    const { success } = await new Deno.Command("python3", {
      args: ["-c", "import stompest.protocol"],
      env: { PYTHONPATH: STOMPEST },
      stdout: "null",
      stderr: "null",
      signal: AbortSignal.timeout(10_000),
    }).output();
    return success ? undefined : `Python stompest not importable from ${STOMPEST} (set STOMPEST_PYTHONPATH)`;
  } catch (error) {
    return `no python3 (${error instanceof Error ? error.message : error})`;
  }
}

const reason = await unavailable();
if (reason) console.log(`skipped: ${reason} — parser differential test against Python stompest`);

Deno.test({
  name:
    "parser (differential, seeded): random streams in random chunkings parse as Python stompest parses them",
  ignore: reason !== undefined,
  fn: async () => {
    const SEED = 4711;
    const next = random(SEED);
    const streams: { version: string; chunks: Uint8Array[]; want: string[] }[] = [];
    for (const version of VERSIONS) {
      for (let round = 0; round < 20; round++) {
        const { bytes, want } = randomStream(version, next, { frames: 20, crlfBeats: false, ascii: true });
        for (let chunking = 0; chunking < 4; chunking++) {
          streams.push({ version, chunks: randomChunks(bytes, next), want });
        }
      }
    }
    const child = new Deno.Command("python3", {
      args: [SCRIPT],
      env: { PYTHONPATH: STOMPEST },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).spawn();
    const input = JSON.stringify(
      streams.map((s) => ({ version: s.version, chunks: s.chunks.map(encodeBase64) })),
    );
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
    const { success, stdout, stderr } = await child.output();
    assert.ok(success, new TextDecoder().decode(stderr));
    const theirs: { items: (string | [string, [string, string][], string])[]; error: string | null }[] = JSON
      .parse(new TextDecoder().decode(stdout));
    streams.forEach((stream, i) => {
      const what = `seed ${SEED} stream ${i} (${stream.version}, chunk sizes ${
        stream.chunks.map((c) => c.length)
      })`;
      const ours = parse(stream.version as (typeof VERSIONS)[number], stream.chunks);
      assert.deepEqual(ours, { items: stream.want, errors: [] }, what);
      assert.equal(theirs[i].error, null, what);
      const items = theirs[i].items.map((item) =>
        item === "heart-beat" || typeof item === "string"
          ? item
          : `${item[0]} ${JSON.stringify(item[1])} [${
            [...atob(item[2])].map((c) => c.charCodeAt(0)).join(",")
          }]`
      );
      assert.deepEqual(items, ours.items, `stompest disagrees: ${what}`);
    });
  },
});
