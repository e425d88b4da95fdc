/**
 * `deno task bench:e2e`: stompest end to end against the test brokers (scripts/brokers.sh), beside
 * a raw pipelined socket (the ceiling) and, under Node, @stomp/stompjs (+ @stomp/tcp-wrapper) and
 * stompit. The peers are npm-installed into bench/e2e/.peers (git-ignored; never a dependency of
 * the library); the Node runs use the npm build (`deno task build:npm`, run when npm/ is missing).
 * Each (client, broker, scenario) runs in a fresh process (worker.mjs), which checks every message.
 *
 * Options: `--scale=0.1` (fewer messages), `--runs=3` (median of n), `--brokers=rabbitmq,activemq`,
 * `--scenarios=publish,ping-pong`, `--clients=stompest-deno,raw-node`, `--json=out.json` (written to
 * bench/e2e/results/, git-ignored).
 *
 * @module
 */

const HERE = new URL(".", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;
const PEERS = `${HERE}.peers`;
const PEER_PACKAGES = ["@stomp/stompjs@7.5.0", "@stomp/tcp-wrapper@1.0.1", "stompit@1.0.0"];

const SCENARIOS = [
  "publish",
  "publish-persistent",
  "consume-auto",
  "consume-client",
  "consume-client-await",
  "produce-consume-1k",
  "ping-pong",
  "through-1mib",
];
/** Client name → runtime and adapter; the ratio column compares with the raw socket of the same runtime. */
const CLIENTS = {
  "raw-node": { runtime: "node", client: "raw" },
  "raw-deno": { runtime: "deno", client: "raw" },
  "stompest-deno": { runtime: "deno", client: "stompest" },
  "stompest-node": { runtime: "node", client: "stompest" },
  "stompjs": { runtime: "node", client: "stompjs" },
  "stompit": { runtime: "node", client: "stompit" },
} as const;
type ClientName = keyof typeof CLIENTS;

interface Result {
  ms: number;
  cpuUsPerMsg: number;
  msgPerS: number;
  p50us?: number;
  p99us?: number;
  rssMiB?: number;
  error?: string;
}

const args: Record<string, string | undefined> = Object.fromEntries(
  Deno.args.map((a) => a.replace(/^--/, "").split("=", 2) as [string, string]),
);
const runs = Number(args.runs ?? 1);
const brokers = (args.brokers ?? "rabbitmq,activemq").split(",");
const scenarios = args.scenarios ? args.scenarios.split(",") : SCENARIOS;
const clients = (args.clients ? args.clients.split(",") : Object.keys(CLIENTS)) as ClientName[];
const env = { BENCH_PEERS: PEERS, BENCH_SCALE: args.scale ?? "1" };

async function sh(cmd: string[], cwd = ROOT): Promise<void> {
  const { code } = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd,
    stdout: "inherit",
    stderr: "inherit",
  })
    .output();
  if (code !== 0) throw new Error(`${cmd.join(" ")} failed (${code})`);
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

if (clients.some((c) => CLIENTS[c].runtime === "node")) {
  if (
    !(await exists(`${PEERS}/node_modules/stompit`)) ||
    !(await exists(`${PEERS}/node_modules/@stomp/tcp-wrapper`))
  ) {
    await Deno.mkdir(PEERS, { recursive: true });
    await Deno.writeTextFile(`${PEERS}/package.json`, '{ "private": true }\n');
    await sh(["npm", "install", "--no-audit", "--no-fund", "--silent", ...PEER_PACKAGES], PEERS);
  }
  if (clients.includes("stompest-node")) await sh(["deno", "task", "build:npm"]);
}

async function runOne(name: ClientName, broker: string, scenario: string): Promise<Result> {
  const { runtime, client } = CLIENTS[name];
  const worker = `${HERE}worker.mjs`;
  const cmd = runtime === "node"
    ? ["timeout", "600", "node", "--expose-gc", worker, client, broker, scenario]
    : ["timeout", "600", "deno", "run", "-A", "--v8-flags=--expose-gc", worker, client, broker, scenario];
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
  if (out.code !== 0 || !text.startsWith("{")) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").find((l) =>
      /Error|timed out/.test(l)
    );
    return { ms: NaN, cpuUsPerMsg: NaN, msgPerS: NaN, error: err ?? `exit ${out.code}` };
  }
  return JSON.parse(text);
}

