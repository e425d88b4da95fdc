/**
 * A broker SIGKILLed and restarted while a producer and a consumer are busy with it: the scenario
 * behind tests/chaos/broker_kill_test.ts (a few kills, in CI) and `deno task chaos` (many, with the
 * figures printed).
 *
 * The producer sends persistent messages with receipts, several in flight. A send counts as
 * confirmed only when its RECEIPT came; a rejected send (today the client refuses sends while it
 * reconnects, and a receipt pending when the connection dies is rejected) is retried with the same
 * sequence number once the client is connected again, and counted. A client that instead holds sends
 * across a failover and resends them (at-least-once) fits the same bookkeeping: the broker may hold
 * one copy per attempt plus one per connection made before the message was confirmed.
 *
 * The consumer acks each message (client-individual). What is checked: every confirmed message is
 * delivered (none lost); no message is delivered on one consumer connection more often than copies
 * of it can exist (a second delivery is allowed only on a later connection, when the ack of the
 * first may have died with the broker, or for a copy the producer had to send again).
 *
 * @module
 */

import { AsyncStomp, type StompMessage } from "../../mod.ts";
import { type BrokerEndpoint, brokersScript, uniqueQueue } from "../helpers/brokers.ts";
import { brokerConnector } from "../helpers/connectors.ts";
import type { Guard } from "./guard.ts";

/** The brokers this scenario can kill (scripts/brokers.sh names). */
export type KillableBroker = "rabbitmq" | "activemq";

/** How one run goes. */
export interface KillRunOptions {
  /** Which broker to kill; `endpoint` must be one of its endpoints. */
  readonly which: KillableBroker;
  /** Where the producer and consumer connect (TCP is what a kill tests: EOF, then refused connects). */
  readonly endpoint: BrokerEndpoint;
  /** How many times the broker is killed and restarted. */
  readonly kills: number;
  /** Messages confirmed between one recovery and the next kill (and before the first). Default 200. */
  readonly messagesPerKill?: number;
  /** Sends in flight at once. Default 8. */
  readonly senders?: number;
  /** How long one step (a restart, a recovery, the final delivery of everything) may take. Default 120 s. */
  readonly stepTimeoutMs?: number;
  /** Progress lines (one per kill). */
  readonly log?: (line: string) => void;
}

/** What one kill cost, in milliseconds from the moment the broker process was dead. */
export interface KillFigures {
  /** brokers.sh start returned (the broker answers CONNECT again). */
  readonly brokerBackMs: number;
  /** The producer had a send confirmed on a new connection. */
  readonly sendsBackMs: number;
  /** The consumer had a delivery on a new connection. */
  readonly consumerBackMs: number;
  /** No send was confirmed for this long: from the last confirm before the kill to the first after. */
  readonly sendGapMs: number;
  /** Sends rejected between this kill and the recovery. */
  readonly rejectedSends: number;
}

/** The outcome of a run. */
export interface KillReport {
  readonly broker: KillableBroker;
  readonly kills: readonly KillFigures[];
  /** Distinct messages confirmed by a RECEIPT. */
  readonly confirmed: number;
  /** SENDs attempted (confirmed, rejected or timed out), counting retries. */
  readonly attempts: number;
  /** Attempts that were rejected (and retried). */
  readonly rejectedSends: number;
  /** Deliveries to the consumer, counting repeats. */
  readonly deliveries: number;
  /** Distinct messages delivered. */
  readonly delivered: number;
  /** Confirmed messages never delivered: must be empty. */
  readonly lost: readonly number[];
  /** Deliveries beyond the first of each message. */
  readonly duplicates: number;
  /** Repeats at-least-once does not explain (more on one connection than copies can exist): must be empty. */
  readonly unexplainedDuplicates: readonly string[];
  /** Delivered messages that were never sent: must be empty. */
  readonly phantoms: readonly number[];
  /** Connections the producer and the consumer made (at least one more than kills each). */
  readonly producerConnections: number;
  readonly consumerConnections: number;
  /** Wall time of the run. */
  readonly elapsedMs: number;
}

/** Something to wait on: each {@link Progress.notify} wakes the current waiters. */
class Progress {
  #wake?: () => void;
  #next?: Promise<void>;

  notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    this.#next = undefined;
    wake?.();
  }

  /** Resolves once `done()` holds, re-checking after each notify; bounded by the guard. */
  async until(guard: Guard, done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const started = performance.now();
    while (!done()) {
      const left = timeoutMs - (performance.now() - started);
      this.#next ??= new Promise<void>((resolve) => this.#wake = resolve);
      await guard.within(this.#next, Math.max(1, left), what);
    }
  }
}

/** A client with its connections counted as they happen. */
class Watched {
  readonly client: AsyncStomp;
  connections = 0;
  readonly #progress: Progress;
  readonly #watching: Promise<void>;

