// Chaos: the path to the broker turns into a black hole (a dead Wi-Fi, a sleeping laptop, a NAT that
// forgot the flow) under a client with 1 s heart-beats, over every transport of both brokers. The
// client must notice within 3 heart-beat periods, fail over (here: the same broker, through the same
// dead path, until it heals), be back within 1 s of the path healing, and lose no confirmed message;
// no promise may be left rejected and unhandled, and every wait is bounded.
import assert from "node:assert/strict";
import { ACTIVEMQ, type BrokerEndpoint, brokerTest, RABBITMQ, uniqueQueue } from "../helpers/brokers.ts";
import { FaultProxy } from "../helpers/fault_proxy.ts";
import { Inbox } from "../integration/async_helpers.ts";
import { confirmingSender, EventLog, proxiedClient, rejectionGuard } from "./link_helpers.ts";

/** The heart-beat both ways (RabbitMQ rounds to whole seconds). */
const HEART_BEAT = 1000;
/** Timer and scheduling slack on a shared CI machine, on top of the 3 periods. */
const SLACK_MS = 500;
/** How long the path stays dead after the client noticed: its reconnect attempt waits meanwhile. */
const DEAD_AFTER_DETECTION_MS = 500;
const WAIT_MS = 5000;

const TRANSPORTS: ReadonlyArray<[string, BrokerEndpoint]> = [
  ["rabbitmq tcp", RABBITMQ.tcp],
  ["rabbitmq ssl", RABBITMQ.ssl],
  ["rabbitmq ws", RABBITMQ.ws],
  ["rabbitmq wss", RABBITMQ.wss],
  ["activemq tcp", ACTIVEMQ.tcp],
  ["activemq ssl", ACTIVEMQ.ssl],
];

async function blackHole(name: string, endpoint: BrokerEndpoint): Promise<void> {
  await using proxy = await FaultProxy.start(endpoint.address);
  const client = proxiedClient(endpoint, proxy, HEART_BEAT, WAIT_MS);
  const log = new EventLog(client);
  try {
    await client.connect();
    const queue = uniqueQueue("chaos-blackhole");
    const inbox = new Inbox(await client.subscribe(queue, {}, { ack: "client-individual", receipt: true }));
    const confirmed = new Set<string>();
    const send = confirmingSender(client, queue, confirmed);
    for (let i = 0; i < 5; i++) await send(`before-${i}`);
    assert.equal(confirmed.size, 5);

    const dead = performance.now();
    proxy.blackHole();
    const during = send("during the black hole");
    const timeout = await log.until(
      (e) => e.type === "heartbeat-timeout" && e.at > dead,
      3 * HEART_BEAT + SLACK_MS + 2000,
      `${name}: heart-beat timeout`,
    );
    const detected = timeout.at - dead;
    await log.until((e) => e.type === "reconnecting" && e.at > dead, WAIT_MS, `${name}: a reconnect attempt`);
    await new Promise((resolve) => setTimeout(resolve, DEAD_AFTER_DETECTION_MS));
    const healed = performance.now();
    proxy.heal();
    const back = await log.until(
      (e) => e.type === "connected" && e.at > healed,
      WAIT_MS,
      `${name}: reconnected after the heal`,
    );
    const recovered = back.at - healed;
    await during;
    for (let i = 0; i < 5; i++) await send(`after-${i}`);
    // The send lost in the black hole is resent on the healed connection (at-least-once, issue 12).
    assert.ok(
      confirmed.has("during the black hole"),
      "the send made during the black hole is resent and confirmed",
    );
    assert.equal(confirmed.size, 11, "every send after the heal is confirmed");

    // At least once: every confirmed message arrives (one acked before the loss may come again).
    const seen = new Map<string, number>();
    while ([...confirmed].some((body) => !seen.has(body))) {
      const msg = await inbox.next(WAIT_MS);
      seen.set(msg.text(), (seen.get(msg.text()) ?? 0) + 1);
      await msg.ack();
    }
    const duplicates = [...seen.values()].reduce((n, k) => n + k - 1, 0);
    console.log(
      `${name}: black hole detected after ${detected.toFixed(0)} ms, back ${recovered.toFixed(0)} ms ` +
        `after the heal; ${confirmed.size} confirmed, 0 lost, ${duplicates} duplicates`,
    );
    assert.ok(detected <= 3 * HEART_BEAT + SLACK_MS, `${name}: detected after ${detected} ms`);
    assert.ok(recovered <= 1000, `${name}: reconnected ${recovered} ms after the heal`);
    await client.disconnect();
  } finally {
    await client.close();
  }
}

brokerTest(
  "chaos: a black hole under 1 s heart-beats is detected within 3 beats and healed within 1 s, on every transport",
  TRANSPORTS.map(([, endpoint]) => endpoint),
  async (_, t) => {
    using rejections = rejectionGuard();
    await Promise.all(TRANSPORTS.map(([name, endpoint]) =>
      t.step({
        name,
        fn: () => blackHole(name, endpoint),
        // Concurrent steps: Deno's sanitizers cannot attribute ops to one of them.
        sanitizeOps: false,
        sanitizeResources: false,
        sanitizeExit: false,
      })
    ));
    rejections.assertNone();
  },
  { sanitizeOps: false, sanitizeResources: false },
);
