// The kill loop: a producer sends persistent receipted messages through a failover URI while the
// broker is killed (SIGKILL) or stopped, and restarted, three times at moments drawn from a fixed
// seed; a client-individual consumer reads them through its own failover URI. The producer has no
// retry loop of its own. Asserts: every send promise resolved; every message arrived at least once;
// every extra stored copy of a message is a marked resend (stompest-resend), never an unmarked one;
// first deliveries come in send order.
//
// It kills brokers, so it runs only in CI (CI=true, as .ci/run sets) or with STOMP_KILL_LOOP=1, alone under
// the exclusive broker lock on a shared machine:
//   STOMP_KILL_LOOP=1 flock -x /tmp/stompest-brokers.lock deno test -A tests/integration/async_publish_restart_test.ts
// STOMP_KILL_LOOP_MESSAGES (default 400, about a minute per variant; 2000 for the full run) sets the count.
import assert from "node:assert/strict";
import type { AsyncStomp, StompMessage, StompStatusEvent, StompVersion } from "../../mod.ts";
import {
  ACTIVEMQ,
  type BrokerEndpoint,
  brokersScript,
  brokerTest,
  RABBITMQ,
  uniqueQueue,
} from "../helpers/brokers.ts";
import { client, foreverUri } from "./async_helpers.ts";

const COUNT = Number(Deno.env.get("STOMP_KILL_LOOP_MESSAGES") ?? 400);
const RESTARTS = 3;
const SEED = 0x5eed12;
const VERSION: StompVersion = "1.2";
/**
 * Sends in flight at once; one at a time while a kill is under way (brokers.sh takes a while to
 * land it), so that the kill always meets a send in flight and production does not run out first.
 */
const WINDOW = 20;
/** A restart takes RabbitMQ ~5 s, ActiveMQ ~4 s (more after a crash), and brokers.sh may wait for its lock. */
const RECEIPT_TIMEOUT_MS = 60_000;
const OVERALL_MS = 300_000;

/** mulberry32: a small seeded generator, so the kill moments are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Collects status events of `c` with the time they came. */
function record(c: AsyncStomp): { events: { at: number; event: StompStatusEvent }[]; done: Promise<void> } {
  const events: { at: number; event: StompStatusEvent }[] = [];
  const done = (async () => {
    for await (const event of c.status()) events.push({ at: performance.now(), event });
  })();
  return { events, done };
}

/** Resolves when `check` holds, re-checked on each of `c`'s status events or messages (the caller pokes). */
class Progress {
  #waiters: { check: () => boolean; resolve: () => void }[] = [];
  poke(): void {
    this.#waiters = this.#waiters.filter((w) => !(w.check() && (w.resolve(), true)));
  }
  until(check: () => boolean, signal: AbortSignal): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ check, resolve });
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  }
}

const ENABLED = Deno.env.get("CI") === "true" || Deno.env.get("STOMP_KILL_LOOP") === "1";

