/**
 * A fault-injecting TCP proxy for the chaos tests: it sits between a client and a broker (STOMP,
 * STOMP+TLS or Web-STOMP alike: it forwards bytes and never looks at them) and breaks the path the
 * ways a network does — a black hole in both directions or one, a reset, a half-close, latency, a
 * 1-byte trickle — and heals it again. Loopback only: it listens on 127.0.0.1 and forwards to a
 * loopback address.
 *
 * A black hole holds what it swallows, as a dead route does with TCP segments that are retransmitted
 * later: nothing is forwarded (data, FIN or reset), connections stay open on both sides, a new
 * connection is accepted but not carried to the broker, and {@link FaultProxy.heal} delivers
 * whatever is still wanted, in order.
 *
 * @module
 */

import * as net from "node:net";
import { Deferred } from "../../src/connection/wait.ts";

/** Which way a fault applies: toward the broker, toward the client, or both. */
export type ProxyDirection = "both" | "toBroker" | "toClient";

type Way = "toBroker" | "toClient";
const WAYS: readonly Way[] = ["toBroker", "toClient"];
const ways = (direction: ProxyDirection): readonly Way[] => direction === "both" ? WAYS : [direction];

/** What one direction of one connection carries: bytes, then maybe an end (FIN) or a reset. */
type Item = { bytes: Uint8Array; at: number } | { end: "fin" | "reset" };

const LOOPBACK = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/**
 * The proxy. Start one per test with {@link FaultProxy.start}, point the client at
 * `proxy.port`, and close it with `await using`.
 *
 * @example
 * ```ts ignore
 * import { FaultProxy } from "./fault_proxy.ts";
 * await using proxy = await FaultProxy.start({ host: "127.0.0.1", port: 61613 });
 * const client = await connect(`tcp://127.0.0.1:${proxy.port}`, { heartBeats: [1000, 1000] });
 * proxy.blackHole(); // the client notices by its heart-beats
 * proxy.heal(); // and gets back in
 * ```
 */
export class FaultProxy {
  /** Where the proxy listens (127.0.0.1). */
  readonly host = "127.0.0.1";
  /** The proxy's port. */
  readonly port: number;
  /** Connections accepted so far. */
  accepted = 0;
  readonly #server: net.Server;
  readonly #target: { readonly host: string; readonly port: number };
  readonly #links = new Set<Link>();
  readonly #holes = new Set<Way>();
  #opened = new Deferred<void>();
  #delay = 0;
  #trickle = 0;
  #healed = new Deferred<void>();

  private constructor(server: net.Server, port: number, target: { host: string; port: number }) {
    this.#server = server;
    this.port = port;
    this.#target = target;
    this.#healed.resolve();
  }

