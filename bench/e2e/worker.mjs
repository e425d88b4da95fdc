// One timed run: `worker.mjs <client> <broker> <scenario>` under Node or Deno; prints one JSON line
// with msg/s, client CPU µs/msg, latency percentiles or peak RSS. Every message is checked (by the
// client's consumer, or by an untimed raw drain after a publish run), so a wrong result fails.

import process from "node:process";
import {
  BROKERS,
  drain,
  fill,
  meter,
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

const client = await load(clientName);
const { count, size } = scenario;
const queue = uniqueQueue(scenarioName);
const result = { client: clientName, runtime: RUNTIME, broker: brokerName, scenario: scenarioName, count };
const TIMEOUT = 300_000;

if (scenario.kind === "publish") {
  const c = await client.connect(broker);
  const stop = meter();
  await withTimeout(
    client.publish(c, queue, count, size, scenario.persistent ? { persistent: "true" } : {}),
    TIMEOUT,
    "publish",
  );
  Object.assign(result, stop());
  await client.close(c);
  await drain(broker, queue, count, size);
} else if (scenario.kind === "consume") {
  await fill(broker, queue, count, size);
  const c = await client.connect(broker);
  const stop = meter();
  await withTimeout(client.consume(c, queue, count, size, scenario.ack, scenario.await), TIMEOUT, "consume");
  Object.assign(result, stop());
  await client.close(c);
} else if (scenario.kind === "through") {
  const [consumer, producer] = [await client.connect(broker), await client.connect(broker)];
  globalThis.gc?.();
  const idle = process.memoryUsage.rss();
  const rss = rssSampler();
  const stop = meter();
  const consumed = client.consume(consumer, queue, count, size, "client-individual");
  await withTimeout(
    Promise.all([consumed, client.publish(producer, queue, count, size)]),
    TIMEOUT,
    "produce+consume",
  );
  Object.assign(result, stop(), { rssMiB: (rss.stop() - idle) / 1048576 });
  await Promise.all([client.close(consumer), client.close(producer)]);
} else if (scenario.kind === "pingpong") {
  const c = await client.connect(broker);
  const stop = meter();
  const latencies = await withTimeout(client.pingpong(c, queue, count, size), TIMEOUT, "ping-pong");
  Object.assign(result, stop());
  latencies.sort((a, b) => a - b);
  result.p50us = latencies[Math.floor(latencies.length / 2)] * 1000;
  result.p99us = latencies[Math.floor(latencies.length * 0.99)] * 1000;
  await client.close(c);
}
result.msgPerS = count / (result.ms / 1000);
result.cpuUsPerMsg = result.cpuUs / count;
console.log(JSON.stringify(result));
process.exit(0);
