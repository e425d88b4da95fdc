// `node bench/e2e/profile_top.mjs file.cpuprofile [rows]`: a V8 CPU profile's functions by self
// time, to read beside a benchmark (BENCH_PROFILE=dir on a worker run writes one).

import fs from "node:fs";
import process from "node:process";

const [file, rows = "30"] = process.argv.slice(2);
const profile = JSON.parse(fs.readFileSync(file, "utf8"));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const { callFrame: f } = nodes.get(profile.samples[i]);
  const where = f.url ? ` ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}` : "";
  const key = `${f.functionName || "(anonymous)"}${where}`;
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
}
const busy = total - (self.get("(idle)") ?? 0);
console.log(
  `sampled ${(total / 1000).toFixed(0)} ms, busy ${(busy / 1000).toFixed(0)} ms (self time, % of busy)`,
);
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(rows))) {
  if (key === "(idle)") continue;
  console.log(
    `${(us / busy * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(1).padStart(7)} ms  ${key}`,
  );
}