  /** Listens on 127.0.0.1 (a free port) and forwards to `target`, which must be a loopback address. */
  static start(target: { readonly host: string; readonly port: number }): Promise<FaultProxy> {
    if (!LOOPBACK.test(target.host)) {
      return Promise.reject(new TypeError(`the fault proxy forwards to loopback only, not ${target.host}`));
    }
    return new Promise((resolve, reject) => {
      // Half-open allowed: a FIN from one side must not make the proxy close the other direction.
      const server = net.createServer({ noDelay: true, allowHalfOpen: true });
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const proxy = new FaultProxy(server, (server.address() as net.AddressInfo).port, target);
        server.on("connection", (socket) => proxy.#accept(socket));
        resolve(proxy);
      });
    });
  }

  /** Connections open now (each one a client and, once the path lets it, a broker socket). */
  get connections(): number {
    return this.#links.size;
  }

  /** Resolves once a connection was accepted after this call (at most `timeout` ms). */
  nextConnection(timeout = 5000): Promise<void> {
    this.#opened = new Deferred<void>();
    const opened = this.#opened;
    const timer = setTimeout(() => opened.reject(new Error(`no connection within ${timeout} ms`)), timeout);
    return opened.promise.finally(() => clearTimeout(timer));
  }

  /** Stops carrying anything in `direction` (default both ways), holding it until {@link FaultProxy.heal}. */
  blackHole(direction: ProxyDirection = "both"): void {
    for (const way of ways(direction)) this.#holes.add(way);
    if (this.#healed.settled) this.#healed = new Deferred<void>();
    for (const link of this.#links) link.pauseReads(this.#holes);
  }

  /** Adds `ms` of latency to every chunk (both ways); 0 removes it. */
  delay(ms: number): void {
    this.#delay = ms;
  }

  /** Forwards one byte at a time, `gapMs` apart (both ways); 0 turns it off. */
  trickle(gapMs = 1): void {
    this.#trickle = gapMs;
  }

  /** Ends the black holes, latency and trickle; what a black hole held is delivered in order. */
  heal(): void {
    this.#holes.clear();
    this.#delay = 0;
    this.#trickle = 0;
    this.#healed.resolve();
    for (const link of this.#links) link.resumeReads();
  }

  /** Resets every open connection (an RST to the client and to the broker), as a dead NAT or firewall does. */
  reset(): void {
    for (const link of [...this.#links]) link.reset();
  }

  /**
   * Sends a FIN in `direction` on every open connection and carries nothing more that way: `toClient`
   * makes the client see the broker hang up while the broker still thinks the client is there.
   */
  halfClose(direction: Exclude<ProxyDirection, "both">): void {
    for (const link of this.#links) link.halfClose(direction);
  }

  /** Stops listening and destroys every connection. */
  close(): Promise<void> {
    this.heal();
    for (const link of [...this.#links]) link.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** `await using proxy = ...` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Resolves when nothing is held in `way` (immediately unless it is black-holed). */
  async gate(way: Way): Promise<void> {
    while (this.#holes.has(way)) await this.#healed.promise;
  }

  /** The current latency and trickle. */
  get shaping(): { readonly delay: number; readonly trickle: number } {
    return { delay: this.#delay, trickle: this.#trickle };
  }

  #accept(client: net.Socket): void {
    this.accepted++;
    const link = new Link(this, client, this.#target, () => this.#links.delete(link));
    this.#links.add(link);
    link.pauseReads(this.#holes);
    this.#opened.resolve();
  }
}

/** One proxied connection: the client's socket, the broker's (once the path lets it connect), two pipes. */
class Link {
  readonly #proxy: FaultProxy;
  readonly #client: net.Socket;
  #broker?: net.Socket;
  readonly #queues: Record<Way, Item[]> = { toBroker: [], toClient: [] };
  readonly #pumping: Record<Way, boolean> = { toBroker: false, toClient: false };
  readonly #cut: Record<Way, boolean> = { toBroker: false, toClient: false };
  #done = false;
  readonly #onDone: () => void;

  constructor(
    proxy: FaultProxy,
    client: net.Socket,
    target: { host: string; port: number },
    onDone: () => void,
  ) {
    this.#proxy = proxy;
    this.#client = client;
    this.#onDone = onDone;
    this.#source(client, "toBroker");
    // A black hole toward the broker also holds the connection itself: a SYN that goes nowhere.
    proxy.gate("toBroker").then(() => {
      if (this.#done) return;
      const broker = net.connect({
        host: target.host,
        port: target.port,
        noDelay: true,
        allowHalfOpen: true,
      });
      this.#broker = broker;
      this.#source(broker, "toClient");
      broker.once("connect", () => this.#carry("toBroker"));
    });
  }

  pauseReads(holes: ReadonlySet<Way>): void {
    // Unread bytes stay in the kernel, so a sender into a black hole is slowed as by a dead route.
    if (holes.has("toBroker")) this.#client.pause();
    if (holes.has("toClient")) this.#broker?.pause();
  }

  resumeReads(): void {
    this.#client.resume();
    this.#broker?.resume();
    for (const way of WAYS) this.#carry(way);
  }

  reset(): void {
    this.#finish();
    this.#client.resetAndDestroy();
    this.#broker?.resetAndDestroy();
  }

  halfClose(way: Way): void {
    if (this.#cut[way]) return;
    this.#cut[way] = true;
    this.#queues[way] = [];
    this.#target(way)?.end();
  }

  destroy(): void {
    this.#finish();
    this.#client.destroy();
    this.#broker?.destroy();
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#onDone();
  }

  #target(way: Way): net.Socket | undefined {
    return way === "toBroker" ? this.#broker : this.#client;
  }

  #source(socket: net.Socket, way: Way): void {
    socket.on(
      "data",
      (chunk: Uint8Array) => this.#push(way, { bytes: new Uint8Array(chunk), at: Date.now() }),
    );
    socket.on("end", () => this.#push(way, { end: "fin" }));
    socket.on("error", () => this.#push(way, { end: "reset" }));
    socket.on("close", () => {
      if (this.#client.destroyed && (this.#broker?.destroyed ?? true)) this.#finish();
    });
  }

  #push(way: Way, item: Item): void {
    if (this.#cut[way] || this.#done) return;
    this.#queues[way].push(item);
    this.#carry(way);
  }

  /** Starts carrying `way`'s queue; a socket failing under the proxy resets the connection. */
  #carry(way: Way): void {
    this.#pump(way).catch(() => this.reset());
  }

  async #pump(way: Way): Promise<void> {
    if (this.#pumping[way]) return;
    this.#pumping[way] = true;
    try {
      while (this.#queues[way].length > 0 && !this.#done) {
        await this.#proxy.gate(way);
        const to = this.#target(way);
        if (!to || to.connecting) return; // resumed on 'connect'
        const item = this.#queues[way].shift()!;
        if ("end" in item) {
          if (item.end === "fin") to.end();
          else this.reset();
          continue;
        }
        await this.#forward(to, item);
      }
    } finally {
      this.#pumping[way] = false;
    }
  }

  async #forward(to: net.Socket, item: { bytes: Uint8Array; at: number }): Promise<void> {
    const { delay, trickle } = this.#proxy.shaping;
    const wait = item.at + delay - Date.now();
    if (wait > 0) await sleep(wait);
    if (trickle <= 0) return write(to, item.bytes);
    for (let i = 0; i < item.bytes.length && !to.destroyed; i++) {
      await write(to, item.bytes.subarray(i, i + 1));
      await sleep(trickle);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes and waits for the socket to take it (drain, or the socket's end). */
function write(socket: net.Socket, bytes: Uint8Array): Promise<void> {
  if (socket.destroyed || !socket.writable) return Promise.resolve();
  return new Promise((resolve) => {
    if (socket.write(bytes)) return resolve();
    const done = () => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.on("drain", done);
    socket.on("close", done);
  });
}
