/**
 * The options of the async client ({@link AsyncStompOptions}) and of its calls that may wait for a
 * RECEIPT ({@link StompReceiptOptions}), with the defaults the client fills in.
 *
 * @module
 */

import type { StompConfigOptions } from "../connection/config.ts";
import type { StompReceiptOptions } from "../connection/wait.ts";
import {
  DEFAULT_HEART_BEAT_FACTORS,
  factorsOfThresholds,
  type StompHeartBeatFactors,
  type StompHeartBeatThresholds,
  type StompTicker,
} from "./heartbeat.ts";
import { defaultTicker } from "./worker_ticker.ts";

/**
 * What the async client adds to {@link StompConfigOptions}.
 *
 * @example
 * ```ts
 * import type { AsyncStompOptions } from "./options.ts";
 * const options: AsyncStompOptions = { reconnect: true, receiptTimeout: 5000, heartBeatFactors: { send: 0.8, receive: 3 } };
 * ```
 */
export interface AsyncStompOptions {
  /** Reconnect (walking the failover URI) after an unexpected loss. Default true. */
  readonly reconnect?: boolean;
  /** Milliseconds to wait for a RECEIPT when the call gives no timeout. Default 10,000. */
  readonly receiptTimeout?: number;
  /** Heart-beat slack factors (default send 0.8, receive 3: why 3 is told in heartbeat.ts). */
  readonly heartBeatFactors?: StompHeartBeatFactors;
  /**
   * The same tolerances under stompest's name (its `HeartBeatListener(thresholds)`): `client` is
   * `heartBeatFactors.send`, `server` is `heartBeatFactors.receive`. Give one or the other.
   */
  readonly thresholds?: StompHeartBeatThresholds;
  /** Timers for heart-beats (default `defaultTicker()`: a Worker in browser pages, so background tabs keep beating). */
  readonly ticker?: StompTicker;
  /**
   * What `send`, `subscribe`, `begin`/`commit`/`abort` do while the client reconnects: `"wait"`
   * (default) for the next connection, then go out in call order after the subscription replay;
   * `"fail"` throws {@link StompConnectionError} at once, as clients without failover do.
   */
  readonly whileReconnecting?: "wait" | "fail";
  /**
   * Most milliseconds a call waits for the next connection (default: as long as the failover goes
   * on; when it gives up every waiting call rejects with its {@link StompConnectTimeout}). Past it
   * the call rejects with {@link StompCancelledError}. A call's own `timeout`/`signal` also bound it.
   */
  readonly reconnectWait?: number;
  /**
   * Resend a receipted SEND whose RECEIPT had not come when the connection was lost (default true;
   * per call: {@link StompSendCallOptions.retry}). At-least-once: see "Producing through broker
   * restarts" in the README.
   */
  readonly retry?: boolean;
  /**
   * Bounds of the outbox: the receipted sends not yet confirmed plus the sends waiting for a
   * connection (default 1000 messages, 16 MiB of bodies). A full outbox makes the next send wait.
   */
  readonly outbox?: StompOutboxLimits;
}

/**
 * Bounds of an async client's outbox ({@link AsyncStompOptions.outbox}).
 *
 * @example
 * ```ts
 * import type { StompOutboxLimits } from "./options.ts";
 * const limits: StompOutboxLimits = { maxMessages: 100, maxBytes: 1 << 20 };
 * ```
 */
export interface StompOutboxLimits {
  /** Most sends held (default 1000). */
  readonly maxMessages?: number;
  /** Most body bytes held (default 16 MiB); one larger send is let in alone. */
  readonly maxBytes?: number;
}

/**
 * Options of `AsyncStomp.send`. `timeout` and `signal` bound the whole call: waiting for room in
 * the outbox, for a connection, and for the RECEIPT across resends. Without `timeout` the wait for
 * a connection is bounded by `reconnectWait` and each wait for a RECEIPT by `receiptTimeout`.
 *
 * A send without `receipt` is fire-and-forget: once written it is not sent again, even when the
 * connection drops before the broker stored it (STOMP has no other acknowledgement).
 *
 * @example
 * ```ts
 * import type { StompSendCallOptions } from "./options.ts";
 * const options: StompSendCallOptions = { receipt: true, retry: false, timeout: 30_000 };
 * ```
 */
