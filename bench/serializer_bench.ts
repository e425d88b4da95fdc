/**
 * `deno bench bench/serializer_bench.ts`: 100,000 SEND frames of 100 B through `toBytes()`.
 *
 * @module
 */

import { StompFrame } from "../src/frame.ts";

const body = new Uint8Array(100).fill(0x62);

/** Serialises `count` SEND frames (built beforehand, as a client would have them) and returns the bytes. */
export function runSerializer(count: number, frames = makeFrames(count)): number {
  let bytes = 0;
  for (let i = 0; i < frames.length; i++) bytes += frames[i].toBytes().length;
  return bytes;
}

function makeFrames(count: number): StompFrame[] {
  const frames: StompFrame[] = [];
  for (let i = 0; i < count; i++) {
    frames.push(
      new StompFrame("SEND", {
        destination: "/queue/bench.serializer",
        "content-type": "text/plain",
        "content-length": 100,
        receipt: `r-${i}`,
      }, body),
    );
  }
  return frames;
}

if (import.meta.main === false) {
  const frames = makeFrames(100_000);
  Deno.bench({
    name: "toBytes 100,000 SEND frames of 100 B",
    n: 20,
    warmup: 2,
    fn: () => void runSerializer(0, frames),
  });
}
