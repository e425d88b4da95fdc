// One timed run: `worker.mjs <client> <broker> <scenario>` under Node or Deno; prints one JSON line
// with msg/s, client CPU µs/msg, latency percentiles or peak RSS. Every message is checked (by the
// client's consumer, or by an untimed raw drain after a publish run), so a wrong result fails.

import process from "node:process";
import {
  BROKERS,
  drain,
  fill,
  meter as meterCpu,
  rssSampler,
  RUNTIME,
  SCENARIOS,
  uniqueQueue,
  withTimeout,
} from "./common.mjs";
import * as clients from "./clients.mjs";

const [clientName, brokerName, scenarioName] = process.argv.slice(2);
const broker = BROKERS[brokerName];
const scenario = SCENARIOS[scenarioName];
if (!broker || !scenario) throw new Error(`usage: worker.mjs <client> <rabbitmq|activemq> <scenario>`);

async function load(name) {
  if (name === "raw") return clients.raw;
  const peers = process.env.BENCH_PEERS;
  const peer = (m) => import(`${peers}/node_modules/${m}/${PEER_ENTRY[m]}`);
  if (name === "stompest") {
    const lib = await import(RUNTIME === "deno" ? "../../mod.ts" : "../../npm/esm/src/node.js");
    return clients.stompest(lib);
  }
  if (name === "stompjs") {
    return clients.stompjs(await peer("@stomp/stompjs"), await peer("@stomp/tcp-wrapper"));
  }
  if (name === "stompit") return clients.stompit((await peer("stompit")).default);
  throw new Error(`unknown client ${name}`);
}

const PEER_ENTRY = {
  "@stomp/stompjs": "esm6/index.js",
  "@stomp/tcp-wrapper": "esm6/index.js",
  "stompit": "lib/index.js",
};

/**
 * A V8 CPU profile of the measured run only (BENCH_PROFILE=dir), through node:inspector, which
 * Deno implements too. Set-up, warm-up and the untimed fill/drain stay out of it.
 */
async function startProfile() {
  const { Session } = await import("node:inspector");
  const fs = await import("node:fs");
  const session = new Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (e, r) => e ? reject(e) : resolve(r)));
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 100 });
  await post("Profiler.start");
  return {
    async stop(file) {
      const { profile } = await post("Profiler.stop");
      fs.mkdirSync(process.env.BENCH_PROFILE, { recursive: true });
      fs.writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** Starts the CPU meter (and the profiler for the measured run); the returned stop resolves to both. */
async function measure(profile) {
  const started = profile ? await startProfile() : undefined;
  const stop = meterCpu();
  return async () => {
    const measured = stop();
    if (started) {
      const file =
        `${process.env.BENCH_PROFILE}/${clientName}-${RUNTIME}-${brokerName}-${scenarioName}.cpuprofile`;
      await started.stop(file);
      console.error(`profile: ${file} (summary: node bench/e2e/profile_top.mjs ${file})`);
    }
    return measured;
  };
}

const client = await load(clientName);
const { count, size } = scenario;
const queue = uniqueQueue(scenarioName);
const result = { client: clientName, runtime: RUNTIME, broker: brokerName, scenario: scenarioName, count };
const TIMEOUT = 300_000;

/**
 * Runs the scenario once on `queue` with `n` messages; returns what was measured. A short untimed
 * run on a queue of its own comes first, so every client is measured with its code warmed up (the
 * JIT has seen the hot paths), not its first few thousand messages.
 */
async function run(queue, n, profile = false) {
  const out = {};
  const meter = () => measure(profile);
  if (scenario.kind === "publish") {
    const c = await client.connect(broker);
    const stop = await meter();
    await withTimeout(
      client.publish(c, queue, n, size, scenario.persistent ? { persistent: "true" } : {}),
      TIMEOUT,
      "publish",
    );
    Object.assign(out, await stop());
    await client.close(c);
    await drain(broker, queue, n, size);
  } else if (scenario.kind === "consume") {
    await fill(broker, queue, n, size);
    const c = await client.connect(broker);
    const stop = await meter();
    await withTimeout(client.consume(c, queue, n, size, scenario.ack, scenario.await), TIMEOUT, "consume");
    Object.assign(out, await stop());
    await client.close(c);
  } else if (scenario.kind === "through") {
    const [consumer, producer] = [await client.connect(broker), await client.connect(broker)];
    globalThis.gc?.();
    const idle = process.memoryUsage.rss();
    const rss = rssSampler();
    const stop = await meter();
    const consumed = client.consume(consumer, queue, n, size, "client-individual");
    await withTimeout(
      Promise.all([consumed, client.publish(producer, queue, n, size)]),
      TIMEOUT,
      "produce+consume",
    );
    Object.assign(out, await stop(), { rssMiB: (rss.stop() - idle) / 1048576 });
    await Promise.all([client.close(consumer), client.close(producer)]);
  } else if (scenario.kind === "pingpong") {
    const c = await client.connect(broker);
    const stop = await meter();
    const latencies = await withTimeout(client.pingpong(c, queue, n, size), TIMEOUT, "ping-pong");
    Object.assign(out, await stop());
    latencies.sort((a, b) => a - b);
    out.p50us = latencies[Math.floor(latencies.length / 2)] * 1000;
    out.p99us = latencies[Math.floor(latencies.length * 0.99)] * 1000;
    await client.close(c);
  }
  return out;
}

// Large bodies warm up with a few messages: their cost is copying, not code paths.
const warmup = size > 65536 ? 3 : scenario.kind === "pingpong" ? 1000 : Math.min(count, 5000);
await run(uniqueQueue(`${scenarioName}.warmup`), warmup);
Object.assign(result, await run(queue, count, Boolean(process.env.BENCH_PROFILE)));
result.msgPerS = count / (result.ms / 1000);
result.cpuUsPerMsg = result.cpuUs / count;
console.log(JSON.stringify(result));
process.exit(0);
