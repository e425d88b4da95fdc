/**
 * `deno run --allow-read --allow-env bench/report.ts [--no-peer]`: runs every parser workload
 * through the floor, stompest and @stomp/stompjs in one process and prints frames/s, MB/s and the
 * ratios the targets are set in, then the serializer's frames/s.
 *
 * The floor and stompest take turns within each round (so drift in machine speed hits both
 * alike) and each keeps its best round; @stomp/stompjs runs its rounds afterwards, since its
 * garbage would slow whichever parser ran next.
 *
 * @module
 */

import { runCopyOnce, runFloor, runStompest, runStompJs, type Workload, workloads } from "./workloads.ts";
import { buildAndSerialize, makeFrames, serializeBuilt } from "./serializer_bench.ts";

/** Best time in ms of each function over `rounds` rounds, the functions taking turns. */
function bestOf(fns: (() => unknown)[], rounds: number): number[] {
  const best = fns.map(() => Infinity);
  fns.forEach((fn) => fn()); // warm-up
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, i) => {
      const t0 = performance.now();
      fn();
      best[i] = Math.min(best[i], performance.now() - t0);
    });
  }
  return best;
}

const rate = (w: Workload, ms: number) =>
  `${(w.frames / ms).toFixed(0).padStart(6)}k frames/s ${(w.bytes / ms / 1000).toFixed(0).padStart(6)} MB/s`;
const verdict = (ok: boolean) => ok ? "ok" : "MISSED";

/** Parser targets: the most stompest may take relative to the floor, the least speed-up over stompjs. */
const targets: Record<string, { maxFloor?: number; minPeer?: number }> = {
  "100000 x 100 B": { minPeer: 10 },
  "20000 x 4096 B": { maxFloor: 1.5 },
  "500 x 1048576 B": { maxFloor: 0.3 },
  "100000 x 100 B, no content-length": { maxFloor: 15 },
};

const skipPeer = Deno.args.includes("--no-peer");
console.log(`Deno ${Deno.version.deno}, V8 ${Deno.version.v8}; best round of several, 64 KiB chunks\n`);
for (const w of workloads()) {
  const big = w.bytes > 100 * 1024 * 1024;
  const withPeer = !skipPeer && !big; // stompjs needs ~40 s per round for 500 MiB
  const [floor, ours, copyOnce] = bestOf(
    [() => runFloor(w), () => runStompest(w), ...(big ? [() => runCopyOnce(w)] : [])],
    big ? 5 : 7,
  );
  const peer = withPeer ? bestOf([() => runStompJs(w)], 3)[0] : undefined;
  const target = targets[w.name] ?? {};
  const floorRatio = ours / floor;
  console.log(`${w.name}:`);
  console.log(`  floor     ${rate(w, floor)}`);
  console.log(
    `  stompest  ${rate(w, ours)}   ${floorRatio.toFixed(2)}x the floor's time` +
      (target.maxFloor ? ` (target <= ${target.maxFloor}: ${verdict(floorRatio <= target.maxFloor)})` : ""),
  );
  if (copyOnce !== undefined) {
    console.log(
      `  copy-once ${rate(w, copyOnce)}   stompest takes ${(ours / copyOnce).toFixed(2)}x its time ` +
        `(${(copyOnce / floor).toFixed(2)}x the floor's: the least an owned body costs here)`,
    );
  }
  if (peer !== undefined) {
    const speedup = peer / ours;
    console.log(
      `  stompjs   ${rate(w, peer)}   stompest is ${speedup.toFixed(1)}x faster` +
        (target.minPeer ? ` (target >= ${target.minPeer}: ${verdict(speedup >= target.minPeer)})` : ""),
    );
  }
}

const count = 100_000;
const built = makeFrames(count);
const [serialize, buildSerialize] = bestOf([() => serializeBuilt(built), () => buildAndSerialize(count)], 15);
const mps = (ms: number) => (count / ms / 1000).toFixed(2);
console.log(`\nserializer, ${count} SEND frames of 100 B (target >= 1M frames/s):`);
console.log(`  toBytes on built frames  ${mps(serialize)}M frames/s (${verdict(count / serialize >= 1000)})`);
console.log(
  `  build + toBytes          ${mps(buildSerialize)}M frames/s (${verdict(count / buildSerialize >= 1000)})`,
);
