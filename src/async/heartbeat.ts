/**
 * Heart-beat scheduling for the async client: send a beat after a stretch of silence, declare
 * the broker dead after a longer one.
 *
 * @module
 */

/**
 * Timers the heart-beats run on. Browsers throttle timers in background tabs; a Worker-driven
 * ticker keeps heart-beats on time there.
 *
 * @example
 * ```ts
 * import type { StompTicker } from "./heartbeat.ts";
 * const ticker: StompTicker = {
 *   setTimeout: (fn, ms) => setTimeout(fn, ms),
 *   clearTimeout: (handle) => clearTimeout(handle as number),
 * };
 * ```
 */
export interface StompTicker {
  /** Calls `fn` once after `ms` milliseconds; returns a handle for {@link StompTicker.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a pending call. */
  clearTimeout(handle: unknown): void;
}

/**
 * The global timers as a {@link StompTicker}.
 *
 * @example
 * ```ts
 * import { timerTicker } from "./heartbeat.ts";
 * const handle = timerTicker.setTimeout(() => console.log("tick"), 10);
 * timerTicker.clearTimeout(handle);
 * ```
 */
export const timerTicker: StompTicker = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Heart-beat factors: a beat is sent after `send` × the client period of silence; the broker is
 * declared dead after `receive` × its period without any bytes.
 *
 * @example
 * ```ts
 * import type { StompHeartBeatFactors } from "./heartbeat.ts";
 * const factors: StompHeartBeatFactors = { send: 0.8, receive: 3 };
 * ```
 */
export interface StompHeartBeatFactors {
  /** Default 0.8. */
  readonly send: number;
  /** Default 3 (see {@link DEFAULT_HEART_BEAT_FACTORS}). */
  readonly receive: number;
}

/**
 * The default factors. `receive` is 3, not stompest's 2: ActiveMQ checks once a period whether it
 * wrote anything and beats only if not, so after any frame its next beat can be almost two periods
 * away, and its first beat comes two periods after CONNECTED (measured: 2000 ms at 1 s; RabbitMQ
 * beats every half period). At 2× a healthy ActiveMQ connection was dropped in about one test run
 * out of two.
 *
 * @example
 * ```ts
 * import { DEFAULT_HEART_BEAT_FACTORS } from "./heartbeat.ts";
 * console.log(DEFAULT_HEART_BEAT_FACTORS); // { send: 0.8, receive: 3 }
 * ```
 */
export const DEFAULT_HEART_BEAT_FACTORS: StompHeartBeatFactors = Object.freeze({ send: 0.8, receive: 3 });

/**
 * Heart-beat tolerances under the names of stompest's `HeartBeatListener(thresholds)`: `client` is
 * {@link StompHeartBeatFactors.send} (beat after this fraction of the client period of silence),
 * `server` is {@link StompHeartBeatFactors.receive} (the broker is dead after this many of its
 * periods without bytes). A missing one keeps its default (0.8 and 3; stompest's `server` was 2).
 *
 * @example
 * ```ts
 * import type { StompHeartBeatThresholds } from "./heartbeat.ts";
 * const thresholds: StompHeartBeatThresholds = { client: 0.8, server: 2 }; // stompest's defaults
 * ```
 */
export interface StompHeartBeatThresholds {
  /** Default 0.8 (`heartBeatFactors.send`). */
  readonly client?: number;
  /** Default 3 (`heartBeatFactors.receive`). */
  readonly server?: number;
}

/**
 * The {@link StompHeartBeatFactors} for stompest-style thresholds; a threshold must be a number > 0
 * (and `client` below 1, or beats would come after the broker gave up).
 *
 * @example
 * ```ts
 * import { factorsOfThresholds } from "./heartbeat.ts";
 * console.log(factorsOfThresholds({ server: 2 })); // { send: 0.8, receive: 2 }
 * ```
 */
export function factorsOfThresholds(thresholds: StompHeartBeatThresholds): StompHeartBeatFactors {
  const { client = DEFAULT_HEART_BEAT_FACTORS.send, server = DEFAULT_HEART_BEAT_FACTORS.receive } =
    thresholds;
  if (!(typeof client === "number" && client > 0 && client < 1)) {
    throw new TypeError(`thresholds.client must be a number between 0 and 1, got ${String(client)}`);
  }
  if (!(typeof server === "number" && server > 0 && Number.isFinite(server))) {
    throw new TypeError(`thresholds.server must be a finite number > 0, got ${String(server)}`);
  }
  return Object.freeze({ send: client, receive: server });
}

/** What the scheduler reads and calls. */
export interface HeartBeaterOptions {
  readonly clientPeriod: number;
  readonly serverPeriod: number;
  readonly factors: StompHeartBeatFactors;
  readonly now: () => number;
  readonly lastSent: () => number | undefined;
  readonly lastReceived: () => number | undefined;
  readonly beat: () => void;
  readonly dead: (silence: number) => void;
  readonly ticker: StompTicker;
}

/**
 * One timer that wakes at the next due moment: the next beat to send or the receive deadline.
 *
 * @example
 * ```ts
 * import { HeartBeater, timerTicker } from "./heartbeat.ts";
 * let sent = Date.now();
 * const beater = new HeartBeater({
 *   clientPeriod: 1000, serverPeriod: 0, factors: { send: 0.8, receive: 3 }, now: Date.now,
 *   lastSent: () => sent, lastReceived: () => undefined, beat: () => sent = Date.now(),
 *   dead: () => {}, ticker: timerTicker,
 * });
 * beater.start();
 * beater.stop();
 * ```
 */
export class HeartBeater {
  #options: HeartBeaterOptions;
  #handle: unknown;
  #running = false;
  #since = 0;

  /** Nothing runs until {@link HeartBeater.start}. */
  constructor(options: HeartBeaterOptions) {
    this.#options = options;
  }

  /** Starts the timer (when either period is non-zero). */
  start(): void {
    const { clientPeriod, serverPeriod, now } = this.#options;
    if (this.#running || (clientPeriod <= 0 && serverPeriod <= 0)) return;
    this.#running = true;
    this.#since = now();
    this.#schedule();
  }

  /** Stops the timer. */
  stop(): void {
    this.#running = false;
    if (this.#handle !== undefined) this.#options.ticker.clearTimeout(this.#handle);
    this.#handle = undefined;
  }

  #schedule(): void {
    if (!this.#running) return;
    const o = this.#options, t = o.now();
    let next = Infinity;
    if (o.clientPeriod > 0) {
      const due = (o.lastSent() ?? this.#since) + o.factors.send * o.clientPeriod;
      if (t >= due) {
        o.beat();
        next = Math.min(next, t + o.factors.send * o.clientPeriod);
      } else next = Math.min(next, due);
    }
    if (o.serverPeriod > 0) {
      const last = Math.max(o.lastReceived() ?? this.#since, this.#since);
      const deadline = last + o.factors.receive * o.serverPeriod;
      if (t > deadline) {
        this.stop();
        o.dead(t - last);
        return;
      }
      next = Math.min(next, deadline + 1);
    }
    this.#handle = o.ticker.setTimeout(() => this.#schedule(), Math.max(1, next - t));
  }
}
