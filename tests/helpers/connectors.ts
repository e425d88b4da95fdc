/**
 * A connector wrapper for integration tests: it records every attempt, counts connections and
 * heart-beats, lets a test wait on the traffic, and fails the live socket under a client in the
 * two ways a network does (a reset, or a close from the other side).
 *
 * @module
 */

import {
  brokerUri,
  deadline,
  denoWebSocketConnector,
  selectConnector,
  type StompConnection,
  StompConnectionError,
  type StompConnector,
} from "../../mod.ts";

/** How long {@link TappedConnector.until} waits by default (brokers are local). */
const WAIT_MS = 5000;

const EOL = 10, CR = 13;

/** A chunk that is nothing but heart-beats. */
function onlyEols(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes.every((b) => b === EOL || b === CR);
}

/** The newest connection a {@link TappedConnector} opened, and how to break it. */
interface Tapped {
  readonly real: StompConnection;
  reset(reason: string): Promise<void>;
}

/**
 * The runtime's connector, but Deno's own WebSocket for `wss`: only that one applies the test CA.
 *
 * @example
 * ```ts
 * import { AsyncStomp } from "../../mod.ts";
 * import { brokerConnector } from "./connectors.ts";
 * const client = new AsyncStomp("wss://127.0.0.1:15673/ws", { connector: brokerConnector });
 * ```
 */
export const brokerConnector: StompConnector = (broker, options) =>
  (broker.protocol === "wss" ? denoWebSocketConnector : selectConnector(broker))(broker, options);

/**
 * Wraps a connector (default {@link brokerConnector}) so a test can watch and break the traffic.
 * Reads are passed on only as the client asks for them, so a failure injected by
 * {@link TappedConnector.resetSocket} is the next thing the client reads.
 *
 * @example
 * ```ts
 * import { TappedConnector } from "./connectors.ts";
 * const tap = new TappedConnector();
 * const client = await connected(endpoint, "1.2", { connector: tap.connector, heartBeats: [1000, 1000] });
 * await tap.until(() => tap.beatsReceived >= 2, "two heart-beats from the broker");
 * await tap.closeSocket(); // the client sees a connection loss and reconnects
 * assert.equal(tap.opened, 2);
 * ```
 */
export class TappedConnector {
  /** The broker URIs of every attempt, in order, whether it connected or not. */
  readonly attempts: string[] = [];
  /** Connections opened so far. */
  opened = 0;
  /** Writes that were heart-beats (only EOLs). */
  beatsSent = 0;
  /** Reads that were heart-beats (only EOLs). */
  beatsReceived = 0;
  readonly #base: StompConnector;
  readonly #watchers = new Set<() => void>();
  #newest?: Tapped;

  /** Wraps `base`, or {@link brokerConnector} when it is not given. */
  constructor(base: StompConnector = brokerConnector) {
    this.#base = base;
  }

  /** Give this as the client's `connector`. */
  readonly connector: StompConnector = async (broker, options) => {
    this.attempts.push(brokerUri(broker));
    const real = await this.#base(broker, options);
    let failure: StompConnectionError | undefined;
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const reader = real.readable.getReader();
    const readable = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
      },
      pull: async (c) => {
        try {
          const { done, value } = await reader.read();
          // After a reset the stream already carries its error; what the real socket says is moot.
          if (failure) return;
          if (done) c.close();
          else {
            if (onlyEols(value)) this.beatsReceived++;
            c.enqueue(value);
          }
        } catch (error) {
          if (!failure) c.error(error);
        }
        this.#notify();
      },
      cancel: (why) => reader.cancel(why),
    }, { highWaterMark: 0 });
    const wrapped: StompConnection = {
      readable,
      messageFramed: real.messageFramed,
      info: real.info,
      write: async (bytes) => {
        if (failure) throw failure;
        await real.write(bytes);
        if (onlyEols(bytes)) this.beatsSent++;
        this.#notify();
      },
      close: () => real.close(),
    };
    this.#newest = {
      real,
      reset: async (reason) => {
        failure = new StompConnectionError(`${real.info}: ${reason}`);
        controller.error(failure);
        await real.close();
      },
    };
    this.opened++;
    this.#notify();
    return wrapped;
  };

  /**
   * Fails the newest connection as a reset socket would: its reads error with a
   * StompConnectionError carrying `reason`, its writes are refused, and the real socket is closed
   * underneath.
   */
  resetSocket(reason = "simulated socket failure"): Promise<void> {
    return this.#live().reset(reason);
  }

  /** Closes the newest connection from below: the client sees the broker hang up, not its own close. */
  closeSocket(): Promise<void> {
    return this.#live().real.close();
  }

  /**
   * Resolves once `predicate` holds (checked after every read, write and connection); rejects
   * after `timeout` ms with `what` (a function is asked only then, so it can report the counts).
   */
  until(predicate: () => boolean, what: string | (() => string), timeout = WAIT_MS): Promise<void> {
    if (predicate()) return Promise.resolve();
    let watcher!: () => void;
    const reached = new Promise<void>((resolve) => {
      watcher = () => {
        if (predicate()) resolve();
      };
      this.#watchers.add(watcher);
    });
    return deadline(reached, { timeout }, typeof what === "string" ? what : "waiting")
      .catch((error) => {
        throw typeof what === "string" ? error : new Error(`${what()}: ${error.message}`, { cause: error });
      })
      .finally(() => this.#watchers.delete(watcher));
  }

  #live(): Tapped {
    if (this.#newest === undefined) throw new Error("no connection was opened through this connector");
    return this.#newest;
  }

  #notify(): void {
    for (const watcher of this.#watchers) watcher();
  }
}
