// Chaos: each broker is SIGKILLed and restarted three times while a producer (persistent sends with
// receipts, several in flight) and a consumer (client-individual acks) are busy with it. Nothing the
// broker confirmed is lost, a message comes twice only where at-least-once allows it, no promise
// rejection goes unhandled, and every step finishes in bounded time (tests/chaos/guard.ts).
//
// Killing a broker breaks every other client of it. This file runs in CI, where test files run one at
// a time, and on a shared machine only when asked, under the exclusive broker lock:
//   flock -x /tmp/stompest-brokers.lock env STOMP_CHAOS_KILL=1 deno test -A tests/chaos/broker_kill_test.ts
// Many more kills, with the figures: `deno task chaos --kills 20` (tests/chaos/run.ts).
import assert from "node:assert/strict";
import { ACTIVEMQ, type BrokerEndpoint, brokerTest, RABBITMQ } from "../helpers/brokers.ts";
import { guarded } from "./guard.ts";
import { type KillableBroker, runKills } from "./kill_scenario.ts";

const KILLS = 3;
/** Generous: a RabbitMQ restart after SIGKILL takes 5–10 s here, more on a loaded machine. */
const BUDGET_MS = 240_000;

/** Whether this run may kill brokers: CI, or a developer holding the exclusive lock who says so. */
const MAY_KILL = Deno.env.get("CI") === "true" || Deno.env.get("STOMP_CHAOS_KILL") === "1";

function killTest(which: KillableBroker, endpoint: BrokerEndpoint): void {
  const name = `chaos ${which} tcp: SIGKILL + restart ${KILLS} times mid-stream, no confirmed message lost`;
  if (!MAY_KILL) {
    console.log(`skipped: kills brokers (set CI=true, or STOMP_CHAOS_KILL=1 under flock -x) — ${name}`);
    Deno.test({ name, ignore: true, fn: () => {} });
    return;
  }
  brokerTest(
    name,
    endpoint,
    guarded(BUDGET_MS, async (guard) => {
      const report = await runKills(guard, { which, endpoint, kills: KILLS, log: console.log });
      assert.deepEqual(report.lost, [], `confirmed but never delivered: ${report.lost.join(", ")}`);
      assert.deepEqual(report.unexplainedDuplicates, []);
      assert.deepEqual(report.phantoms, [], "delivered but never sent");
      // The kills happened and were survived: a new connection after each, for both clients.
      assert.equal(report.kills.length, KILLS);
      assert.ok(report.producerConnections > KILLS, `producer connected ${report.producerConnections} times`);
      assert.ok(report.consumerConnections > KILLS, `consumer connected ${report.consumerConnections} times`);
      console.log(
        `${which}: ${report.confirmed} confirmed of ${report.attempts} sends (${report.rejectedSends} rejected ` +
          `and retried), ${report.deliveries} deliveries, ${report.duplicates} duplicates, 0 lost, ` +
          `${(report.elapsedMs / 1000).toFixed(1)} s`,
      );
    }),
    { sanitizeOps: false, sanitizeResources: false },
  );
}

killTest("rabbitmq", RABBITMQ.tcp);
killTest("activemq", ACTIVEMQ.tcp);
