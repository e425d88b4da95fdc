/**
 * The long broker-kill run, outside CI: `deno task chaos --kills 20` kills each broker that many
 * times while a producer and a consumer are busy with it (tests/chaos/kill_scenario.ts), then prints
 * the figures: kills, messages, lost, duplicates, time to recover per kill, time sends were
 * unavailable. Exits 1 when a confirmed message was lost, a duplicate is not explained by
 * at-least-once delivery, or a promise rejection went unhandled.
 *
 * The task holds the exclusive broker lock for the whole run (other clients of the brokers would see
 * them die). Options:
 *   --kills N        kills per broker (default 20)
 *   --broker B       rabbitmq, activemq or all (default all)
 *   --messages M     confirmed messages between kills (default 500)
 *   --senders S      sends in flight at once (default 8)
 *   --json           one JSON report per broker instead of the table
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ACTIVEMQ, brokersScript, RABBITMQ } from "../helpers/brokers.ts";
import { guarded } from "./guard.ts";
import { type KillableBroker, type KillReport, runKills } from "./kill_scenario.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    kills: { type: "string", default: "20" },
    broker: { type: "string", default: "all" },
    messages: { type: "string", default: "500" },
    senders: { type: "string", default: "8" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});

if (values.help) {
  console.log(
    "usage: deno task chaos [--kills N] [--broker rabbitmq|activemq|all] [--messages M] [--senders S] [--json]",
  );
  Deno.exit(0);
}

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer, not ${JSON.stringify(text)}`);
    Deno.exit(2);
  }
  return n;
}

if (Deno.env.get("STOMP_CHAOS_KILL") !== "1") {
  console.error("this kills brokers: run it as `deno task chaos`, which holds the exclusive broker lock");
  Deno.exit(2);
}

const kills = positive("kills", values.kills);
const messagesPerKill = positive("messages", values.messages);
const senders = positive("senders", values.senders);
const ENDPOINTS = { rabbitmq: RABBITMQ.tcp, activemq: ACTIVEMQ.tcp } as const;
const brokers: KillableBroker[] = values.broker === "all"
  ? ["rabbitmq", "activemq"]
  : values.broker === "rabbitmq" || values.broker === "activemq"
  ? [values.broker]
  : (console.error(`--broker must be rabbitmq, activemq or all, not ${values.broker}`), Deno.exit(2));

const reports: KillReport[] = [];
let failed = false;
for (const which of brokers) {
  const endpoint = ENDPOINTS[which];
  if (!endpoint.available) {
    console.error(`${which}: ${endpoint.reason}`);
    failed = true;
    continue;
  }
  // Each kill takes a restart (5 s to minutes: RabbitMQ's boot grows after repeated crashes) and the messages.
  const run = guarded(60_000 + kills * 300_000, async (guard) => {
    reports.push(
      await runKills(guard, {
        which,
        endpoint,
        kills,
        messagesPerKill,
        senders,
        stepTimeoutMs: 300_000,
        log: values.json ? () => {} : console.log,
      }),
    );
  });
  try {
    await run();
  } catch (error) {
    console.error(`${which}: ${error instanceof Error ? error.stack : error}`);
    failed = true;
    // Whatever went wrong, the broker must be up when the lock is released.
    await brokersScript("start", which, 600_000).catch((e) => console.error(`${which} not restarted: ${e}`));
  }
}

for (const r of reports) {
  if (r.lost.length > 0 || r.unexplainedDuplicates.length > 0 || r.phantoms.length > 0) failed = true;
  if (values.json) {
    console.log(JSON.stringify(r));
    continue;
  }
  const stats = (pick: (k: KillReport["kills"][number]) => number) => {
    const xs = r.kills.map(pick).sort((a, b) => a - b);
    const at = (q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))];
    return `min ${sec(xs[0])}  median ${sec(at(0.5))}  max ${sec(xs.at(-1)!)}`;
  };
  const gaps = r.kills.reduce((sum, k) => sum + k.sendGapMs, 0);
  console.log(
    [
      ``,
      `== ${r.broker}: ${r.kills.length} kills in ${sec(r.elapsedMs)}`,
      `messages      ${r.confirmed} confirmed (${r.attempts} sends, ${r.rejectedSends} rejected and retried)`,
      `delivered     ${r.delivered} distinct, ${r.deliveries} deliveries`,
      `lost          ${r.lost.length}${r.lost.length ? `: ${r.lost.slice(0, 20).join(", ")}` : ""}`,
      `duplicates    ${r.duplicates} (${r.unexplainedDuplicates.length} not explained by at-least-once)`,
      ...r.unexplainedDuplicates.slice(0, 10).map((d) => `              ${d}`),
      `phantoms      ${r.phantoms.length}`,
      `broker back   ${stats((k) => k.brokerBackMs)}   (brokers.sh start returned, after SIGKILL)`,
      `sends back    ${stats((k) => k.sendsBackMs)}   (first confirmed send on a new connection)`,
      `consumer back ${stats((k) => k.consumerBackMs)}   (first delivery on a new connection)`,
      `sends unavailable ${sec(gaps)} in all (${
        (100 * gaps / r.elapsedMs).toFixed(0)
      }% of the run); per kill ${stats((k) => k.sendGapMs)}`,
      `connections   producer ${r.producerConnections}, consumer ${r.consumerConnections}`,
    ].join("\n"),
  );
}
Deno.exit(failed ? 1 : 0);

function sec(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