  constructor(client: AsyncStomp, progress: Progress) {
    this.client = client;
    this.#progress = progress;
    this.#watching = (async () => {
      for await (const event of client.status()) {
        if (event.type === "connected") this.connections++;
        progress.notify();
      }
    })();
  }

  /** Resolves when the client is connected (at once if it is). */
  async connectedAgain(guard: Guard, timeoutMs: number): Promise<void> {
    await this.#progress.until(guard, () => this.client.connected, timeoutMs, "the client to reconnect");
  }

  /** Disconnects (bounded), then closes whatever happened. */
  async end(guard: Guard): Promise<void> {
    try {
      await guard.within(this.client.disconnect({ timeout: 5000 }), 10_000, "disconnect");
    } catch {
      // The close below ends it either way; the scenario's assertions say what went wrong.
    } finally {
      await this.client.close();
      await guard.within(this.#watching, 5000, "the status stream to end");
    }
  }
}

function client(endpoint: BrokerEndpoint): AsyncStomp {
  // Retry for ever, quickly: the brokers are local, a restart takes seconds.
  const uri = `failover:(${endpoint.uri})?maxReconnectAttempts=-1&initialReconnectDelay=20` +
    "&maxReconnectDelay=500&randomize=false";
  return new AsyncStomp(uri, {
    login: endpoint.login,
    passcode: endpoint.passcode,
    host: endpoint.host,
    tls: endpoint.tls,
    versions: ["1.2"],
    connector: brokerConnector,
    connectTimeout: 2000,
    connectedTimeout: 5000,
    receiptTimeout: 10_000,
  });
}

interface Delivery {
  readonly connection: number;
  readonly redelivered: boolean;
}

/**
 * Runs the scenario; resolves with the figures (the caller asserts on them). Throws when a step
 * does not finish in time or a broker does not restart.
 *
 * @example
 * ```ts ignore
 * import { runKills } from "./kill_scenario.ts";
 * const report = await runKills(guard, { which: "rabbitmq", endpoint: RABBITMQ.tcp, kills: 3 });
 * assert.deepEqual(report.lost, []);
 * ```
 */
