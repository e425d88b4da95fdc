/**
 * `deno bench bench/serializer_bench.ts`: 100,000 SEND frames of 100 B through `toBytes()`, both
 * on frames built beforehand and built one by one as a sending client does (build, serialise,
 * let go). `bench/report.ts` prints the same figures as frames/s.
 *
 * @module
 */

import { StompFrame } from "../src/protocol/frame.ts";

const body = new Uint8Array(100).fill(0x62);

function sendFrame(i: number): StompFrame {
  return new StompFrame("SEND", {
    destination: "/queue/bench.serializer",
    "content-type": "text/plain",
    "content-length": 100,
    receipt: `message-${i}`,
  }, body);
}

/** `count` SEND frames of 100 B with the headers a producer sends. */
export function makeFrames(count: number): StompFrame[] {
  const frames: StompFrame[] = [];
  for (let i = 0; i < count; i++) frames.push(sendFrame(i));
  return frames;
}

/** Serialises frames built beforehand; returns the byte count so nothing is optimised away. */
export function serializeBuilt(frames: readonly StompFrame[]): number {
  let bytes = 0;
  for (let i = 0; i < frames.length; i++) bytes += frames[i].toBytes().length;
  return bytes;
}

/** Builds and serialises `count` frames one at a time, keeping none: a producer's send path. */
export function buildAndSerialize(count: number): number {
  let bytes = 0;
  for (let i = 0; i < count; i++) bytes += sendFrame(i).toBytes().length;
  return bytes;
}

{
  const frames = makeFrames(100_000);
  Deno.bench({
    name: "toBytes: 100,000 SEND frames of 100 B, built beforehand",
    n: 20,
    warmup: 2,
    fn: () => void serializeBuilt(frames),
  });
  Deno.bench({
    name: "build + toBytes: 100,000 SEND frames of 100 B",
    n: 20,
    warmup: 2,
    fn: () => void buildAndSerialize(100_000),
  });
}
