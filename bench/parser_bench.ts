/**
 * `deno bench bench/parser_bench.ts`: stompest's parser against the `indexOf(0)` floor (the
 * baseline of each group) and @stomp/stompjs, all on the same 64 KiB chunks in one run.
 * `deno run bench/report.ts` prints the same comparison as frames/s, MB/s and ratios.
 *
 * @module
 */

import { runCopyOnce, runFloor, runStompest, runStompestDirect, runStompJs, workloads } from "./workloads.ts";

for (const w of workloads()) {
  const big = w.bytes > 100 * 1024 * 1024;
  const opts = { group: w.name, n: big ? 5 : 20, warmup: 2 };
  Deno.bench({ ...opts, name: `floor indexOf(0) ${w.name}`, baseline: true, fn: () => void runFloor(w) });
  Deno.bench({ ...opts, name: `stompest ${w.name}`, fn: () => void runStompest(w) });
  if (!big) Deno.bench({ ...opts, name: `@stomp/stompjs ${w.name}`, fn: () => void runStompJs(w) });
  else {
    Deno.bench({ ...opts, name: `copy-once bound ${w.name}`, fn: () => void runCopyOnce(w) });
    Deno.bench({ ...opts, name: `stompest direct reads ${w.name}`, fn: () => void runStompestDirect(w) });
  }
}