function median(results: Result[]): Result {
  const ok = results.filter((r) => !r.error);
  if (ok.length === 0) return results[0];
  const mid = <K extends keyof Result>(k: K) => {
    const values = ok.map((r) => r[k] as number).filter((v) => v !== undefined).sort((a, b) => a - b);
    return values.length ? values[Math.floor(values.length / 2)] : undefined;
  };
  return {
    ms: mid("ms")!,
    msgPerS: mid("msgPerS")!,
    cpuUsPerMsg: mid("cpuUsPerMsg")!,
    p50us: mid("p50us"),
    p99us: mid("p99us"),
    rssMiB: mid("rssMiB"),
  };
}

const table: Record<string, Record<string, Result>> = {};
for (const scenario of scenarios) {
  for (const broker of brokers) {
    const row = table[`${scenario} ${broker}`] = {} as Record<string, Result>;
    for (const name of clients) {
      // The await-each-ack loop is stompest's README loop; the peers' callbacks have no such form.
      if (scenario === "consume-client-await" && !name.startsWith("stompest")) continue;
      const all: Result[] = [];
      for (let i = 0; i < runs; i++) all.push(await runOne(name, broker, scenario));
      row[name] = median(all);
      const r = row[name];
      console.error(
        `${scenario} ${broker} ${name}: ${
          r.error ?? `${Math.round(r.msgPerS)} msg/s, ${r.cpuUsPerMsg.toFixed(1)} µs/msg`
        }`,
      );
    }
  }
}

function cell(row: Record<string, Result>, name: ClientName, scenario: string): string {
  const r = row[name];
  if (!r) return "—";
  if (r.error) return `FAIL: ${r.error.slice(0, 60)}`;
  const raw = row[`raw-${CLIENTS[name].runtime}`];
  if (scenario === "ping-pong") {
    const x = raw && !raw.error ? ` (${(r.p50us! / raw.p50us!).toFixed(2)}×)` : "";
    return `p50 ${Math.round(r.p50us!)} µs${x}, p99 ${Math.round(r.p99us!)}; ${
      r.cpuUsPerMsg.toFixed(1)
    } µs/msg`;
  }
  const x = raw && !raw.error ? ` ${(r.msgPerS / raw.msgPerS).toFixed(2)}×` : "";
  // What the client adds per message beyond the raw socket's own cost (body generation, checks,
  // syscalls and the runtime's I/O threads are paid by both).
  const over = raw && !raw.error && name !== `raw-${CLIENTS[name].runtime}`
    ? ` (${r.cpuUsPerMsg < raw.cpuUsPerMsg ? "−" : "+"}${
      Math.abs(r.cpuUsPerMsg - raw.cpuUsPerMsg).toFixed(1)
    })`
    : "";
  const rss = r.rssMiB !== undefined && scenario === "through-1mib" ? `, +${Math.round(r.rssMiB)} MiB` : "";
  return `${Math.round(r.msgPerS).toLocaleString("en")}/s${x}, ${r.cpuUsPerMsg.toFixed(1)} µs${over}${rss}`;
}

const lines = [
  `| scenario | broker | ${clients.join(" | ")} |`,
  `|---|---|${clients.map(() => "---").join("|")}|`,
];
for (const [key, row] of Object.entries(table)) {
  const [scenario, broker] = key.split(" ");
  lines.push(`| ${scenario} | ${broker} | ${clients.map((c) => cell(row, c, scenario)).join(" | ")} |`);
}
console.log(
  `\n${new Date().toISOString().slice(0, 16)}Z, ${Deno.build.target}, Deno ${Deno.version.deno}, ` +
    `${navigator.hardwareConcurrency} cores, scale ${env.BENCH_SCALE}, median of ${runs}\n` +
    "cells: msg/s, ×raw of the same runtime, process CPU µs/msg (+ what it adds over raw), peak RSS above idle (1 MiB)\n",
);
console.log(lines.join("\n"));
if (args.json) {
  await Deno.mkdir(`${HERE}results`, { recursive: true });
  const file = `${HERE}results/${args.json.replace(/^.*\//, "")}`;
  await Deno.writeTextFile(file, JSON.stringify(table, null, 2));
  console.error(`wrote ${file}`);
}