export interface StompSendCallOptions extends StompReceiptOptions {
  /**
   * With `receipt`: resend after a connection loss until a RECEIPT confirms it (default: the
   * client's `retry`). Never inside a transaction: a lost transaction is not replayed.
   */
  readonly retry?: boolean;
}

/**
 * {@link AsyncStompOptions} with every default filled in.
 *
 * @example
 * ```ts
 * import { type ResolvedAsyncStompOptions, resolveAsyncOptions } from "./options.ts";
 * const options: ResolvedAsyncStompOptions = resolveAsyncOptions({ reconnect: false });
 * console.log(options.receiptTimeout); // 10000
 * ```
 */
export type ResolvedAsyncStompOptions =
  & Required<Omit<AsyncStompOptions, "ticker" | "thresholds" | "outbox">>
  & { ticker: StompTicker; outbox: Required<StompOutboxLimits> };
// Defined beside the other waits so that both clients share it; exported from here as before.
export type { StompReceiptOptions };

const ASYNC_KEYS = [
  "reconnect",
  "receiptTimeout",
  "heartBeatFactors",
  "thresholds",
  "ticker",
  "whileReconnecting",
  "reconnectWait",
  "retry",
  "outbox",
] as const;

/**
 * The options without the async client's own keys: what is left is for {@link StompConfig}, which
 * would not know what to make of the others.
 *
 * @example
 * ```ts
 * import { configOptionsOf } from "./options.ts";
 * const rest = configOptionsOf({ login: "guest", reconnect: false });
 * console.log(Object.keys(rest)); // ["login"]
 * ```
 */
export function configOptionsOf(options: StompConfigOptions & AsyncStompOptions): Record<string, unknown> {
  const configOptions: Record<string, unknown> = { ...options };
  for (const key of ASYNC_KEYS) delete configOptions[key];
  return configOptions;
}

/**
 * Fills in the defaults. The default ticker is looked up only when none is given: in a browser page
 * it starts the page's shared Worker.
 *
 * @example
 * ```ts
 * import { resolveAsyncOptions } from "./options.ts";
 * console.log(resolveAsyncOptions({}).heartBeatFactors); // { send: 0.8, receive: 3 }
 * ```
 */
export function resolveAsyncOptions(options: AsyncStompOptions): ResolvedAsyncStompOptions {
  const { whileReconnecting = "wait", reconnectWait = Infinity, retry = true, outbox = {} } = options;
  if (whileReconnecting !== "wait" && whileReconnecting !== "fail") {
    throw new TypeError(
      `whileReconnecting must be "wait" or "fail", got ${JSON.stringify(whileReconnecting)}`,
    );
  }
  if (typeof reconnectWait !== "number" || !(reconnectWait >= 0)) {
    throw new TypeError(`reconnectWait must be a number of milliseconds >= 0, got ${String(reconnectWait)}`);
  }
  if (typeof retry !== "boolean") throw new TypeError(`retry must be a boolean, got ${String(retry)}`);
  const { maxMessages = 1000, maxBytes = 16 * 1024 * 1024 } = outbox;
  for (const [name, value] of [["maxMessages", maxMessages], ["maxBytes", maxBytes]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new TypeError(`outbox.${name} must be a whole number >= 1, got ${String(value)}`);
    }
  }
  return {
    reconnect: options.reconnect ?? true,
    receiptTimeout: options.receiptTimeout ?? 10_000,
    heartBeatFactors: heartBeatFactorsOf(options),
    ticker: options.ticker ?? defaultTicker(),
    whileReconnecting,
    reconnectWait,
    retry,
    outbox: { maxMessages, maxBytes },
  };
}

function heartBeatFactorsOf(options: AsyncStompOptions): StompHeartBeatFactors {
  if (options.thresholds === undefined) return options.heartBeatFactors ?? DEFAULT_HEART_BEAT_FACTORS;
  if (options.heartBeatFactors !== undefined) {
    throw new TypeError("give heartBeatFactors or thresholds (stompest's name for them), not both");
  }
  return factorsOfThresholds(options.thresholds);
}
