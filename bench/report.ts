/**
 * `deno run bench/report.ts`: runs every parser workload through the floor, stompest and
 * @stomp/stompjs in one process and prints frames/s, MB/s and the ratios the targets are set in.
 *
 * @module
 */

import { runFloor, runStompest, runStompJs, type Workload, workloads } from "./workloads.ts";
import { runSerializer } from "./serializer_bench.ts";

function best(fn: () => unknown, runs: number): number {
  let min = Infinity;
  fn(); // warm-up
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

const rate = (w: Workload, ms: number) =>
  `${(w.frames / ms * 1000 / 1000).toFixed(0).padStart(7)}k frames/s ${
    (w.bytes / ms / 1000).toFixed(0).padStart(6)
  } MB/s`;

const skipPeer = Deno.args.includes("--no-peer");
console.log(`Deno ${Deno.version.deno}, V8 ${Deno.version.v8}; best of several runs, 64 KiB chunks\n`);
for (const w of workloads()) {
  const runs = w.bytes > 100 * 1024 * 1024 ? 3 : 7;
  const floor = best(() => runFloor(w), runs);
  const ours = best(() => runStompest(w), runs);
  const peer = skipPeer || w.frames < 1000 ? undefined : best(() => runStompJs(w), 3);
  console.log(`${w.name}:`);
  console.log(`  floor     ${rate(w, floor)}`);
  console.log(`  stompest  ${rate(w, ours)}   ${(ours / floor).toFixed(2)}x the floor's time`);
  if (peer !== undefined) {
    console.log(`  stompjs   ${rate(w, peer)}   stompest is ${(peer / ours).toFixed(1)}x faster`);
  }
}
const frames = 100_000;
const ser = best(() => runSerializer(frames), 7);
console.log(
  `\nserializer: ${frames} SEND frames of 100 B: ${(frames / ser * 1000 / 1e6).toFixed(2)}M frames/s`,
);