export async function runKills(guard: Guard, options: KillRunOptions): Promise<KillReport> {
  const { which, endpoint, kills, log = () => {} } = options;
  const perKill = options.messagesPerKill ?? 200;
  const senders = options.senders ?? 8;
  const step = options.stepTimeoutMs ?? 120_000;
  const queue = uniqueQueue(`chaos-kill-${which}`);
  const started = performance.now();
  const progress = new Progress();

  // ---- bookkeeping
  let nextSeq = 0;
  let attempts = 0;
  let rejected = 0;
  const confirmed = new Set<number>();
  /** Upper bound of the copies of each message the broker may hold (see `send`). */
  const copies = new Map<number, number>();
  const confirms: { at: number; connection: number }[] = [];
  const deliveries = new Map<number, Delivery[]>();
  let deliveryCount = 0;
  const firstDeliveryOn = new Map<number, number>(); // consumer connection -> time

  const producer = new Watched(client(endpoint), progress);
  const consumer = new Watched(client(endpoint), progress);
  let producing = true;

  const consume = async (messages: AsyncIterable<StompMessage>) => {
    for await (const msg of messages) {
      const seq = Number(msg.headers.seq);
      const list = deliveries.get(seq) ?? [];
      list.push({ connection: msg.generation, redelivered: msg.headers.redelivered === "true" });
      deliveries.set(seq, list);
      deliveryCount++;
      if (!firstDeliveryOn.has(msg.generation)) firstDeliveryOn.set(msg.generation, performance.now());
      progress.notify();
      // A failed ack (the connection just died) needs nothing: the broker redelivers the message.
      await msg.ack().catch(() => {});
    }
  };

  const send = async () => {
    while (producing && !guard.signal.aborted) {
      const seq = nextSeq++;
      // A client that resends across a failover may write any attempt again on each connection made until the
      // message is confirmed, even one whose wait already failed: the bound is attempts + those connections.
      const firstConnection = producer.connections;
      for (let failures = 0;; failures++) {
        if (failures > 100) throw new Error(`message ${seq}: 100 sends in a row failed`);
        attempts++;
        copies.set(seq, failures + 1 + (producer.connections - firstConnection));
        try {
          await producer.client.send(queue, `chaos ${seq}`, { seq, persistent: "true" }, { receipt: true });
          copies.set(seq, failures + 1 + (producer.connections - firstConnection));
          confirmed.add(seq);
          confirms.push({ at: performance.now(), connection: producer.connections });
          progress.notify();
          break;
        } catch {
          // Unconfirmed: the broker may or may not hold it. Try again on a live connection.
          rejected++;
          progress.notify();
          await producer.connectedAgain(guard, step);
        }
      }
    }
  };

  const figures: KillFigures[] = [];
  let consuming: Promise<void> | undefined;
  let sending: Promise<void[]> | undefined;
  try {
    await guard.within(consumer.client.connect(), step, "the consumer's CONNECTED");
    await guard.within(producer.client.connect(), step, "the producer's CONNECTED");
    const sub = await consumer.client.subscribe(queue, {}, { ack: "client-individual", receipt: true });
    consuming = consume(sub);
    sending = Promise.all(Array.from({ length: senders }, send));
    // A failure of the loops must end the waits below at once instead of after their timeouts.
    const failed = new Promise<never>((_, reject) => {
      Promise.race([consuming, sending]).then(() => {
        if (producing) reject(new Error("the producer or consumer stopped early"));
      }, reject);
    });
    failed.catch(() => {});
    const watch = <T>(p: Promise<T>) => Promise.race([p, failed]);

    for (let k = 1; k <= kills; k++) {
      const target = confirmed.size + perKill;
      await watch(progress.until(guard, () => confirmed.size >= target, step, `${target} confirmed sends`));
      const producerAt = producer.connections, consumerAt = consumer.connections, rejectedAt = rejected;
      const lastConfirm = confirms.at(-1)?.at ?? started;
      await watch(guard.within(brokersScript("kill", which), step, `brokers.sh kill ${which}`));
      const killedAt = performance.now();
      await watch(guard.within(brokersScript("start", which), step + 60_000, `brokers.sh start ${which}`));
      const upAt = performance.now();
      const back = () =>
        confirms.some((c) => c.connection > producerAt && c.at > killedAt) &&
        [...firstDeliveryOn.keys()].some((g) => g > consumerAt);
      await watch(progress.until(guard, back, step, `the producer and consumer back after kill ${k}`));
      const firstConfirm = confirms.find((c) => c.connection > producerAt && c.at > killedAt)!.at;
      const consumerBack = Math.min(
        ...[...firstDeliveryOn.entries()].filter(([g]) => g > consumerAt).map(([, at]) => at),
      );
      const f: KillFigures = {
        brokerBackMs: upAt - killedAt,
        sendsBackMs: firstConfirm - killedAt,
        consumerBackMs: consumerBack - killedAt,
        sendGapMs: firstConfirm - lastConfirm,
        rejectedSends: rejected - rejectedAt,
      };
      figures.push(f);
      log(
        `${which} kill ${k}/${kills}: broker back ${s(f.brokerBackMs)}, sends ${s(f.sendsBackMs)}, ` +
          `consumer ${s(f.consumerBackMs)}; no confirm for ${
            s(f.sendGapMs)
          }; ${f.rejectedSends} sends rejected`,
      );
    }

    // One more round after the last recovery, then stop and wait for every confirmed message.
    const target = confirmed.size + perKill;
    await watch(progress.until(guard, () => confirmed.size >= target, step, `${target} confirmed sends`));
    producing = false;
    await watch(guard.within(sending, step, "the senders to stop"));
    await watch(progress.until(
      guard,
      () => [...confirmed].every((seq) => deliveries.has(seq)),
      step,
      "every confirmed message delivered",
    ));
  } finally {
    producing = false;
    await producer.end(guard);
    await consumer.end(guard);
    await consuming?.catch(() => {});
    await sending?.catch(() => {});
  }
  return report(which, figures, {
    confirmed,
    copies,
    deliveries,
    deliveryCount,
    attempts,
    rejected,
    producerConnections: producer.connections,
    consumerConnections: consumer.connections,
    elapsedMs: performance.now() - started,
  });
}

function report(
  broker: KillableBroker,
  kills: KillFigures[],
  run: {
    confirmed: Set<number>;
    copies: Map<number, number>;
    deliveries: Map<number, Delivery[]>;
    deliveryCount: number;
    attempts: number;
    rejected: number;
    producerConnections: number;
    consumerConnections: number;
    elapsedMs: number;
  },
): KillReport {
  const lost = [...run.confirmed].filter((seq) => !run.deliveries.has(seq)).sort((a, b) => a - b);
  const phantoms: number[] = [];
  const unexplained: string[] = [];
  for (const [seq, list] of run.deliveries) {
    const copies = run.copies.get(seq);
    if (copies === undefined) {
      phantoms.push(seq);
      continue;
    }
    const perConnection = new Map<number, number>();
    for (const d of list) perConnection.set(d.connection, (perConnection.get(d.connection) ?? 0) + 1);
    for (const [connection, n] of perConnection) {
      if (n > copies) {
        unexplained.push(
          `message ${seq}: ${n} times on consumer connection ${connection}, at most ${copies} sent`,
        );
      }
    }
  }
  return {
    broker,
    kills,
    confirmed: run.confirmed.size,
    attempts: run.attempts,
    rejectedSends: run.rejected,
    deliveries: run.deliveryCount,
    delivered: run.deliveries.size,
    lost,
    duplicates: run.deliveryCount - run.deliveries.size,
    unexplainedDuplicates: unexplained,
    phantoms,
    producerConnections: run.producerConnections,
    consumerConnections: run.consumerConnections,
    elapsedMs: run.elapsedMs,
  };
}

function s(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
