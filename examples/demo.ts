/**
 * The demo (`deno task demo`): stompest's seed pipeline. A producer sends 10 JSON messages
 * `{count: j}` to a queue; a transformer consumes them with client-individual acks, adds one and
 * forwards each to an out queue (a failing message goes to an error queue); a consumer prints them.
 *
 * Runs against `STOMP_URL` (any failover URI; `STOMP_LOGIN` / `STOMP_PASSCODE`, default guest;
 * `STOMP_CA_FILE` for a private TLS CA) when set, else against the in-process test broker.
 *
 * @module
 */

import { AsyncStomp, StompConfig } from "../mod.ts";
import { StompTestBroker } from "../src/testing/mod.ts";

const url = Deno.env.get("STOMP_URL");
const login = Deno.env.get("STOMP_LOGIN") ?? "guest";
const passcode = Deno.env.get("STOMP_PASSCODE") ?? "guest";
const caFile = Deno.env.get("STOMP_CA_FILE"); // PEM CA for ssl:// brokers with a private CA
const tls = caFile ? { caCerts: [await Deno.readTextFile(caFile)] } : undefined;
const COUNT = 10;

await using broker = url ? undefined : new StompTestBroker();
const config = broker
  ? new StompConfig("tcp://in-process:61613", { login, passcode, connector: broker.connector })
  : new StompConfig(url!, { login, passcode, tls });
console.log(
  broker
    ? "broker: the in-process test broker (set STOMP_URL, e.g. tcp://127.0.0.1:61613, for a real one)"
    : `broker: ${config.uri} (from STOMP_URL)`,
);

const run = crypto.randomUUID().slice(0, 8);
const IN = `/queue/demo-in-${run}`, OUT = `/queue/demo-out-${run}`, ERRORS = `/queue/demo-errors-${run}`;
const json = { "content-type": "application/json" };

await using producer = new AsyncStomp(config);
await using transformer = new AsyncStomp(config);
await using consumer = new AsyncStomp(config);
await Promise.all([producer.connect(), transformer.connect(), consumer.connect()]);
console.log(`connected: STOMP ${producer.session.version} to ${producer.session.server ?? "the broker"}`);

// The transformer: acked after the handler resolves; a throwing handler sends the message to ERRORS.
await transformer.subscribe(IN, {}, {
  ack: "client-individual",
  errorDestination: ERRORS,
  handler: async (msg) => {
    const { count } = msg.json<{ count: number }>();
    await transformer.send(OUT, JSON.stringify({ count: count + 1 }), json, { receipt: true });
    console.log(`transformer: ${msg.text()} -> {"count":${count + 1}}`);
  },
});

const out = await consumer.subscribe(OUT, {}, {
  ack: "client-individual",
  signal: AbortSignal.timeout(30_000),
});

for (let j = 0; j < COUNT; j++) {
  await producer.send(IN, JSON.stringify({ count: j }), { ...json, persistent: "true" }, { receipt: true });
  console.log(`producer: sent {"count":${j}}`);
}

let received = 0;
for await (const msg of out) {
  console.log(`consumer: received ${msg.text()}`);
  await msg.ack();
  if (++received === COUNT) break;
}
console.log(`done: ${received} of ${COUNT} messages went through the pipeline`);