function killLoop(which: "rabbitmq" | "activemq", endpoint: BrokerEndpoint, down: "kill" | "stop"): void {
  if (!ENABLED) {
    console.log(
      `skipped: the ${which} ${down} loop kills brokers; it runs with CI=true or STOMP_KILL_LOOP=1`,
    );
    return;
  }
  brokerTest(
    `async ${which} tcp: ${COUNT} receipted persistent sends through ${RESTARTS} broker ${
      down === "kill" ? "SIGKILLs" : "graceful stops"
    } and restarts: all confirmed, none lost, duplicates only as marked resends, in order`,
    endpoint,
    async () => {
      const queue = uniqueQueue(`kill-loop-${down}`);
      const random = seeded(SEED);
      const signal = AbortSignal.timeout(OVERALL_MS);
      const uri = foreverUri(endpoint, 500);
      const producer = client(
        endpoint,
        VERSION,
        { receiptTimeout: RECEIPT_TIMEOUT_MS, connectTimeout: 2000 },
        uri,
      );
      const consumer = client(endpoint, VERSION, { connectTimeout: 2000 }, uri);
      const producerStatus = record(producer);
      const progress = new Progress();
      let confirmed = 0;
      const latency: { start: number; end: number }[] = [];
      try {
        await producer.connect();
        await consumer.connect();
        const deliveries: StompMessage[] = [];
        const marker = `marker-${crypto.randomUUID()}`;
        const sub = await consumer.subscribe(queue, {}, { ack: "client-individual", receipt: true, signal });
        const consuming = (async () => {
          for await (const msg of sub) {
            await msg.ack();
            if (msg.text() === marker) return;
            deliveries.push(msg);
            progress.poke();
          }
          throw new Error("the subscription ended before the marker");
        })();

        // The restarts: restart i is asked for when the producer reaches message points[i] (seeded, in
        // the first 80 %) and lands a seeded 0-100 ms later; the producer goes on meanwhile, one send
        // at a time, so the kill meets a send in flight. It reaches points[i + 1] only after restart i.
        const points: number[] = [];
        for (
          const point of Array.from({ length: RESTARTS }, () => Math.floor((0.1 + 0.7 * random()) * COUNT))
            .sort((a, b) => a - b)
        ) {
          points.push(Math.max(point, (points.at(-1) ?? 0) + 1));
        }
        const asked = points.map(() => Promise.withResolvers<void>());
        const restarted = points.map(() => Promise.withResolvers<void>());
        const restarts: { downAt: number; upAt: number; took: number }[] = [];
        let window = WINDOW;
        const restarting = (async () => {
          for (const i of points.keys()) {
            await asked[i].promise;
            await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 100)));
            const askedAt = performance.now();
            await brokersScript(down, which);
            const downAt = performance.now();
            window = WINDOW;
            await brokersScript("start", which);
            restarts.push({ downAt, upAt: performance.now(), took: downAt - askedAt });
            restarted[i].resolve();
          }
        })();
        restarting.catch((error) => restarted.forEach((r) => r.reject(error)));
        consuming.catch(() => {});

        // The producer: no retry loop, just sends; WINDOW of them in flight.
        const inflight = new Set<Promise<void>>();
        const failures: unknown[] = [];
        for (let seq = 0; seq < COUNT; seq++) {
          while (inflight.size >= window) await Promise.race(inflight);
          const i = points.indexOf(seq);
          if (i >= 0) {
            if (i > 0) await restarted[i - 1].promise;
            window = 1;
            asked[i].resolve();
          }
          const start = performance.now();
          const sending: Promise<void> = producer.send(queue, `message ${seq}`, { seq, persistent: "true" }, {
            receipt: true,
          }).then(
            () => {
              latency.push({ start, end: performance.now() });
              confirmed++;
              progress.poke();
            },
            (error) => void failures.push(error),
          ).finally(() => inflight.delete(sending));
          inflight.add(sending);
        }
        await Promise.all(inflight);
        assert.deepEqual(failures, [], "every send promise resolved");
        assert.equal(confirmed, COUNT);
        await restarting;
        await producer.send(queue, marker, {}, { receipt: true });
        await consuming;

        // Every message at least once; first deliveries in send order.
        const bySeq = Map.groupBy(deliveries, (m) => Number(m.headers.seq));
        assert.equal(bySeq.size, COUNT, `only ${bySeq.size} of ${COUNT} messages arrived`);
        const firsts = [...bySeq.keys()];
        assert.deepEqual(firsts, [...firsts].sort((a, b) => a - b), "first deliveries in send order");
        // One publish id per message; distinct stored copies are told apart by their resend count.
        let duplicates = 0, resentCopies = 0, redeliveries = 0;
        for (const [seq, copies] of bySeq) {
          assert.equal(new Set(copies.map((m) => m.publishId)).size, 1, `seq ${seq}: one publish id`);
          const stored = new Map(copies.map((m) => [m.headers["stompest-resend"] ?? "0", m]));
          duplicates += stored.size - 1;
          resentCopies += [...stored.values()].filter((m) => m.resent).length;
          // Any number of copies, but only one that is not a marked resend: the original.
          assert.ok(
            [...stored.values()].filter((m) => !m.resent).length <= 1,
            `seq ${seq}: unmarked duplicate`,
          );
          redeliveries += copies.length - stored.size;
        }
        assert.ok(duplicates <= producer.outbox.resends, "no more copies than resends");
        assert.equal(restarts.length, RESTARTS);

        // Figures: per restart, how long the producer had no connection and the longest send wait.
        const events = producerStatus.events;
        const outages = events.flatMap(({ at, event }, i) => {
          if (event.type !== "disconnected" || !event.error) return [];
          const back = events.slice(i).find((e) => e.event.type === "connected");
          return back ? [{ from: at, to: back.at }] : [];
        });
        const waits = outages.map(({ from, to }) => {
          const spanning = latency.filter((l) => l.start <= to && l.end >= from);
          return Math.max(0, ...spanning.map((l) => l.end - l.start));
        });
        console.log(
          `${which} ${down}: ${COUNT} messages, ${restarts.length} restarts (down ${
            restarts.map((r) => ((r.upAt - r.downAt) / 1000).toFixed(1)).join("/")
          } s; brokers.sh ${down} took ${
            restarts.map((r) => (r.took / 1000).toFixed(1)).join("/")
          } s), ${producer.outbox.resends} resends, ${duplicates} duplicates (${resentCopies} copies marked resent), ` +
            `${redeliveries} broker redeliveries; producer without a connection ${
              outages.map((o) => ((o.to - o.from) / 1000).toFixed(1)).join("/")
            } s, longest send wait per restart ${waits.map((w) => (w / 1000).toFixed(1)).join("/")} s`,
        );
        await producer.disconnect();
        await consumer.disconnect();
      } finally {
        await producer.close();
        await consumer.close();
        await producerStatus.done;
        // Leave the broker running for whoever comes next, whatever happened.
        await brokersScript("start", which).catch(() => {});
      }
    },
    { sanitizeOps: false, sanitizeResources: false },
  );
}

killLoop("rabbitmq", RABBITMQ.tcp, "kill");
killLoop("activemq", ACTIVEMQ.tcp, "kill");
killLoop("rabbitmq", RABBITMQ.tcp, "stop");
killLoop("activemq", ACTIVEMQ.tcp, "stop");
