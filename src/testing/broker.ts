/**
 * {@link StompTestBroker}: a small STOMP 1.0–1.2 broker inside the test process, reached through
 * an in-memory connector or a loopback TCP listener, with fault hooks and waits for tests.
 *
 * @module
 */

import { StompCancelledError, StompConnectionError } from "../errors.ts";
import { type StompBody, StompFrame, type StompHeadersInit } from "../protocol/frame.ts";
import type { StompConnection, StompConnector } from "../connection/transport.ts";
import { brokerUri, type StompBroker } from "../protocol/broker.ts";
import { type BrokerHost, type StompTestConnectionInfo, TestConnection } from "./connection.ts";
import { Destinations } from "./destinations.ts";
import { storedMessage } from "./protocol.ts";
import { resolveSettings, type StompTestBrokerOptions } from "./settings.ts";
import { FaultView, type StompTestFaultOptions, StompTestFaults } from "./faults.ts";
import { memoryPair } from "./pair.ts";
import type { StompTestListen, StompTestListener } from "./listener.ts";
import { type StompTestWaitOptions, Waiters } from "./wait.ts";

/**
 * A frame the broker received, with the index of the connection it came on.
 *
 * @example
 * ```ts
 * import type { StompTestReceivedFrame } from "./broker.ts";
 * const isSend = (r: StompTestReceivedFrame) => r.frame.command === "SEND" && r.connection === 0;
 * ```
 */
export interface StompTestReceivedFrame {
  /** The connection's index (order of acceptance, from 0). */
  readonly connection: number;
  readonly frame: StompFrame;
}

/**
 * Where a TCP listener of the test broker listens.
 *
 * @example
 * ```ts
 * import type { StompTestAddress } from "./broker.ts";
 * const address: StompTestAddress = { hostname: "127.0.0.1", port: 54321, uri: "tcp://127.0.0.1:54321" };
 * ```
 */
export interface StompTestAddress {
  readonly hostname: string;
  readonly port: number;
  /** E.g. `tcp://127.0.0.1:54321`, ready for a failover URI. */
  readonly uri: string;
}

/**
 * Where to listen; `listen` replaces the Deno listener (e.g. with one over node:net).
 *
 * @example
 * ```ts
 * import type { StompTestListenOptions } from "./broker.ts";
 * const options: StompTestListenOptions = { hostname: "127.0.0.1", port: 0 };
 * ```
 */
export interface StompTestListenOptions {
  /** Default `127.0.0.1`. */
  readonly hostname?: string;
  /** Default 0: any free port. */
  readonly port?: number;
  /** The runtime listener to use; default the Deno one. */
  readonly listen?: StompTestListen;
}

const NO_FAULTS: StompTestFaultOptions = Object.freeze({});

/**
 * An in-process STOMP 1.0–1.2 broker for tests: queues (competing consumers, round-robin),
 * `/topic/...` fan-out, the three ack modes, prefetch, redelivery, NACK, receipts, transactions,
 * heart-beats, ERROR frames, and fault hooks. A test double: it proves nothing about real brokers.
 *
 * @example
 * ```ts
 * import { StompTestBroker } from "./broker.ts";
 * await using broker = new StompTestBroker();
 * const conn = await broker.connector({ protocol: "tcp", host: "test", port: 1 }, {});
 * await conn.write(new TextEncoder().encode("CONNECT\naccept-version:1.2\nhost:/\n\n\0"));
 * await broker.waitFor("CONNECT", { timeout: 1000 });
 * ```
 */
export class StompTestBroker implements AsyncDisposable {
  /** The broker-wide fault hooks; change them at any time. */
  readonly faults: StompTestFaults;
  /**
   * Connects in memory, whatever the address; rejects with StompConnectionError when the broker
   * refuses (faults.refuse) or is closed.
   */
  readonly connector: StompConnector;
  readonly #host: BrokerHost;
  readonly #destinations = new Destinations();
  readonly #waiters = new Waiters();
  readonly #live = new Set<TestConnection>();
  readonly #all: TestConnection[] = [];
  readonly #frames: StompTestReceivedFrame[] = [];
  readonly #next: StompTestFaultOptions[] = [];
  readonly #listeners = new Set<StompTestListener>();
  #messages = 0;
  #closed = false;
  #closing?: Promise<void>;

