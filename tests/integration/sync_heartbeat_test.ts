// Heart-beats against the real brokers. A broker drops a client only after a few silent periods
// (about 3 s on RabbitMQ, which rounds periods up to whole seconds), so every transport × version
// of one broker runs at the same time inside one test, each reported as its own step.
import assert from "node:assert/strict";
import { StompConnectionError, type StompVersion } from "../../mod.ts";
import { brokerTest, uniqueQueue } from "../helpers/brokers.ts";
import { collect, expectMessage, expectReceipt, open, stomp, type Target, TARGETS } from "./sync_helpers.ts";

const VERSIONS_WITH_BEATS: readonly StompVersion[] = ["1.1", "1.2"];

/**
 * Three clients that negotiate heart-beats: `silent` never sends and must be dropped by the broker
 * (StompConnectionError on its pending receiveFrame); `beater` calls beat() on a timer and must
 * outlive it, receiving the broker's heart-beats meanwhile. Then `silent` reconnects and its
 * subscription is replayed.
 */
async function heartBeats(target: Target, version: StompVersion): Promise<void> {
  const { ask, granted } = target.quirks.heartBeat;
  await using silent = stomp(target, { versions: [version], heartBeats: [ask, 0] });
  await using beater = stomp(target, { versions: [version], heartBeats: [ask, ask] });
  await Promise.all([open(silent, version), open(beater, version)]);
  const connectedAt = performance.now();
  assert.equal(silent.clientHeartBeat, granted);
  assert.equal(beater.clientHeartBeat, granted);
  assert.equal(beater.serverHeartBeat, granted);
  const [sentAtConnect, receivedAtConnect] = [beater.lastSent!, beater.lastReceived!];

  const beatErrors: unknown[] = [];
  const timer = setInterval(() => beater.beat().catch((e) => beatErrors.push(e)), granted / 3);
  try {
    const queue = uniqueQueue("sync-heartbeat");
    await silent.subscribe(queue, {}, "sub");
    await expectReceipt(silent, "sub");
    const dropped = await silent.receiveFrame({ timeout: 10 * granted }).catch((e) => e);
    const silentFor = performance.now() - connectedAt;
    assert.ok(dropped instanceof StompConnectionError, `expected the broker to drop it, got ${dropped}`);
    assert.match(dropped.message, /the broker closed the connection|connection (lost|closed)/);
    assert.ok(silentFor >= granted, `dropped after ${silentFor} ms, before one period of ${granted} ms`);

    // The beater has been connected as long, kept alive only by its beats.
    assert.deepEqual(beatErrors, []);
    assert.ok(beater.lastSent! > sentAtConnect, "beat() records a send");
    assert.ok(beater.lastReceived! > receivedAtConnect, "the broker's heart-beats arrived");
    await beater.send(queue, "still alive", {}, "alive");
    await expectReceipt(beater, "alive");

    // The dropped client keeps its subscription: connecting again replays it.
    await silent.connect({ heartBeats: [0, 0] });
    assert.equal(silent.clientHeartBeat, 0);
    const [message] = await collect(silent, ["sub"], 1);
    assert.equal(message.text(), "still alive");
    await beater.send(queue, "and more");
    await expectMessage(silent, "and more");
  } finally {
    clearInterval(timer);
  }
  await Promise.all([silent.disconnect({ receipt: "bye" }), beater.disconnect({ receipt: "bye" })]);
}

for (const broker of ["rabbitmq", "activemq"] as const) {
  const targets = TARGETS.filter((t) => t.broker === broker);
  const transports = targets.map((t) => t.name.split(" ")[1]).join(", ");
  brokerTest(
    `sync ${broker}: heart-beats (${transports} × ${
      VERSIONS_WITH_BEATS.join(", ")
    }): beat() keeps a client alive, a silent one is dropped`,
    targets.map((t) => t.endpoint),
    async (_, t) => {
      const cases = targets.flatMap((target) => VERSIONS_WITH_BEATS.map((version) => ({ target, version })));
      // Started together, reported one by one.
      const runs = cases.map(({ target, version }) =>
        heartBeats(target, version).then(() => undefined, (error: unknown) => ({ error }))
      );
      for (const [i, { target, version }] of cases.entries()) {
        await t.step(`sync ${target.name} ${version}: heart-beats`, async () => {
          const outcome = await runs[i];
          if (outcome) throw outcome.error;
        });
      }
    },
  );
}