  /** Builds a broker; a bad option throws a TypeError. */
  constructor(options: StompTestBrokerOptions = {}) {
    this.faults = new StompTestFaults(options.faults);
    const tag = crypto.randomUUID().slice(0, 8);
    this.#host = {
      settings: resolveSettings(options),
      destinations: this.#destinations,
      tag,
      nextMessageId: () => `msg-${tag}-${++this.#messages}`,
      received: (conn, frame) => this.#frames.push({ connection: conn.index, frame }),
      changed: () => this.#waiters.changed(),
      ended: (conn) => {
        this.#live.delete(conn);
        this.#waiters.changed();
      },
    };
    this.connector = (broker, options) => {
      if (options.signal?.aborted) {
        return Promise.reject(new StompCancelledError("connect aborted", { cause: options.signal.reason }));
      }
      const faults = this.#admit();
      if (!faults) {
        return Promise.reject(refused(broker, this.#closed ? "the test broker is closed" : "faults.refuse"));
      }
      const [client, server] = memoryPair(brokerUri(broker));
      this.#serve(server, faults);
      return Promise.resolve(client);
    };
  }

  /**
   * A connector for a dead address: every attempt rejects with StompConnectionError.
   *
   * @example
   * ```ts
   * import { StompTestBroker } from "./broker.ts";
   * const dead = StompTestBroker.refusingConnector();
   * await dead({ protocol: "tcp", host: "nowhere", port: 1 }, {}).catch((e) => console.log(e.name));
   * ```
   */
  static refusingConnector(reason = "nothing listens there"): StompConnector {
    return (broker) => Promise.reject(refused(broker, reason));
  }

  /**
   * A connector that picks one per address, by `brokerUri` (`tcp://a:1`) or `host:port`; any other
   * address is refused. Lets a failover test put several brokers behind one client.
   *
   * @example
   * ```ts
   * import { StompTestBroker } from "./broker.ts";
   * const a = new StompTestBroker(), b = new StompTestBroker();
   * const connector = StompTestBroker.route({ "tcp://a:1": a.connector, "b:2": b.connector });
   * await a.close();
   * await b.close();
   * ```
   */
  static route(routes: Readonly<Record<string, StompConnector>>): StompConnector {
    return (broker, options) => {
      const connector = routes[brokerUri(broker)] ?? routes[`${broker.host}:${broker.port}`];
      return connector
        ? connector(broker, options)
        : Promise.reject(refused(broker, "no test broker routed there"));
    };
  }

  /**
   * Fault settings for the next connection only (queued: one entry per connection, in order);
   * they win over {@link StompTestBroker.faults}. A bad value throws a TypeError.
   *
   * @example
   * ```ts
   * import { StompTestBroker } from "./broker.ts";
   * await using broker = new StompTestBroker();
   * broker.nextConnection({ refuse: true }).nextConnection({ errorOnConnect: "go away" });
   * ```
   */
  nextConnection(faults: StompTestFaultOptions): this {
    this.#next.push({ ...new StompTestFaults(faults).toJSON() });
    return this;
  }

  /**
   * Serves a connection from any source (e.g. a custom listener). Returns false, closing it, when
   * the broker refuses it.
   *
   * @example
   * ```ts
   * import { StompTestBroker } from "./broker.ts";
   * import { memoryPair } from "./pair.ts";
   * await using broker = new StompTestBroker();
   * const [client, server] = memoryPair("test");
   * broker.accept(server);
   * ```
   */
  accept(conn: StompConnection): boolean {
    const faults = this.#admit();
    if (!faults) {
      conn.close().catch(() => {});
      return false;
    }
    this.#serve(conn, faults);
    return true;
  }

  /** The next connection's own faults, or undefined when it is refused. */
  #admit(): StompTestFaultOptions | undefined {
    if (this.#closed) return undefined;
    const own = this.#next.shift() ?? NO_FAULTS;
    return (own.refuse ?? this.faults.refuse) ? undefined : own;
  }

  #serve(conn: StompConnection, faults: StompTestFaultOptions): void {
    const served = new TestConnection(this.#all.length, conn, this.#host, new FaultView(faults, this.faults));
    this.#all.push(served);
    this.#live.add(served);
    this.#waiters.changed();
  }

  /**
   * Listens on loopback TCP (Deno by default) and returns the address.
   *
   * @example
   * ```ts
   * import { StompTestBroker } from "./broker.ts";
   * await using broker = new StompTestBroker();
   * const { uri } = await broker.listen({ port: 0 }); // e.g. tcp://127.0.0.1:54321
   * ```
   */
  async listen(options: StompTestListenOptions = {}): Promise<StompTestAddress> {
    if (this.#closed) throw new StompConnectionError("the test broker is closed");
    const listen = options.listen ?? (await import("./listen_deno.ts")).listenDeno;
    const listener = await listen(
      { hostname: options.hostname ?? "127.0.0.1", port: options.port ?? 0 },
      (conn) => this.accept(conn),
    );
    if (this.#closed) {
      await listener.close();
      throw new StompConnectionError("the test broker is closed");
    }
    this.#listeners.add(listener);
    const { hostname, port } = listener;
    return { hostname, port, uri: brokerUri({ protocol: "tcp", host: hostname, port }) };
  }

  /**
   * Puts a message on a destination as if a client had sent it; returns its message-id.
   *
   * @example
   * ```ts
   * import { StompTestBroker } from "./broker.ts";
   * await using broker = new StompTestBroker();
   * broker.publish("/queue/a", "hello", { "content-type": "text/plain" });
   * console.log(broker.queue("/queue/a").length); // 1
   * ```
   */
  publish(destination: string, body?: StompBody, headers?: StompHeadersInit): string {
    if (typeof destination !== "string" || destination === "") {
      throw new TypeError("publish: destination must be a non-empty string");
    }
    const frame = new StompFrame("SEND", headers, body);
    const message = storedMessage(this.#host.nextMessageId(), destination, frame.rawHeaders, frame.body);
    this.#destinations.route(message, this.#host.nextMessageId);
    this.#waiters.changed();
    return message.id;
  }

  /** Open connections (including ones that have not sent CONNECT yet). */
  get connections(): number {
    return this.#live.size;
  }

  /** Every frame received, in order (heart-beats are counted per connection in `clients`). */
  get frames(): readonly StompTestReceivedFrame[] {
    return this.#frames;
  }

  /** A snapshot of every connection ever accepted, by index. */
  get clients(): StompTestConnectionInfo[] {
    return this.#all.map((c) => c.info());
  }

  /** A queue's pending (not yet delivered) messages as MESSAGE frames, oldest first. */
  queue(name: string): StompFrame[] {
    return (this.#destinations.peek(name)?.pending ?? []).map((m) => {
      const pairs: (readonly [string, string])[] = [["destination", m.destination], ["message-id", m.id]];
      if (m.redelivered) pairs.push(["redelivered", "true"]);
      pairs.push(...m.headers, ["content-length", String(m.body.length)]);
      return new StompFrame("MESSAGE", pairs, m.body);
    });
  }

  /** Messages of a destination delivered to a client-ack subscription and not yet acked. */
  inFlight(name: string): number {
    return this.#destinations.inFlight(name);
  }

  /**
   * Resolves with the first value of `check` that is not undefined, null or false, re-checked
   * whenever the broker changes (frame, heart-beat, connection, message); rejects with
   * StompCancelledError on timeout (default 5000 ms) or abort.
   *
   * @example
   * ```ts
   * import { StompTestBroker } from "./broker.ts";
   * await using broker = new StompTestBroker();
   * broker.publish("/queue/a", "x");
   * await broker.waitUntil(() => broker.queue("/queue/a").length === 1, { timeout: 100 });
   * ```
   */
  waitUntil<T>(check: () => T | undefined | null | false, options: StompTestWaitOptions = {}): Promise<T> {
    return this.#waiters.until(check, options, "waitUntil");
  }

  /**
   * Resolves with the first received frame (from `since`, an index into `frames`, default 0)
   * whose command is `match` or for which `match` returns true.
   *
   * @example
   * ```ts
   * import { StompTestBroker } from "./broker.ts";
   * await using broker = new StompTestBroker();
   * const waiting = broker.waitFor((f) => f.command === "SEND", { timeout: 10 });
   * await waiting.catch((e) => console.log(e.name)); // "StompCancelledError"
   * ```
   */
  waitFor(
    match: string | ((frame: StompFrame, connection: number) => boolean),
    options: StompTestWaitOptions & { readonly since?: number } = {},
  ): Promise<StompTestReceivedFrame> {
    const test = typeof match === "string" ? (f: StompFrame) => f.command === match : match;
    let at = options.since ?? 0;
    const check = () => {
      for (; at < this.#frames.length; at++) {
        const received = this.#frames[at];
        if (test(received.frame, received.connection)) return received;
      }
    };
    return this.#waiters.until(check, options, `waitFor(${typeof match === "string" ? match : "predicate"})`);
  }

  /**
   * Resolves when exactly `n` connections are open.
   *
   * @example
   * ```ts
   * import { StompTestBroker } from "./broker.ts";
   * await using broker = new StompTestBroker();
   * await broker.waitForConnections(0, { timeout: 100 });
   * ```
   */
  async waitForConnections(n: number, options: StompTestWaitOptions = {}): Promise<void> {
    await this.#waiters.until(() => this.#live.size === n, options, `waitForConnections(${n})`);
  }

  /**
   * Drops every open connection now, without a frame (clients see EOF); unacked messages go back
   * to their queues. Resolves once they are closed.
   *
   * @example
   * ```ts
   * import { StompTestBroker } from "./broker.ts";
   * await using broker = new StompTestBroker();
   * await broker.drop();
   * ```
   */
  async drop(): Promise<void> {
    const live = [...this.#live];
    for (const conn of live) conn.drop("dropped by the test (broker.drop)");
    await Promise.all(live.map((c) => c.finished));
  }

  /**
   * Stops the listeners, drops every connection and refuses new ones. Safe to call twice.
   *
   * @example
   * ```ts
   * import { StompTestBroker } from "./broker.ts";
   * const broker = new StompTestBroker();
   * await broker.close();
   * ```
   */
  close(): Promise<void> {
    return this.#closing ??= (async () => {
      this.#closed = true;
      await Promise.all([...this.#listeners].map((l) => l.close()));
      this.#listeners.clear();
      for (const conn of this.#live) conn.drop("test broker closed");
      await Promise.all(this.#all.map((c) => c.finished));
      this.#waiters.changed();
    })();
  }

  /** Same as {@link StompTestBroker.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function refused(broker: StompBroker, why: string): StompConnectionError {
  return new StompConnectionError(`connection refused by ${brokerUri(broker)} (${why})`);
}
